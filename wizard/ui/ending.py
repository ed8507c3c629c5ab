"""Every way the app is asked to end goes through the window, never around the running loop.

- macOS: Cmd+Q, Dock > Quit and logging out; and Windows' end of a session (after
  commitDataRequest): Qt sends the application a Quit event, on which it would close the
  windows and stop its event loop under the app's coroutine (which then ends through the crash
  handler, with nothing closed). Here Quit closes the wizard as its close button does, asking
  the same questions (wizard/ui/leaving.py); the coroutine then closes the session and ends.
- Windows asks before a logoff or shutdown (commitDataRequest): with something to lose, the
  logoff is cancelled and the close question shown (a modal answer is not possible there).
- Ctrl+C in the console (and SIGTERM): the window closes without a question (the operator
  asked at the console); what it loses is logged.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication

from wizard.interrupts import on_interrupt

if TYPE_CHECKING:
    from wizard.ui.wizard import OnboardingWizard

log = logging.getLogger(__name__)

# Where Ctrl+C sets only a Python handler (Windows), Python must run now and then to notice.
_WAKE_MS = 200


class SessionManager(Protocol):
    """What commitDataRequest's QSessionManager is asked here."""

    def cancel(self) -> None: ...


class Ending(QObject):
    """Installed on the running application for the wizard's lifetime; `remove()` after."""

    def __init__(self, wizard: OnboardingWizard, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.wizard = wizard
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        self._app: QApplication = app
        self._app.installEventFilter(self)
        self._app.commitDataRequest.connect(self.session_ending, Qt.ConnectionType.DirectConnection)
        self._interrupts = on_interrupt(loop, self.interrupted)
        self._wake: QTimer | None = None
        if not self._interrupts.wakes_the_loop:
            self._wake = QTimer(self)
            self._wake.timeout.connect(lambda: None)
            self._wake.start(_WAKE_MS)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.Quit or watched is not self._app:
            return False
        # Qt must not stop its loop itself: the app's coroutine ends it, once closed.
        closed = self.wizard.isHidden() or self.wizard.close()
        log.info("asked to quit: %s", "closing" if closed else "the window asks first")
        event.setAccepted(closed)
        return True

    def session_ending(self, manager: SessionManager) -> None:
        """The system asks before a logoff or shutdown (Windows; X11 session managers)."""
        if self.wizard.isHidden() or self.wizard.leaving.confirmed:
            return
        if self.wizard.pending_loss() is None:
            return  # the Quit that follows closes the window
        log.info("logoff or shutdown cancelled: the window asks first")
        manager.cancel()
        self.wizard.leaving.may_close()  # the same question as the close button's

    def interrupted(self) -> None:
        if self.wizard.isHidden():
            return
        loss = self.wizard.pending_loss()
        if loss:
            log.warning("interrupted (Ctrl+C): closing the window. %s", loss)
        else:
            log.info("interrupted (Ctrl+C): closing the window")
        self.wizard.leaving.confirmed = True
        self.wizard.close()

    def remove(self) -> None:
        self._interrupts.restore()
        if self._wake is not None:
            self._wake.stop()
        self._app.removeEventFilter(self)
        self._app.commitDataRequest.disconnect(self.session_ending)
