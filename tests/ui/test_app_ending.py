"""How the running app ends when it is asked to from outside the window, each imitated here:

- macOS's Cmd+Q, Dock > Quit and logging out: Qt's Quit event to the application
  (QApplication.quit() in the app's own process; sent to the application under pytest-qt).
- Windows' end of a session: commitDataRequest (with a stand-in for its QSessionManager),
  then aboutToQuit and Quit.
- Ctrl+C in the console: a real SIGINT; Windows' (no loop.add_signal_handler) with that
  method raising NotImplementedError as asyncio's Windows loops do.

Each ends with exit 0, the session and its sandbox closed, and nothing at ERROR in the log.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.helpers import processes
from tests.helpers.wizard import WAIT, make
from wizard.flow.browser import no_browser
from wizard.ui.ending import Ending
from wizard.ui.wizard import OnboardingWizard

CLOSED = ("SANDBOX CLOSED", "SESSION CLOSED")
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="sends a POSIX SIGINT")


@pytest.mark.parametrize("how", ["quit", "session-end"])
def test_quit_and_session_end_close_the_window_and_exit_cleanly(how: str, tmp_path: Path) -> None:
    process = processes.start(tmp_path, "--when-shown", how, "--", "--sandbox")
    processes.assert_clean(processes.ended(process, tmp_path), *CLOSED)


@posix_only
@pytest.mark.parametrize("windows", [False, True], ids=["posix", "no-add_signal_handler"])
def test_ctrl_c_in_the_console_closes_the_window_and_exits_cleanly(
    windows: bool, tmp_path: Path
) -> None:
    flags = ["--no-signal-handlers"] if windows else []
    process = processes.start(tmp_path, *flags, "--when-shown", "say", "--", "--sandbox")
    before = processes.wait_for(process, "SHOWN")
    processes.interrupt(process)
    result = processes.ended(process, tmp_path, before)
    processes.assert_clean(result, *CLOSED)
    assert "interrupted (Ctrl+C): closing the window" in result.log


# ---- in this process: the questions ---------------------------------------------------


@pytest.fixture
def ending(qtbot: QtBot, loop: asyncio.AbstractEventLoop) -> Iterator[Ending]:
    wizard = make(qtbot, no_browser, api="v3")
    installed = Ending(wizard, loop)
    yield installed
    installed.remove()
    wizard.leaving.confirmed = True
    wizard.close()


def typed_settings(qtbot: QtBot, wizard: OnboardingWizard) -> None:
    field = wizard.zoom_app_page.zoom_id
    field.setText("")
    qtbot.keyClicks(field, "typed-zoom-id")  # type: ignore[no-untyped-call]
    assert wizard.pending_loss() is not None


def quit_event() -> QEvent:
    """What macOS's Cmd+Q, Dock > Quit and logout (and Windows' session end) send."""
    event = QEvent(QEvent.Type.Quit)
    application = QApplication.instance()
    assert application is not None
    QApplication.sendEvent(application, event)
    return event


def test_quit_asks_the_close_buttons_question_and_keep_open_keeps_it(
    qtbot: QtBot, ending: Ending
) -> None:
    wizard = ending.wizard
    typed_settings(qtbot, wizard)
    finished: list[int] = []
    wizard.finished.connect(finished.append)
    event = quit_event()
    box = wizard.leaving.question
    assert box is not None and "not saved in a profile" in box.text()
    assert not event.isAccepted()  # the system is told the quit was refused
    assert wizard.isVisible()
    box.reject()  # Keep open
    qtbot.waitUntil(lambda: wizard.leaving.question is None, timeout=WAIT)
    assert wizard.isVisible() and finished == []
    quit_event()
    box = wizard.leaving.question
    assert box is not None
    close = next(b for b in box.buttons() if "Close anyway" in b.text())
    close.click()
    qtbot.waitUntil(lambda: finished != [], timeout=WAIT)
    assert not wizard.isVisible()


def test_quit_with_nothing_to_lose_closes_the_window(qtbot: QtBot, ending: Ending) -> None:
    wizard = ending.wizard
    wizard.leaving.confirmed = False
    with qtbot.waitSignal(wizard.finished, timeout=WAIT):
        if wizard.pending_loss() is not None:
            pytest.fail(wizard.pending_loss() or "")
        event = quit_event()
    assert event.isAccepted()
    assert wizard.leaving.question is None


class Manager:
    """Stands in for the QSessionManager of Windows' WM_QUERYENDSESSION."""

    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


def test_windows_logoff_with_something_to_lose_is_cancelled_and_asked(
    qtbot: QtBot, ending: Ending
) -> None:
    wizard = ending.wizard
    typed_settings(qtbot, wizard)
    manager = Manager()
    ending.session_ending(manager)
    assert manager.cancelled
    box = wizard.leaving.question
    assert box is not None and "Close Zoom onboarding?" in box.windowTitle()
    assert wizard.isVisible()
    box.reject()


def test_windows_logoff_with_nothing_to_lose_goes_ahead(qtbot: QtBot, ending: Ending) -> None:
    manager = Manager()
    assert ending.wizard.pending_loss() is None
    ending.session_ending(manager)
    assert not manager.cancelled
    assert ending.wizard.leaving.question is None


def test_ctrl_c_closes_without_a_question(qtbot: QtBot, ending: Ending) -> None:
    wizard = ending.wizard
    typed_settings(qtbot, wizard)
    with qtbot.waitSignal(wizard.finished, timeout=WAIT):
        ending.interrupted()
    assert wizard.leaving.question is None
