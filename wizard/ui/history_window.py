"""The History window: every grant obtained on this computer, filterable, copyable, exportable.

The table is a HistoryModel (ui/history_model.py): SQLite filters and sorts, pages load as the
view scrolls, and the count is the database's, not the number of rows loaded."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from wizard.store.grant_columns import HEADERS, HistoryRecord, cells, write_csv
from wizard.ui import core
from wizard.ui.history_model import HistoryModel
from wizard.ui.tasks import PageTask
from wizard.ui.widgets import StatusLine, ask, button_row, choose_csv_file, record_table

if TYPE_CHECKING:
    from wizard.flow.reconcile import ReconcileReport
    from wizard.store.history import History

__all__ = ["HistoryWindow"]

FILTER_PAUSE_MS = 250  # typing pauses this long before the database is asked again
# Columns whose contents may be long, at most this wide at first (the operator can widen them).
NARROW_COLUMNS = {
    HEADERS.index(title): width
    for title, width in (("Account / customer", 170), ("Grant id", 150), ("Zoom user", 190))
}


class HistoryWindow(QDialog):
    def __init__(
        self,
        history: History,
        parent: QWidget | None = None,
        *,
        check_late: Callable[[], Coroutine[Any, Any, ReconcileReport]] | None = None,
        delete_grant: Callable[[str], Coroutine[Any, Any, str]] | None = None,
    ) -> None:
        """`check_late`: asks Nylas for the grants of sign-ins left waiting (the session's).
        `delete_grant`: revokes a grant on Nylas and marks its records (the session's)."""
        super().__init__(parent)
        self.history = history
        self._check_late = check_late
        self._delete_grant = delete_grant
        self.confirm: QMessageBox | None = None
        self._then_say: str | None = None  # what the late-grant check found, said after load
        self.task = PageTask(self)
        self.setWindowTitle("Zoom onboarding - history")
        self.resize(1040, 440)  # every column in view on a 1280-pixel screen
        self.setMinimumSize(720, 360)  # below that, the buttons and the status are cut
        layout = QVBoxLayout(self)
        self._add_filter(layout)
        self.model = HistoryModel(history, self)
        self.model.loaded.connect(self._loaded)
        self.model.failed.connect(self._failed)
        self.table = record_table(self, "Grants")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(2, Qt.SortOrder.DescendingOrder)
        # Long ids keep their two ends ("4394b253…f4199394c42"); the tooltip and Copy row have
        # them whole. So Status, Verified and Profile stay in view without scrolling.
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        # Interactive columns (record_table): ResizeToContents would measure every loaded row.
        self.table.horizontalHeader().setResizeContentsPrecision(50)  # sized by 50 rows, not all
        layout.addWidget(self.table, 1)
        self._pause = QTimer(self)
        self._pause.setSingleShot(True)
        self._pause.setInterval(FILTER_PAUSE_MS)
        self._pause.timeout.connect(self.load)
        self.filter.textChanged.connect(lambda _text: self._pause.start())
        self.include_practice.toggled.connect(lambda _on: self.load())
        self.status = StatusLine(self)
        layout.addWidget(self.status)
        self._add_buttons(
            layout, can_check=check_late is not None, can_delete=delete_grant is not None
        )
        self._sized = False
        self._keep_status = False

    def _add_filter(self, layout: QVBoxLayout) -> None:
        top = QHBoxLayout()
        label = QLabel("&Filter:", self)
        self.filter = QLineEdit(self)
        self.filter.setAccessibleName("Filter")
        self.filter.setPlaceholderText("account, customer, grant id, Zoom user...")
        self.filter.setClearButtonEnabled(True)
        label.setBuddy(self.filter)
        top.addWidget(label)
        top.addWidget(self.filter, 1)
        self.include_practice = QCheckBox("Show &practice grants (sandbox)", self)
        self.include_practice.setToolTip(
            "Grants made on the offline sandbox are not real and are hidden unless asked for"
        )
        top.addWidget(self.include_practice)
        layout.addLayout(top)

    def _add_buttons(self, layout: QVBoxLayout, *, can_check: bool, can_delete: bool) -> None:
        self.copy = QPushButton("&Copy row", self)
        self.export = QPushButton("&Export CSV...", self)
        self.refresh = QPushButton("&Refresh", self)
        self.check_late = QPushButton("Check for &late grants", self)
        self.check_late.setToolTip(
            "Ask Nylas whether a customer allowed after the wait ended (Stop waiting, a "
            "timeout, a closed window) and add those grants here"
        )
        self.check_late.setVisible(can_check)
        self.delete = QPushButton("&Delete grant...", self)
        self.delete.setToolTip("Revoke the selected grant on Nylas (the wrong Zoom user consented)")
        self.delete.setVisible(can_delete)
        self.delete.clicked.connect(self.ask_delete)
        close = QPushButton("Close", self)
        layout.addLayout(
            button_row((self.copy, self.export, self.refresh, self.check_late, self.delete), close)
        )
        self.copy.clicked.connect(self.copy_row)
        self.export.clicked.connect(self._choose_export_file)
        self.refresh.clicked.connect(self.load)
        self.check_late.clicked.connect(self.look_for_late_grants)
        close.clicked.connect(self.close)

    @property
    def records(self) -> list[HistoryRecord]:
        """The rows loaded so far, in the table's order."""
        return self.model.rows

    def load(self) -> None:
        self._keep_status = False
        self.status.busy("Reading the history...")
        self.model.reset(
            text=self.filter.text(), include_practice=self.include_practice.isChecked()
        )

    def refresh_if_idle(self) -> None:
        """New rows arrived from elsewhere; a check of our own reloads anyway."""
        if not self.task.running:
            self.load()

    def look_for_late_grants(self) -> None:
        assert self._check_late is not None
        self.status.busy("Asking Nylas for grants of sign-ins left waiting...")
        self.task.start(self._check_late(), self._checked, self._failed)

    def _checked(self, report: ReconcileReport) -> None:
        self._then_say = report.summary()
        self.load()  # the table, with what was found

    def _loaded(self) -> None:
        if not self._sized and self.model.rows:
            self.table.resizeColumnsToContents()  # once, on the first page
            for column, width in NARROW_COLUMNS.items():
                self.table.setColumnWidth(column, min(width, self.table.columnWidth(column)))
            self._sized = True
        said, self._then_say = self._then_say, None
        if self._keep_status:  # an error said since this read began stays on screen
            return
        model = self.model
        what = "grant(s) match" if model.query.text.strip() else "grant(s) on this computer"
        summary = f"{model.total} {what}"
        if model.hidden:
            summary += f"; {model.hidden} practice grant(s) hidden"
        summary += "."
        problems = list(self.history.problems)
        if problems:
            self.status.error(" ".join(problems))
        else:
            self.status.after(said, summary)

    def selected(self) -> HistoryRecord | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.rows[rows[0].row()] if rows else None

    def copy_row(self) -> None:
        record = self.selected()
        if record is None:
            self.status.info("Select a row to copy.")
            return
        QGuiApplication.clipboard().setText("\t".join(cells(record, self.model.clock)))
        self.status.ok("Row copied.")

    def ask_delete(self) -> None:
        record = self.selected()
        if record is None:
            self.status.info("Select the grant to delete.")
            return
        if record.grant_status == "deleted":
            self.status.info(f"The grant {record.grant_id} was deleted already.")
            return
        who = record.email or "an unknown Zoom user"
        of = (
            f" ({record.customer or record.account_id})"
            if record.customer or record.account_id
            else ""
        )
        self.confirm = ask(
            self,
            "Delete this grant?",
            f"Delete the grant {record.grant_id} of Zoom user {who}{of}?\n\nNylas revokes it "
            "for good; the customer must consent again to be connected.",
            "Delete grant",
            lambda yes: self._delete_answered(yes, record.grant_id),
        )

    def _delete_answered(self, yes: bool, grant_id: str) -> None:
        self.confirm = None
        if not yes or self._delete_grant is None:
            return
        self.status.busy(f"Deleting the grant {grant_id} on Nylas...")
        self.task.start(self._delete_grant(grant_id), self._deleted, self._failed)

    def _deleted(self, words: str) -> None:
        self._then_say = f"The grant was {words}."
        self.load()  # its rows now say "deleted"

    def _choose_export_file(self) -> None:
        choose_csv_file(self, "Export history", "zoom-grants.csv", self.export_to)

    def export_to(self, path: Path) -> None:
        """Every grant the filter matches, loaded in the table or not."""
        read = self.model.all_matching()

        def write() -> int:
            records = read()
            buffer = io.StringIO()
            write_csv(records, buffer)
            # A byte-order mark: Excel reads UTF-8 without one as the ANSI code page.
            path.write_text(buffer.getvalue(), encoding="utf-8-sig", newline="")
            return len(records)

        self.task.start(
            asyncio.to_thread(write),
            lambda n: self.status.ok(f"Exported {n} grant(s) to {path}."),
            self._failed,
        )

    def _failed(self, exc: BaseException) -> None:
        self._keep_status = True
        self.status.error(core.explain(exc).text())  # one wording for every error, redacted
