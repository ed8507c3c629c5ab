"""The wizard's loop lets go of a cancelled timer at once (qasync#35 kept it until its time)."""

from __future__ import annotations

import asyncio
import gc
import threading
import weakref
from typing import TYPE_CHECKING

import pytest

from wizard.ui.event_loop import QtEventLoop

if TYPE_CHECKING:
    from pytestqt.qtbot import QtBot

HOUR = 3600.0


class _Payload:
    """Stands for what a real timeout's callback holds: a future, a response, a task."""

    def poke(self) -> None:
        raise AssertionError("a cancelled timer ran")


def _spin(qtbot: QtBot, until: object) -> None:
    qtbot.waitUntil(until, timeout=2000)  # type: ignore[arg-type]


def test_the_fixture_loop_is_the_apps(loop: QtEventLoop) -> None:
    assert type(loop) is QtEventLoop


def test_cancelled_timers_leave_the_table_and_free_what_they_hold(loop: QtEventLoop) -> None:
    before = loop.pending_timers()
    payloads = [_Payload() for _ in range(100)]
    refs = [weakref.ref(p) for p in payloads]
    handles = [loop.call_later(HOUR, p.poke) for p in payloads]
    assert loop.pending_timers() == before + 100
    for handle in handles:
        handle.cancel()
    del payloads, handles
    gc.collect()
    assert loop.pending_timers() == before
    assert all(ref() is None for ref in refs)


def test_a_cancelled_timer_never_runs_and_others_still_do(loop: QtEventLoop, qtbot: QtBot) -> None:
    ran: list[str] = []
    cancelled = loop.call_later(0.01, ran.append, "cancelled")
    loop.call_later(0.02, ran.append, "kept")
    cancelled.cancel()
    cancelled.cancel()  # twice is harmless
    _spin(qtbot, lambda: ran == ["kept"])
    qtbot.wait(30)
    assert ran == ["kept"]


def test_call_soon_keeps_its_order(loop: QtEventLoop, qtbot: QtBot) -> None:
    seen: list[int] = []
    for n in range(50):
        loop.call_soon(seen.append, n)
    _spin(qtbot, lambda: len(seen) == 50)
    assert seen == list(range(50))


def test_a_timeout_that_did_not_fire_is_gone_with_its_await(
    loop: QtEventLoop, qtbot: QtBot
) -> None:
    before = loop.pending_timers()

    async def quick() -> str:
        async with asyncio.timeout(HOUR):
            await asyncio.sleep(0)
        return await asyncio.wait_for(asyncio.sleep(0, "done"), HOUR)

    task = loop.create_task(quick())
    _spin(qtbot, task.done)
    assert task.result() == "done"
    assert loop.pending_timers() == before


def test_a_cancel_from_another_thread_is_skipped_when_its_time_comes(
    loop: QtEventLoop, qtbot: QtBot
) -> None:
    """Qt cannot kill a timer from another thread (it would warn, and warnings fail tests): the
    handle stays in the table until its time, and does not run, as in qasync."""
    ran: list[str] = []
    handle = loop.call_later(0.05, ran.append, "ran")
    worker = threading.Thread(target=handle.cancel)
    worker.start()
    worker.join()
    assert handle.cancelled()
    before = loop.pending_timers()
    assert before >= 1
    _spin(qtbot, lambda: loop.pending_timers() == before - 1)
    assert ran == []


def test_coroutine_functions_are_refused_as_in_qasync(loop: QtEventLoop) -> None:
    async def coroutine() -> None:
        return None

    with pytest.raises(TypeError, match="coroutines cannot be used with call_later"):
        loop.call_later(1, coroutine)
    with pytest.raises(TypeError, match="callback must be callable: int"):
        loop.call_later(1, 5)  # type: ignore[arg-type]


def test_asyncios_own_handles_still_run(loop: QtEventLoop, qtbot: QtBot) -> None:
    """The base loop adds plain Handles itself (a signal's callback, call_soon_threadsafe's)."""
    ran: list[str] = []
    loop._add_callback(asyncio.Handle(ran.append, ("plain",), loop))
    _spin(qtbot, lambda: ran == ["plain"])
