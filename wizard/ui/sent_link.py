"""A link made for a customer on another computer, as the operator sees it: the message to send
them (read-only, Copy message), what happens next, and, on the consent page, the whole of it:
The customer is not here... and Paste answer...."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from wizard.ui import core
from wizard.ui.paste_answer import PasteAnswerDialog, finished_words, paste_dialog
from wizard.ui.remote_work import answers
from wizard.ui.tasks import PageTask
from wizard.ui.widgets import CopyButton, StatusLine

if TYPE_CHECKING:
    from wizard.flow import CustomerAccount
    from wizard.flow.remote import Finished, SentLink
    from wizard.ui.session import WizardSession

NO_KEYRING = (
    "No system keyring: the link's secret is kept in this window's memory only, so the link "
    "works only while this window stays open. Take the customer's answer before closing it."
)


def next_steps(sent: SentLink, poll_seconds: int) -> str:
    """What the operator does once the message is sent (and what they do not have to do)."""
    until = sent.until
    if sent.api == "connect":
        return (
            f"Nothing comes back: this window asks Nylas every {poll_seconds} s while the link "
            f"works (until {until}), and the entry connects by itself."
        )
    sent_back = "the landing page's line" if sent.landing_page else "the address"
    return (
        f"When the customer sends back {sent_back}, use Paste answer... on the consent page or "
        f"in the Queue window. The link works until {until}. {core.CODE_LIFETIME}"
    )


class SentLinkView(QWidget):
    """The message for one sent link, Copy message, and what happens next."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.heading = QLabel(self)
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)
        self.message = QPlainTextEdit(self)
        self.message.setReadOnly(True)
        self.message.setAccessibleName("Message for the customer")
        self.message.setMaximumHeight(150)
        self.heading.setBuddy(self.message)
        layout.addWidget(self.message)
        self.row = QHBoxLayout()
        self.copy = CopyButton(self.message, "Copy &message", self)
        self.row.addWidget(self.copy)
        self.row.addStretch(1)
        layout.addLayout(self.row)
        self.next_steps = QLabel(self)
        self.next_steps.setWordWrap(True)
        self.next_steps.setAccessibleName("What happens next")
        layout.addWidget(self.next_steps)
        self.warning = StatusLine(self)
        layout.addWidget(self.warning)
        self.sent: SentLink | None = None
        self.setVisible(False)

    def show_sent(self, sent: SentLink, poll_seconds: int) -> None:
        self.sent = sent
        self.heading.setText(f"Message for {sent.account.label}: send it by email or chat.")
        self.message.setPlainText(sent.message())
        self.next_steps.setText(next_steps(sent, poll_seconds))
        if sent.survives_restart:
            self.warning.clear()
        else:
            self.warning.error(NO_KEYRING)
        self.setVisible(True)

    def clear(self) -> None:
        self.sent = None
        self.message.clear()
        self.setVisible(False)


class RemoteConsent(QWidget):
    """The consent page's way for a customer elsewhere: its `not_here` button goes in the page's
    row of buttons; the message, Copy and Paste answer... show below once a link is sent."""

    connectedHere = Signal(object)  # the OnboardingResult of the link sent from this page

    def __init__(
        self, session: Callable[[], WizardSession], status: StatusLine, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self._session, self.status = session, status
        self.not_here = QPushButton("The c&ustomer is not here...", parent)
        self.not_here.setAutoDefault(False)
        self.not_here.setToolTip(
            "Make a link to send the customer by email or chat; their answer is pasted here later"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.view = SentLinkView(self)
        layout.addWidget(self.view)
        self.paste = QPushButton("&Paste answer...", self)
        self.paste.setAutoDefault(False)
        self.paste.clicked.connect(self.open_paste)
        self.view.row.insertWidget(1, self.paste)
        self.sending = PageTask(self)
        self.sending.runningChanged.connect(lambda running: self.not_here.setEnabled(not running))
        self.dialog: PasteAnswerDialog | None = None

    def send(self, account: CustomerAccount, entry_id: int | None) -> None:
        """A link for this page's account (and entry); the page ended its own wait."""
        session = self._session()
        self.status.busy(f"Making a link to send to {account.label}...")
        self.sending.start(session.remote.send(account, entry_id), self._sent, self._not_sent)

    def _sent(self, sent: SentLink) -> None:
        self.view.show_sent(sent, self._session().remote.poll_interval // 1000)
        self.not_here.setVisible(False)
        self.status.ok(
            "The link is made and kept: copy the message below and send it to the customer. "
            "You can go on with the next customer meanwhile."
        )
        self.view.copy.setFocus()

    def _not_sent(self, exc: BaseException) -> None:
        self.status.error(f"No link was made: {core.explain(exc).text()}")

    def open_paste(self) -> None:
        self.dialog = paste_dialog(
            self.dialog, self.window(), self._session().remote, self._answered
        )

    def _answered(self, finished: Finished) -> None:
        words = finished_words(finished)
        sent = self.view.sent
        if finished.result is not None and sent is not None and answers(sent, finished):
            self.status.ok(words)
            self.connectedHere.emit(finished.result)  # on to Done, as a local consent goes
        elif finished.result is not None:
            self.status.ok(words)
        else:
            self.status.info(words)

    def reset(self) -> None:
        """A new attempt on the page (Try again, another account)."""
        self.sending.cancel()
        self.view.clear()
        self.not_here.setVisible(True)
        self.not_here.setEnabled(True)
