"""The Queue window: the day's customer accounts, pasted or imported, each with how it ended;
start one (the account page is filled and consent begins), retry, skip, export, clear."""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)

from wizard.store.entries import EntryState, QueueImportError
from wizard.ui import core
from wizard.ui.paste_answer import PasteAnswerDialog, finished_words, paste_dialog
from wizard.ui.sent_link import SentLinkView
from wizard.ui.tasks import PageTask
from wizard.ui.widgets import StatusLine, button_row, choose_csv_file, record_table

if TYPE_CHECKING:
    from wizard.flow.remote import Finished, SentLink
    from wizard.store.entries import QueueEntry
    from wizard.ui.session import WizardSession
    from wizard.ui.wizard import OnboardingWizard

COLUMNS = ("#", "State", "Account / Zoom email", "Customer", "Grant id", "Zoom user", "Why")
PASTE_HINT = (
    "Paste the accounts here, one per line: an account id (Connect) or the customer's Zoom "
    "email (v3), then optionally a tab, comma or semicolon and your reference (e.g. Acme #123)."
)


class QueueWindow(QDialog):
    def __init__(self, session: WizardSession, wizard: OnboardingWizard) -> None:
        super().__init__(wizard)
        self.session = session
        self.wizard = wizard
        self.entries: list[QueueEntry] = []
        self.task = PageTask(self)
        self._then_say: str | None = None  # what the last action did, said after the reload
        self.setWindowTitle("Zoom onboarding - queue")
        self.resize(960, 520)
        layout = QVBoxLayout(self)
        self._add_paste_box(layout)
        self.model = QStandardItemModel(0, len(COLUMNS), self)
        self.model.setHorizontalHeaderLabels(list(COLUMNS))
        self.table = record_table(self, "Queue")  # the reason is in a tooltip too
        self.table.setModel(self.model)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.doubleClicked.connect(lambda _index: self.start_selected())
        layout.addWidget(self.table, 1)

        self.status = StatusLine(self)
        layout.addWidget(self.status)
        self.sent_view = SentLinkView(self)  # the last link sent from here, with its message
        layout.addWidget(self.sent_view)
        self.dialog: PasteAnswerDialog | None = None
        self.start = QPushButton("&Start", self)
        self.start.setToolTip("Onboard the selected entry, or the next waiting one")
        self.send_link = QPushButton("Se&nd link...", self)
        self.send_link.setToolTip(
            "The customer is on another computer: a link to send them by email or chat"
        )
        self.paste_answer = QPushButton("&Paste answer...", self)
        self.paste_answer.setToolTip("What a customer sent back after following their link")
        self.retry = QPushButton("&Retry", self)
        self.skip = QPushButton("S&kip", self)
        self.export = QPushButton("&Export CSV...", self)
        self.clear_done = QPushButton("Clear &done", self)
        close = QPushButton("C&lose", self)
        actions = (self.start, self.send_link, self.paste_answer, self.retry, self.skip)
        layout.addLayout(button_row((*actions, self.export, self.clear_done), close))

        self.add.clicked.connect(self.add_pasted)
        self.import_csv.clicked.connect(self._choose_import_file)
        self.start.clicked.connect(self.start_selected)
        self.send_link.clicked.connect(self.send_selected)
        self.paste_answer.clicked.connect(self.open_paste)
        session.remote.available.connect(self._connection_checked)
        self.retry.clicked.connect(lambda: self._change("retry"))
        self.skip.clicked.connect(lambda: self._change("skip"))
        self.export.clicked.connect(self._choose_export_file)
        self.clear_done.clicked.connect(self._clear_done)
        close.clicked.connect(self.close)
        session.work.changed.connect(self._changed)

    def _add_paste_box(self, layout: QVBoxLayout) -> None:
        """Where accounts are pasted or imported, under what says which queue this is."""
        self.practice_note = QLabel(self)
        self.practice_note.setWordWrap(True)
        layout.addWidget(self.practice_note)
        self.paste = QPlainTextEdit(self)
        self.paste.setAccessibleName("Accounts to add")
        self.paste.setPlaceholderText(PASTE_HINT)
        self.paste.setMaximumHeight(90)
        self.paste.setTabChangesFocus(False)  # a pasted spreadsheet row has tabs
        layout.addWidget(self.paste)
        self.add = QPushButton("&Add to queue", self)
        self.import_csv = QPushButton("&Import CSV...", self)
        layout.addLayout(button_row((self.add, self.import_csv)))

    # -- reading ---------------------------------------------------------------------------

    def load(self) -> None:
        self._connection_checked(self.session.flow is not None)
        self.task.start(self._read(), self._show, self._failed)

    async def _read(self) -> list[QueueEntry]:
        await self.session.remote.sweep()  # links that expired: their entries fail, saying so
        return await self.session.work.entries()

    def _connection_checked(self, checked: bool) -> None:
        for button in (self.send_link, self.paste_answer):
            button.setEnabled(checked)

    def _changed(self) -> None:
        if self.isVisible() and not self.task.running:
            self.load()

    def _show(self, entries: list[QueueEntry]) -> None:
        selected = self.selected()
        self.entries = entries
        self.model.setRowCount(0)
        now = time.time()
        for entry in entries:
            cells = (
                str(entry.id),
                state_words(entry, now),
                entry.account_id or entry.login_hint or "",
                entry.customer or "",
                entry.grant_id or "",
                entry.email or "",
                entry.reason or "",
            )
            items = [QStandardItem(cell) for cell in cells]
            items[-1].setToolTip(entry.reason or "")
            self.model.appendRow(items)
        self.table.resizeColumnsToContents()
        if selected is not None:
            self._select(selected.id)
        elif entries:
            # By keyboard too: a row is current (with its focus mark) from the start, the one
            # that most needs the operator, so Retry or Start is one key away.
            self._select(_needs_the_operator(entries).id)
        self.practice_note.setText(
            "<b>Practice queue</b> (offline sandbox): kept apart from the real one."
            if self.session.practice
            else "The real queue of this computer."
        )
        counts = {state: 0 for state in EntryState}
        for entry in entries:
            counts[entry.state] += 1
        said, self._then_say = self._then_say, None
        if not entries:
            self.status.info("The queue is empty: paste the accounts above or import a CSV.")
        else:
            parts = [f"{n} {state.value}" for state, n in counts.items() if n]
            self.status.after(said, f"{len(entries)} in the queue: {', '.join(parts)}.")

    def selected(self) -> QueueEntry | None:
        rows = self.table.selectionModel().selectedRows()
        return self.entries[rows[0].row()] if rows else None

    def _select(self, entry_id: int) -> None:
        for row, entry in enumerate(self.entries):
            if entry.id == entry_id:
                self.table.selectRow(row)
                self.table.setCurrentIndex(self.model.index(row, 0))

    # -- adding ----------------------------------------------------------------------------

    def add_pasted(self) -> None:
        text = self.paste.toPlainText()
        if not text.strip():
            self.status.info(PASTE_HINT)
            return
        self.task.start(self.session.work.import_text(text), self._added, self._failed)

    def _added(self, ids: list[int]) -> None:
        self.paste.clear()
        self._then_say = f"Added {len(ids)} account(s) to the queue."
        self.load()

    def _choose_import_file(self) -> None:
        dialog = QFileDialog(self, "Import accounts", str(Path.home()), "CSV or text (*.csv *.txt)")
        dialog.setObjectName("importDialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda path: self.import_from(Path(path)))
        dialog.open()  # never exec(): the qasync loop must keep running

    def import_from(self, path: Path) -> None:
        async def read_and_add() -> list[int]:
            data = await asyncio.to_thread(path.read_bytes)
            return await self.session.work.import_text(core.decode_import(data, path.name))

        self.task.start(read_and_add(), self._added, self._failed)

    # -- working ---------------------------------------------------------------------------

    def start_selected(self) -> None:
        entry = self.selected() or next(
            (e for e in self.entries if e.state is EntryState.WAITING), None
        )
        if entry is None:
            self.status.info("Nothing is waiting: add accounts, or Retry a failed one.")
            return
        if entry.state is EntryState.CONNECTED:
            self.status.info(f"{entry.label} is already connected (grant {entry.grant_id}).")
            return
        self.wizard.start_entry(entry.id)
        self.wizard.raise_()
        self.wizard.activateWindow()

    # -- customers on another computer ------------------------------------------------------

    def send_selected(self) -> None:
        entry = self.selected()
        if entry is None:
            self.status.info("Select the entry whose customer is on another computer first.")
            return
        self.status.busy(f"Making a link to send to {entry.label}...")
        self.task.start(self.session.remote.send_entry(entry.id), self._sent, self._failed)

    def _sent(self, sent: SentLink) -> None:
        self.sent_view.show_sent(sent, self.session.remote.poll_interval // 1000)
        self._then_say = "The link is made and kept: copy the message below and send it."
        self.load()
        self.sent_view.copy.setFocus()

    def open_paste(self) -> None:
        self.dialog = paste_dialog(self.dialog, self, self.session.remote, self._answered)

    def _answered(self, finished: Finished) -> None:
        self._then_say = finished_words(finished)
        self.load()

    def _change(self, action: str) -> None:
        entry = self.selected()
        if entry is None:
            self.status.info("Select an entry first.")
            return
        self.task.start(
            self.session.work.change(action, entry.id),
            lambda changed: self._done(None) if changed else self._unchanged(action, entry),
            self._failed,
        )

    def _clear_done(self) -> None:
        self.task.start(self.session.work.clear_done(), self._cleared, self._failed)

    def _cleared(self, removed: int) -> None:
        self._then_say = f"Removed {removed} done entr{'y' if removed == 1 else 'ies'}."
        self.load()

    def _done(self, _result: object) -> None:
        self.load()

    def _unchanged(self, action: str, entry: QueueEntry) -> None:
        self.status.info(unchanged_words(action, entry))

    # -- export ----------------------------------------------------------------------------

    def _choose_export_file(self) -> None:
        name = "zoom-queue-practice.csv" if self.session.practice else "zoom-queue.csv"
        choose_csv_file(self, "Export queue", name, self.export_to)

    def export_to(self, path: Path) -> None:
        buffer = io.StringIO()
        core.write_queue_csv(self.entries, buffer)
        count = len(self.entries)
        self.task.start(
            # With a byte-order mark: Excel (Windows) reads the names right only with one.
            asyncio.to_thread(path.write_text, buffer.getvalue(), encoding="utf-8-sig", newline=""),
            lambda _n: self.status.ok(f"Exported {count} entr(ies) with their results to {path}."),
            self._failed,
        )

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, QueueImportError):
            lines = "\n".join(f"line {n}: {why}" for n, why in exc.problems[:20])
            self.status.error(f"{exc}\n{lines}")
        else:
            self.status.error(core.explain(exc).text())


def state_words(entry: QueueEntry, now: float) -> str:
    """An entry's state as the operator reads it: a sent one says until when it waits."""
    if entry.state is not EntryState.SENT:
        return entry.state.value
    if entry.link_expired(now):
        return "link expired"
    until = time.localtime(entry.sent_until or now)
    same_day = until[:3] == time.localtime(now)[:3]
    clock = time.strftime("%H:%M" if same_day else "%a %H:%M", until)
    return f"sent, waiting for the customer (until {clock})"


def unchanged_words(action: str, entry: QueueEntry) -> str:
    """Why Retry or Skip left `entry` as it was, and what to do instead."""
    if entry.state is EntryState.CONNECTED:
        return (
            f"Entry {entry.id} is connected: it has its grant. To sign its Zoom user in again, "
            "use Re-authenticate in the Grants window."
        )
    if entry.state is EntryState.SENT:
        return (
            f"Entry {entry.id} waits for its customer's answer to the link sent: Paste answer... "
            "when it comes, or Start to sign in here instead."
        )
    if entry.state is EntryState.IN_PROGRESS:
        return f"Entry {entry.id} is being worked on in a window or command that is running."
    return f"Entry {entry.id} is {entry.state.value} already: nothing to {action}."


def _needs_the_operator(entries: list[QueueEntry]) -> QueueEntry:
    """A refused, failed or interrupted entry first (Retry), else the next waiting one
    (Start), else the first."""
    for wanted in (
        lambda e: e.state in (EntryState.FAILED, EntryState.REFUSED) or e.interrupted,
        lambda e: e.state is EntryState.WAITING,
    ):
        found = next((e for e in entries if wanted(e)), None)
        if found is not None:
            return found
    return entries[0]
