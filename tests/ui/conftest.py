"""Qt tests: one session-scoped qasync loop that the wizard's coroutines run on.

pytest-qt's qtbot.waitUntil spins Qt's event loop, which runs the qasync loop's callbacks.
The loop is marked running only during each Qt test, so anyio tests (which run their own
loops) work in any order around these.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import qasync
import shiboken6
from PySide6.QtWidgets import QApplication


@pytest.fixture(scope="session")
def qt_loop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.events._set_running_loop(None)
    # Plain threads for getaddrinfo and to_thread: QThreads still alive at exit make Qt warn.
    executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="test-loop")
    loop.set_default_executor(executor)
    yield loop
    executor.shutdown(wait=True, cancel_futures=True)


@pytest.fixture
def loop(
    qt_loop: qasync.QEventLoop,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: object,  # never the real keyring of whoever runs the tests
) -> Iterator[qasync.QEventLoop]:
    monkeypatch.setenv("ZOOM_ONBOARD_HOME", str(tmp_path))
    asyncio.set_event_loop(qt_loop)
    # qasync's own trick for a loop that Qt already runs (private, as in qasync itself).
    asyncio.events._set_running_loop(qt_loop)
    try:
        yield qt_loop
    finally:
        # Every window's session closes as the app closes it (app.py): its flow's listeners
        # and its sandbox free their ports, instead of lingering into the next test.
        _close_sessions(qt_loop)
        # Never stop or close the shared loop (that quits the QApplication): cancel leftovers.
        for task in asyncio.all_tasks(qt_loop):
            task.cancel()
        asyncio.events._set_running_loop(None)


def _close_sessions(loop: qasync.QEventLoop) -> None:
    from wizard.ui.wizard import OnboardingWizard

    closing = [
        asyncio.ensure_future(widget.session.aclose())
        for widget in QApplication.topLevelWidgets()
        if isinstance(widget, OnboardingWizard) and shiboken6.isValid(widget)
    ]
    if not closing:
        return
    done = asyncio.gather(*closing, return_exceptions=True)
    deadline = time.monotonic() + 10
    while not done.done() and time.monotonic() < deadline:
        QApplication.processEvents()  # the qasync loop runs inside Qt's
        time.sleep(0.001)
