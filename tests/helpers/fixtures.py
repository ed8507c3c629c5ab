"""The tests' fixtures, registered as a pytest plugin by tests/conftest.py.

Async tests run on anyio's pytest plugin (asyncio backend): mark them with
`pytestmark = pytest.mark.anyio`. Qt tests (tests/ui) share one session-scoped qasync loop that
the wizard's coroutines run on: pytest-qt's qtbot.waitUntil spins Qt's event loop, which runs
the qasync loop's callbacks. That loop is marked running only during each Qt test, so anyio
tests (which run their own loops) work in any order around these.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import keyring.backends.fail
import pytest

from tests.helpers.clock import FakeClock
from tests.helpers.sandbox import connect_api
from tests.helpers.secret_service import secret_service
from tests.helpers.store import MemoryKeyring, install_keyring
from wizard.sandbox import SandboxServer
from wizard.store.paths import AppPaths

__all__ = ["secret_service"]  # a fixture of its own module, offered to every test

if TYPE_CHECKING:
    import qasync
    from PySide6.QtWidgets import QApplication


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """A keyring in memory for this test, then whatever the process had."""
    backend = MemoryKeyring()
    with install_keyring(backend):
        yield backend


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """No usable keyring, as on a machine without a Secret Service."""
    with install_keyring(keyring.backends.fail.Keyring()):  # type: ignore[no-untyped-call]
        yield


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppPaths:
    """A home of the test's own (ZOOM_ONBOARD_HOME is tmp_path), and where the tool keeps
    its files there."""
    monkeypatch.setenv("ZOOM_ONBOARD_HOME", str(tmp_path))
    return AppPaths.default()


@pytest.fixture
def clock() -> FakeClock:
    """A sandbox clock at NOW that only the test moves."""
    return FakeClock()


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    """The in-process sandbox on its defaults, for this async test (a module that wants other
    options defines its own `sandbox`)."""
    async with SandboxServer() as running:
        yield running


@pytest.fixture
async def api(sandbox: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the test's `sandbox`'s Connect API, signed in."""
    async with connect_api(sandbox) as client:
        yield client


@pytest.fixture(scope="session")
def qt_loop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    from wizard.ui.event_loop import QtEventLoop

    loop = QtEventLoop(qapp, already_running=True)  # the app's own loop
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
    """The shared qasync loop, running for this Qt test, with a home of the test's own."""
    from tests.helpers.wizard import close_sessions

    monkeypatch.setenv("ZOOM_ONBOARD_HOME", str(tmp_path))
    asyncio.set_event_loop(qt_loop)
    # qasync's own trick for a loop that Qt already runs (private, as in qasync itself).
    asyncio.events._set_running_loop(qt_loop)
    try:
        yield qt_loop
    finally:
        close_sessions(qt_loop)
        # Never stop or close the shared loop (that quits the QApplication): cancel leftovers.
        for task in asyncio.all_tasks(qt_loop):
            task.cancel()
        asyncio.events._set_running_loop(None)
