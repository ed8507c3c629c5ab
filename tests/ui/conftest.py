"""Qt tests: one session-scoped qasync loop that the wizard's coroutines run on.

pytest-qt's qtbot.waitUntil spins Qt's event loop, which runs the qasync loop's callbacks.
The loop is marked running only during each Qt test, so anyio tests (which run their own
loops) work in any order around these.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import qasync
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
        # Never stop or close the shared loop (that quits the QApplication): cancel leftovers.
        for task in asyncio.all_tasks(qt_loop):
            task.cancel()
        asyncio.events._set_running_loop(None)
