"""Page 5: the auth request, the browser, and the wait for the customer's consent."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from wizard.store.entries import EntryState
from wizard.ui import core
from wizard.ui.pages.base import BasePage
from wizard.ui.sent_link import RemoteConsent
from wizard.ui.tasks import PageTask
from wizard.ui.widgets import CopyButton, StatusLine

if TYPE_CHECKING:
    from wizard.flow import FlowEvent, OnboardingResult
    from wizard.store.entries import QueueEntry

log = logging.getLogger(__name__)

NO_BROWSER = (
    "The browser could not be opened. Copy the link and open it in a browser on this computer."
)
WHEN_TO_COPY = (
    "Use <b>Copy link</b> to open the sign-in link in a private window <i>on this computer</i> "
    "when the browser did not open, or when your own Zoom account is signed in there (consent "
    "given there would connect <i>your</i> Zoom user, not the customer's). This link works only "
    "here: Zoom sends the browser back to this computer. For a customer on another computer, "
    "use <i>The customer is not here...</i>: it makes a link to send them."
)


def late_note(expires_at: float | None) -> str:
    """Said when the wait ends but the link still works: the customer may still click Allow,
    and this window still listens for it (on v3 nothing else could turn it into a grant)."""
    until = time.strftime("%H:%M", time.localtime(expires_at)) if expires_at else "it expires"
    return (
        f"This window keeps listening for the old link until {until}: if the customer still "
        "allows with it, the grant is recorded and said here."
    )


class AuthorizationPage(BasePage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "Customer consent",
            "The customer signs in to Zoom in the browser and clicks Allow. This page moves on "
            "by itself when Zoom sends the browser back.",
            parent,
        )
        self.status = StatusLine(self)
        self.body.addWidget(self.status)
        self._add_link()
        # A customer on another computer: a link to send them, their answer pasted back.
        self.remote = RemoteConsent(lambda: self.session, self.status, self)
        self.remote.not_here.clicked.connect(self._not_here)
        self.remote.connectedHere.connect(self._answered_by_link)
        self._going_remote = False  # the wait is cancelled for a link sent elsewhere
        self._add_buttons()
        self.body.addWidget(self.remote)
        self.body.addStretch(1)

        self._expires_at: float | None = None
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._update_countdown)
        self.stop.clicked.connect(self.task.cancel)
        self.try_again.clicked.connect(self.start)
        self.open_again.clicked.connect(self._open_again)
        self._result: OnboardingResult | None = None
        self._connected = False
        self._opening: asyncio.Future[None] | None = None
        self._launch_url = ""

    def _add_link(self) -> None:
        """The sign-in link, how to copy or open it again, and the time it has left."""
        self.url = QLineEdit(self)
        self.url.setReadOnly(True)
        self.url.setAccessibleName("Authorization link")
        self.copy = CopyButton(self.url, "&Copy link", self)
        self.open_again = QPushButton("&Open again", self)
        self.open_again.setAutoDefault(False)
        self.open_again.setAccessibleName("Open the link in the browser again")
        url_row = QHBoxLayout()
        url_row.addWidget(self.url, 1)
        url_row.addWidget(self.copy)
        url_row.addWidget(self.open_again)
        self.body.addLayout(url_row)
        self.when_to_copy = QLabel(WHEN_TO_COPY, self)
        self.when_to_copy.setWordWrap(True)
        self.when_to_copy.setTextFormat(Qt.TextFormat.RichText)
        self.body.addWidget(self.when_to_copy)

        self.countdown = QLabel(self)
        self.countdown.setAccessibleName("Time left")
        self.body.addWidget(self.countdown)

    def _add_buttons(self) -> None:
        buttons = QHBoxLayout()
        self.stop = QPushButton("&Stop waiting", self)
        self.stop.setAutoDefault(False)
        self.try_again = QPushButton("&Try again", self)
        self.try_again.setAutoDefault(False)
        self.try_again.setToolTip("Create a new authorization link and wait again")
        # After a refusal, a timeout or Stop waiting, the queue's next customer is one action
        # away (it was Back, then Next from the queue).
        self.next_customer = QPushButton(self)
        self.next_customer.setVisible(False)
        self.next_customer.clicked.connect(self._start_next_customer)
        self.offer = PageTask(self)
        self._next_entry: int | None = None
        buttons.addWidget(self.stop)
        buttons.addWidget(self.try_again)
        buttons.addWidget(self.remote.not_here)
        buttons.addWidget(self.next_customer)
        buttons.addStretch(1)
        self.body.addLayout(buttons)

    # -- lifecycle -------------------------------------------------------------------------

    def initializePage(self) -> None:
        super().initializePage()
        if not self._connected:
            self.session.flowEvent.connect(self._on_event)
            self._connected = True
        self.start()

    def cleanupPage(self) -> None:
        super().cleanupPage()
        self._tick.stop()

    def start(self) -> None:
        session, flow = self.session, self.session.flow
        assert flow is not None and session.account is not None and session.spec is not None
        self._result = None
        self.remote.reset()
        session.work.retried()  # Try again on a queue entry: in progress once more
        self._launch_url = ""
        self._expires_at = None
        self.url.clear()
        for widget in (self.url, self.copy, self.open_again):
            widget.setEnabled(True)
        self._show_link(False)
        self._set_waiting(True)
        self.status.busy("Creating the authorization request...")
        self.countdown.clear()
        entry = session.work.current
        self.task.start(
            flow.authorize(
                session.account,
                session.spec.redirect_uri,
                recorder=session.work.recorder(session.recorder),
                tag=entry.id if entry is not None else None,  # a late answer finds its entry
            ),
            self._done,
            self._failed,
            self._cancelled,
        )

    def isComplete(self) -> bool:
        return self._result is not None

    # -- events from the flow --------------------------------------------------------------

    def _on_event(self, event: FlowEvent) -> None:
        if not self.task.running:
            return
        match event:
            case core.AuthUrlReady(url, expires_at, _, launch_url):
                self._launch_url = launch_url
                self.url.setText(url)
                self.url.setCursorPosition(0)
                self._show_link(True)
                self._expires_at = expires_at
                self._update_countdown()
                self._tick.start()
                self.status.busy("Opening the browser...")
            case core.BrowserLaunched(claimed) if not claimed:
                self.status.info(NO_BROWSER)
            case core.BrowserSilent():
                self.status.info(
                    "No browser has opened the link yet: the browser may not have "
                    "started. Use Open again, or Copy link and open it in a browser on this "
                    "computer."
                )
            case core.BrowserReached():
                self.status.busy(
                    "The browser opened the sign-in link. Waiting for the customer to sign "
                    "in to Zoom and click Allow..."
                )
            case core.AnswerRejected(reason):
                # Said here as well as in the browser: the operator may not see that tab.
                self.status.info(
                    f"The answer that came back was not accepted: {reason} Still waiting for "
                    "the right Zoom user to click Allow; or Stop waiting."
                )
            case core.GrantCaptured(grant_id):
                self.owner().come_forward()  # no window switch for the operator
                self.status.busy(f"Grant {grant_id} received and saved. Verifying it with Nylas...")
            case _:
                pass

    def _open_again(self) -> None:
        url = self._launch_url or self.url.text()
        if url:
            # Not in the page task (that is the wait); only the listener proves it opened.
            self._opening = asyncio.ensure_future(self._open(url))

    async def _open(self, url: str) -> None:
        try:
            claimed = await self.session.opener(url)
        except Exception:  # an opener failing is "no browser", never a crash
            log.exception("opening the browser again failed")
            claimed = False
        if not claimed and self.task.running:
            self.status.info(NO_BROWSER)

    # -- outcomes --------------------------------------------------------------------------

    def _done(self, result: OnboardingResult) -> None:
        self._tick.stop()
        self._result = result
        self.session.record_result(result)
        self.session.work.ended(EntryState.CONNECTED, grant_id=result.grant_id, email=result.email)
        self._set_waiting(False)
        self.status.ok("Zoom is connected.")
        self.completeChanged.emit()
        self.owner().next()

    def _failed(self, exc: BaseException) -> None:
        self._tick.stop()
        self._set_waiting(False)
        self._retire_link(still_listened=isinstance(exc, core.ListenerTimeout))
        text = core.explain(exc).text()
        refused = isinstance(exc, core.CallbackRefused)
        if refused:
            self.owner().come_forward()  # the customer answered: the next step is here
        self.session.work.ended(core.entry_state_after(exc), reason=text)
        if isinstance(exc, core.ListenerTimeout):
            text += " " + late_note(self._expires_at)
        if isinstance(exc, core.PortInUse):
            # The port was free on the Zoom app page; past the commit page it cannot change.
            text += " Close that program and use Try again."
        self.status.error(text)
        self.try_again.setFocus()
        self._offer_next_customer()

    def _cancelled(self) -> None:
        self._tick.stop()
        self._set_waiting(False)
        self._retire_link(still_listened=True)
        note = late_note(self._expires_at)
        if self._going_remote:  # the entry goes with the link sent; the panel says how
            self._going_remote = False
        else:
            self.session.work.ended(EntryState.FAILED, reason=f"Stopped waiting. {note}")
            self.status.info(f"Stopped waiting. {note} Use Try again for a new link.")
        self._offer_next_customer()

    def _not_here(self) -> None:
        """The customer is on another computer: the wait here ends (its link is still
        listened for) and a link for the same account and queue entry is made to send them."""
        account, entry = self.session.account, self.session.work.current
        assert account is not None
        self._going_remote = self.task.running
        self.task.cancel()
        self._show_link(False)  # this computer's link is not the customer's: room for theirs
        self.remote.send(account, entry.id if entry is not None else None)

    def _answered_by_link(self, result: OnboardingResult) -> None:
        """The answer to the link sent from this page was pasted here: on to Done."""
        self._result = result
        self.session.show_result(result)  # counted when it was taken
        self.completeChanged.emit()
        self.owner().next()

    def _offer_next_customer(self) -> None:
        self.offer.start(self.session.work.next_entry(), self._offered, lambda _exc: None)

    def _offered(self, entry: QueueEntry | None) -> None:
        current = self.session.work.current
        if entry is None or self.task.running or (current is not None and entry.id == current.id):
            return
        self._next_entry = entry.id
        self.next_customer.setText(f"Ne&xt customer: {entry.label}")
        self.next_customer.setVisible(True)
        self.next_customer.setDefault(True)  # Return moves on; Try again stays one click away
        self.next_customer.setFocus()

    def _start_next_customer(self) -> None:
        if self._next_entry is not None:
            self.owner().start_entry(self._next_entry)

    def _retire_link(self, *, still_listened: bool = False) -> None:
        """The page offers no old link: Try again makes a new one (the old one, after a
        timeout or Stop waiting, still works and is still listened for)."""
        self.url.clear()
        for widget in (self.url, self.copy, self.open_again):
            widget.setEnabled(False)
        self.countdown.clear()
        if self._expires_at is not None and still_listened:
            until = time.strftime("%H:%M", time.localtime(self._expires_at))
            self.countdown.setText(
                f"The old link still works until {until}, and this window still listens for it."
            )

    # -- helpers ---------------------------------------------------------------------------

    def _set_waiting(self, waiting: bool) -> None:
        if waiting:
            self.offer.cancel()
            self._next_entry = None
            self.next_customer.setVisible(False)
            self.next_customer.setDefault(False)
        self.stop.setVisible(waiting)
        self.try_again.setVisible(not waiting)
        self.open_again.setEnabled(waiting)

    def _show_link(self, shown: bool) -> None:
        for widget in (self.url, self.copy, self.open_again, self.when_to_copy):
            widget.setVisible(shown)

    def _update_countdown(self) -> None:
        if self._expires_at is None:
            return
        left = int(self._expires_at - time.time())
        if left <= 0:
            self.countdown.setText("The link has expired. Use Try again for a new one.")
        else:
            self.countdown.setText(f"The link expires in {left // 60}:{left % 60:02d}.")
