"""Paste answer...: what a customer on another computer sent back (the address their browser
ended on, or the landing page's line), taken by the session's RemoteWork.

Opened with open(), never exec(): the qasync loop keeps running (and the other windows keep
working) while it is shown. A refusal keeps the text, so the operator can fix it; each window
keeps its one dialog, so what was pasted is still there after a Cancel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from wizard.ui import core
from wizard.ui.tasks import PageTask
from wizard.ui.widgets import StatusLine

if TYPE_CHECKING:
    from wizard.flow.remote import Finished
    from wizard.ui.remote_work import RemoteWork


def finished_words(finished: Finished) -> str:
    """How a taken answer ended, said where it was pasted."""
    result = finished.result
    if result is None:
        return finished.declined_words()
    if result.verified:
        checked = "verified"
    else:
        checked = f"not verified: {result.verification_note or 'Nylas did not confirm it'}"
    return f"{finished.label} connected: grant {result.grant_id} ({checked})."


class PasteAnswerDialog(QDialog):
    def __init__(
        self, parent: QWidget, remote: RemoteWork, on_finished: Callable[[Finished], None]
    ) -> None:
        super().__init__(parent)
        self.remote = remote
        self.on_finished = on_finished
        self.setObjectName("pasteAnswerDialog")
        self.setWindowTitle("Paste what the customer sent")
        self.resize(620, 300)
        layout = QVBoxLayout(self)
        self.text = QPlainTextEdit(self)
        self.text.setAccessibleName("What the customer sent")
        self.text.setTabChangesFocus(True)
        self.text.setPlaceholderText(
            "http://localhost:.../callback?code=...&state=...   or   "
            f"{core.LANDING_PREFIX} code=...&state=..."
        )
        label = QLabel(
            "&What the customer sent back: the whole address their browser showed at the end, "
            f"or the line starting with {core.LANDING_PREFIX} from the landing page. The rest "
            "of their message may come along: only the answer is read.",
            self,
        )
        label.setWordWrap(True)
        label.setBuddy(self.text)
        layout.addWidget(label)
        layout.addWidget(self.text, 1)
        self.status = StatusLine(self)
        layout.addWidget(self.status)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.task = PageTask(self)
        self.task.runningChanged.connect(lambda running: self.buttons.setEnabled(not running))

    def ask(self) -> None:
        """Shown (again): window-modal, the loop and the other windows run on."""
        if not self.task.running:
            self.status.clear()
        self.open()
        self.text.setFocus()

    def submit(self) -> None:
        text = self.text.toPlainText()
        if not text.strip():
            self.status.info("Paste what the customer sent first.")
            return
        self.status.busy(
            "Taking the answer: Nylas exchanges its code, then the grant is checked..."
        )
        self.task.start(self.remote.finish(text), self._finished, self._refused)

    def _finished(self, finished: Finished) -> None:
        self.text.clear()  # taken: the next answer starts from an empty box
        self.status.clear()
        self.accept()
        self.on_finished(finished)

    def _refused(self, exc: BaseException) -> None:
        # The text stays: the operator fixes it (or asks the customer again) and tries again.
        self.status.error(core.explain(exc).text())
        self.text.setFocus()

    def reject(self) -> None:
        # Not while an answer is being taken: its code may be exchanged already, and the
        # grant must reach the history and the queue.
        if not self.task.running:
            super().reject()


def paste_dialog(
    dialog: PasteAnswerDialog | None,
    parent: QWidget,
    remote: RemoteWork,
    on_finished: Callable[[Finished], None],
) -> PasteAnswerDialog:
    """`dialog` (a window's own, made on first use) shown."""
    if dialog is None:
        dialog = PasteAnswerDialog(parent, remote, on_finished)
    dialog.ask()
    return dialog
