"""The History window: every grant obtained on this computer, filterable, copyable, exportable."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QGuiApplication, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from wizard.store.history import History, HistoryRecord, write_csv
from wizard.ui.tasks import PageTask
from wizard.ui.widgets import StatusLine

if TYPE_CHECKING:
    from wizard.flow.reconcile import ReconcileReport

COLUMNS: list[tuple[str, Callable[[HistoryRecord], object]]] = [
    ("API", lambda r: r.api),
    ("Region", lambda r: f"{r.region} (practice)" if r.practice else r.region),
    ("When (UTC)", lambda r: r.created_at.replace("T", " ")[:19]),
    ("Account / customer", lambda r: r.account_id or r.customer or ""),
    ("Grant id", lambda r: r.grant_id),
    ("Zoom user", lambda r: r.email or ""),
    ("Status", lambda r: r.grant_status or ""),
    ("Verified", lambda r: {True: "yes", False: "no", None: "pending"}[r.verified]),
    ("Profile", lambda r: r.profile),
    ("Region", lambda r: r.region),
    ("Operator", lambda r: r.operator),
]


class HistoryWindow(QDialog):
    def __init__(
        self,
        history: History,
        parent: QWidget | None = None,
        *,
        check_late: Callable[[], Coroutine[Any, Any, ReconcileReport]] | None = None,
    ) -> None:
        """`check_late`: asks Nylas for the grants of sign-ins left waiting (the session's)."""
        super().__init__(parent)
        self.history = history
        self._check_late = check_late
        self._after_load: str | None = None  # what the late-grant check found, said after load
        self.records: list[HistoryRecord] = []  # those shown (practice ones only when asked)
        self.all_records: list[HistoryRecord] = []
        self.task = PageTask(self)
        self.setWindowTitle("Zoom onboarding - history")
        self.resize(900, 420)
        layout = QVBoxLayout(self)

        top = QHBoxLayout()
        label = QLabel("&Filter:", self)
        self.filter = QLineEdit(self)
        self.filter.setAccessibleName("Filter")
        self.filter.setPlaceholderText("account, grant id, Zoom user...")
        self.filter.setClearButtonEnabled(True)
        label.setBuddy(self.filter)
        top.addWidget(label)
        top.addWidget(self.filter, 1)
        self.include_practice = QCheckBox("Show &practice grants (sandbox)", self)
        self.include_practice.setToolTip(
            "Grants made on the offline sandbox are not real and are hidden unless asked for"
        )
        self.include_practice.toggled.connect(lambda _on: self._show_rows())
        top.addWidget(self.include_practice)
        layout.addLayout(top)

        self.model = QStandardItemModel(0, len(COLUMNS), self)
        self.model.setHorizontalHeaderLabels([title for title, _ in COLUMNS])
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(-1)  # any column
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.table = QTableView(self)
        self.table.setAccessibleName("Grants")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.table, 1)

        self.status = StatusLine(self)
        layout.addWidget(self.status)
        buttons = QHBoxLayout()
        self.copy = QPushButton("&Copy row", self)
        self.export = QPushButton("&Export CSV...", self)
        self.refresh = QPushButton("&Refresh", self)
        self.check_late = QPushButton("Check for &late grants", self)
        self.check_late.setToolTip(
            "Ask Nylas whether a customer allowed after the wait ended (Stop waiting, a "
            "timeout, a closed window) and add those grants here"
        )
        self.check_late.setVisible(check_late is not None)
        close = QPushButton("Close", self)
        for button in (self.copy, self.export, self.refresh, self.check_late):
            button.setAutoDefault(False)
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.copy.clicked.connect(self.copy_row)
        self.export.clicked.connect(self._choose_export_file)
        self.refresh.clicked.connect(self.load)
        self.check_late.clicked.connect(self.look_for_late_grants)
        close.clicked.connect(self.close)

    def load(self) -> None:
        self.status.busy("Reading the history...")
        self.task.start(asyncio.to_thread(self._read), self._show, self._failed)

    def refresh_if_idle(self) -> None:
        """New rows arrived from elsewhere; a read or check of our own will show them anyway."""
        if not self.task.running:
            self.load()

    def look_for_late_grants(self) -> None:
        assert self._check_late is not None
        self.status.busy("Asking Nylas for grants of sign-ins left waiting...")
        self.task.start(self._check_late(), self._checked, self._failed)

    def _checked(self, report: ReconcileReport) -> None:
        summary = report.summary()
        self.load()  # the table, with what was found
        self._after_load = summary

    def _read(self) -> tuple[list[HistoryRecord], list[str]]:
        records = self.history.records()
        return records, list(self.history.problems)

    def _show(self, loaded: tuple[list[HistoryRecord], list[str]]) -> None:
        self.all_records, problems = loaded
        self._show_rows()
        after, self._after_load = self._after_load, None
        hidden = len(self.all_records) - len(self.records)
        if hidden and not problems:
            after = f"{after or ''} {hidden} practice grant(s) hidden.".strip()
        if problems:
            self.status.error(" ".join(problems))
        elif after:
            self.status.ok(f"{after} {len(self.records)} grant(s) on this computer.")
        else:
            self.status.info(f"{len(self.records)} grant(s) on this computer.")

    def _show_rows(self) -> None:
        practice = self.include_practice.isChecked()
        self.records = [r for r in self.all_records if practice or not r.practice]
        self.model.setRowCount(0)
        for record in self.records:
            items = [QStandardItem(str(value(record))) for _, value in COLUMNS]
            self.model.appendRow(items)
        when = [title for title, _ in COLUMNS].index("When (UTC)")
        self.table.sortByColumn(when, Qt.SortOrder.DescendingOrder)

    def copy_row(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            self.status.info("Select a row to copy.")
            return
        source = self.proxy.mapToSource(rows[0])
        cells = [self.model.item(source.row(), c).text() for c in range(len(COLUMNS))]
        QGuiApplication.clipboard().setText("\t".join(cells))
        self.status.ok("Row copied.")

    def visible_records(self) -> list[HistoryRecord]:
        by_grant = {r.grant_id: r for r in self.records}
        grant_column = [title for title, _ in COLUMNS].index("Grant id")
        return [
            by_grant[self.proxy.index(row, grant_column).data()]
            for row in range(self.proxy.rowCount())
        ]

    def _choose_export_file(self) -> None:
        dialog = QFileDialog(
            self, "Export history", str(Path.home() / "zoom-grants.csv"), "CSV files (*.csv)"
        )
        dialog.setObjectName("exportDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("csv")
        dialog.fileSelected.connect(lambda path: self.export_to(Path(path)))
        dialog.open()  # never exec(): the qasync loop must keep running

    def export_to(self, path: Path) -> None:
        records = self.visible_records()
        buffer = io.StringIO()
        write_csv(records, buffer)
        self.task.start(
            asyncio.to_thread(path.write_text, buffer.getvalue(), encoding="utf-8", newline=""),
            lambda _n: self.status.ok(f"Exported {len(records)} grant(s) to {path}."),
            self._failed,
        )

    def _failed(self, exc: BaseException) -> None:
        from wizard.flow.explain import explain

        self.status.error(explain(exc).text())  # one wording for every error, redacted
