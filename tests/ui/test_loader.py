"""The one loader thread: jobs in order, the operator's first, one job shared by all who ask."""

from __future__ import annotations

import asyncio
import functools
import gc
import sys
import threading
from typing import TYPE_CHECKING

import pytest

from wizard.ui import loader
from wizard.ui.app import LOADING_SWITCH_INTERVAL, load_the_rest

if TYPE_CHECKING:
    from pytestqt.qtbot import QtBot

WAIT = 5.0


def _blocked_loader() -> threading.Event:
    """The loader busy on a job until the returned event is set."""
    release, started = threading.Event(), threading.Event()

    def hold() -> None:
        started.set()
        release.wait(WAIT)

    loader.submit(hold)
    assert started.wait(WAIT)
    return release


def test_a_job_asked_for_first_overtakes_those_waiting_not_the_running_one() -> None:
    ran: list[str] = []
    release = _blocked_loader()
    later = [loader.submit(functools.partial(ran.append, n)) for n in ("a", "b")]
    urgent = loader.submit(lambda: ran.append("first"), first=True)
    release.set()
    for future in (*later, urgent):
        future.result(WAIT)
    assert ran == ["first", "a", "b"]


def test_once_runs_a_job_once_and_hands_everyone_its_future() -> None:
    calls: list[int] = []

    def load() -> int:
        calls.append(1)
        return len(calls)

    release = _blocked_loader()
    queued = loader.once(load)  # the start-up's
    asked = loader.once(load, first=True)  # the page's, later: the same job
    release.set()
    assert asked is queued
    assert asked.result(WAIT) == 1
    assert loader.once(load).result(WAIT) == 1
    assert calls == [1]


def test_a_failing_job_hands_its_exception_to_whoever_waits() -> None:
    def broken() -> None:
        raise ImportError("cannot import name 'X'")

    with pytest.raises(ImportError, match="cannot import name"):
        loader.submit(broken).result(WAIT)


def test_loading_the_rest_yields_the_gil_more_often_until_done_then_freezes(
    loop: object, qtbot: QtBot
) -> None:
    before = sys.getswitchinterval()
    loaded = load_the_rest()
    try:
        assert sys.getswitchinterval() == LOADING_SWITCH_INTERVAL
        qtbot.waitUntil(loaded.done, timeout=int(WAIT * 1000))
        assert sys.getswitchinterval() == before
        assert gc.get_freeze_count() > 0  # what start-up made (wizard/memory.py)
    finally:
        gc.unfreeze()


def test_a_cancelled_awaiter_does_not_cancel_the_job_others_share(
    loop: asyncio.AbstractEventLoop, qtbot: QtBot
) -> None:
    """The first page's profile bar cancels its task when Save is clicked or the window closes:
    the shared job goes on, and the next window's request gets its result."""

    def load() -> str:
        return "profiles loaded"

    release = _blocked_loader()
    first = loop.create_task(loader.once_on_loader(load))
    qtbot.wait(10)  # the task is awaiting the shared job, still waiting on the loader
    first.cancel()
    qtbot.waitUntil(first.done, timeout=int(WAIT * 1000))
    release.set()
    assert loader.once(load).result(WAIT) == "profiles loaded"
    again = loop.create_task(loader.once_on_loader(load))
    qtbot.waitUntil(again.done, timeout=int(WAIT * 1000))
    assert again.result() == "profiles loaded"
