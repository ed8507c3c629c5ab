"""The Grants window: the application's Zoom grants on Nylas (whoever connected them), invalid
ones first, with what this computer's history knows of them; re-authenticate (queue entries,
the same grant id comes back), revoke (for good), copy an id, export CSV.

The table is a GrantsModel (ui/grants_model.py): pages are read from Nylas as the view scrolls.
Everything goes through the session (ui/session.py), which needs a checked connection."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from wizard.store.grant_listing import CSV_COLUMNS, HEADERS, ListedGrant, csv_row
from wizard.ui import core, grant_actions
from wizard.ui.grants_model import GrantsModel
from wizard.ui.tasks import PageTask
from wizard.ui.widgets import StatusLine, ask, button_row, choose_csv_file, record_table

if TYPE_CHECKING:
    from wizard.flow.grants import Reauthentication
    from wizard.ui.session import WizardSession

__all__ = ["GrantsWindow"]

# What the operator chooses to see, and the status the flow asks Nylas for.
SHOWING = (("All, invalid first", None), ("Invalid only", "invalid"), ("Valid only", "valid"))
WIDTHS = {
    "Status": 70,
    "Zoom user": 210,
    "Customer": 130,
    "Grant id": 150,
    "Created": 125,
    "Updated": 125,
    "Recorded here": 140,
}


class GrantsWindow(QDialog):
    def __init__(self, session: WizardSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.task = PageTask(self)  # re-authenticate, revoke, export: one at a time
        self.confirm: QMessageBox | None = None
        self._then_say: str | None = None  # what an action did, said after the reload
        self.setWindowTitle("Zoom onboarding - grants")
        self.resize(1100, 560)
        self.setMinimumSize(760, 360)
        layout = QVBoxLayout(self)
        layout.addLayout(self._top_row())
        self.model = GrantsModel(self)
        self.model.loaded.connect(self._loaded)
        self.model.failed.connect(self._failed)
        self.table = record_table(self, "Zoom grants")
        self.table.setModel(self.model)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # ids keep both ends
        for title, width in WIDTHS.items():
            self.table.setColumnWidth(HEADERS.index(title), width)
        self.table.doubleClicked.connect(lambda _index: self.copy_id())
        layout.addWidget(self.table, 1)
        self.status = StatusLine(self)
        layout.addWidget(self.status)
        layout.addLayout(self._buttons())

    def _top_row(self) -> QHBoxLayout:
        top = QHBoxLayout()
        label = QLabel("&Show:", self)
        self.showing = QComboBox(self)
        self.showing.setAccessibleName("Show")
        for text, status in SHOWING:
            self.showing.addItem(text, status)
        label.setBuddy(self.showing)
        self.showing.currentIndexChanged.connect(lambda _i: self.load())
        top.addWidget(label)
        top.addWidget(self.showing)
        hint = QLabel(
            "Every Zoom grant of this Nylas application, whoever connected it. An invalid "
            "grant needs its Zoom user to consent again: Re-authenticate keeps its grant id.",
            self,
        )
        hint.setWordWrap(True)
        top.addWidget(hint, 1)
        return top

    def _buttons(self) -> QHBoxLayout:
        self.reauthenticate = QPushButton("Re-&authenticate", self)
        self.reauthenticate.setToolTip(
            "Add the selected grants to the queue: each Zoom user consents again, same grant id"
        )
        self.reauthenticate_all = QPushButton("Re-authenticate all &invalid", self)
        self.revoke = QPushButton("Re&voke...", self)
        self.revoke.setToolTip("Delete the selected grant on Nylas for good (asks first)")
        self.copy = QPushButton("&Copy id", self)
        self.export = QPushButton("&Export CSV...", self)
        self.refresh = QPushButton("&Refresh", self)
        close = QPushButton("Close", self)
        self.reauthenticate.clicked.connect(self.reauthenticate_selected)
        self.reauthenticate_all.clicked.connect(self.reauthenticate_invalid)
        self.revoke.clicked.connect(self.ask_revoke)
        self.copy.clicked.connect(self.copy_id)
        self.export.clicked.connect(self._choose_export_file)
        self.refresh.clicked.connect(self.load)
        close.clicked.connect(self.close)
        self.action_buttons = (
            self.reauthenticate,
            self.reauthenticate_all,
            self.revoke,
            self.copy,
            self.export,
            self.refresh,
        )
        return button_row(self.action_buttons, close)

    # -- reading -------------------------------------------------------------------------

    def load(self) -> None:
        """From the first page; without a checked connection, says so instead."""
        try:
            worklist = grant_actions.worklist(self.session, self.showing.currentData())
        except ValueError as exc:
            self.model.clear()
            self.status.info(str(exc))
            self._enable(False)
            return
        self._enable(True)
        self.status.busy("Reading the Zoom grants from Nylas...")
        self.model.reset(worklist)

    def _enable(self, on: bool) -> None:
        for button in self.action_buttons:
            button.setEnabled(on)

    def _loaded(self) -> None:
        model = self.model
        what = f"{len(model.rows)} Zoom grant(s) listed, {model.invalid} invalid"
        more = "; more are read as you scroll." if not model.complete else "."
        said, self._then_say = self._then_say, None
        # A page read while scrolling, neither the first nor the last, says nothing.
        if said or model.pages_read == 1 or model.complete:
            self.status.after(said, what + more)

    def _failed(self, exc: BaseException) -> None:
        self.status.error(core.explain(exc).text())  # one wording for every error, redacted

    def selected(self) -> list[ListedGrant]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.model.rows[row] for row in rows]

    # -- acting --------------------------------------------------------------------------

    def reauthenticate_selected(self) -> None:
        grants = self.selected()
        if not grants:
            self.status.info("Select the grants to re-authenticate (Ctrl+click for several).")
            return
        self.status.busy("Adding the re-authentications to the queue...")
        self.task.start(
            grant_actions.reauthenticate(self.session, grants), self._queued, self._failed
        )

    def reauthenticate_invalid(self) -> None:
        self.status.busy("Reading the invalid grants and adding them to the queue...")
        self.task.start(
            grant_actions.reauthenticate(self.session, None), self._queued, self._failed
        )

    def _queued(self, done: Reauthentication) -> None:
        then = " Start them from the Queue window." if done.added else ""
        self.status.ok(done.summary() + then)

    def ask_revoke(self) -> None:
        grants = self.selected()
        if len(grants) != 1:
            self.status.info("Select the one grant to revoke.")
            return
        grant = grants[0]
        who = grant.email or "an unknown Zoom user"
        of = f" ({grant.customer})" if grant.customer else ""
        self.confirm = ask(
            self,
            "Revoke this grant?",
            f"Revoke the grant {grant.grant_id} of Zoom user {who}{of}?\n\nNylas deletes it for "
            "good: this cannot be undone. A new consent by this customer makes a new grant id. "
            "(An invalid grant is fixed by Re-authenticate instead.)",
            "Revoke grant",
            lambda yes: self._revoke_answered(yes, grant.grant_id),
        )

    def _revoke_answered(self, yes: bool, grant_id: str) -> None:
        self.confirm = None
        if not yes:
            return
        self.status.busy(f"Revoking the grant {grant_id} on Nylas...")
        self.task.start(self.session.delete_grant(grant_id), self._revoked, self._failed)

    def _revoked(self, words: str) -> None:
        self._then_say = f"The grant was {words}."
        self.load()  # it is gone from Nylas's list

    def copy_id(self) -> None:
        grants = self.selected()
        if not grants:
            self.status.info("Select a grant to copy its id.")
            return
        QGuiApplication.clipboard().setText("\n".join(g.grant_id for g in grants))
        self.status.ok(f"Copied {len(grants)} grant id(s).")

    def _choose_export_file(self) -> None:
        choose_csv_file(self, "Export grants", "zoom-grants-nylas.csv", self.export_to)

    def export_to(self, path: Path) -> None:
        """Every grant shown by the choice above, read in full, loaded in the table or not;
        UTF-8 with a byte-order mark, so that a spreadsheet reads the names right."""
        try:
            worklist = grant_actions.worklist(self.session, self.showing.currentData())
        except ValueError as exc:
            self.status.info(str(exc))
            return

        async def export() -> int:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(CSV_COLUMNS)
            count = 0
            async for grant in worklist:
                writer.writerow(csv_row(grant))
                count += 1
            text = buffer.getvalue()
            await asyncio.to_thread(lambda: path.write_text(text, "utf-8-sig", newline=""))
            return count

        self.status.busy("Reading every grant for the export...")
        self.task.start(
            export(), lambda n: self.status.ok(f"Exported {n} grant(s) to {path}."), self._failed
        )
