"""PageTask: one coroutine per widget, its outcome delivered on the Qt thread."""

from __future__ import annotations

import asyncio

from pytestqt.qtbot import QtBot

from wizard.ui.tasks import PageTask

WAIT = 5_000


async def answer(value: int, delay: float = 0.0) -> int:
    await asyncio.sleep(delay)
    return value


async def fail() -> int:
    raise ValueError("no")


def test_running_lasts_until_the_outcome_has_been_delivered(qtbot: QtBot, loop: object) -> None:
    task = PageTask()
    seen: list[tuple[str, object, bool]] = []
    task.start(
        answer(7),
        lambda v: seen.append(("done", v, task.running)),
        lambda exc: seen.append(("error", exc, task.running)),
    )
    assert task.running
    # Whoever waits for "not running" finds the result already there (a race fixed here:
    # the asyncio task was done before its callback had run).
    qtbot.waitUntil(lambda: not task.running, timeout=WAIT)
    assert seen == [("done", 7, False)]


def test_an_error_reaches_on_error_and_a_new_start_cancels_the_old(
    qtbot: QtBot, loop: object
) -> None:
    task = PageTask()
    errors: list[BaseException] = []
    cancelled: list[bool] = []
    results: list[int] = []
    task.start(answer(1, delay=10), results.append, errors.append, lambda: cancelled.append(True))
    task.start(fail(), results.append, errors.append)  # replaces the slow one
    qtbot.waitUntil(lambda: not task.running, timeout=WAIT)
    qtbot.waitUntil(lambda: bool(cancelled), timeout=WAIT)
    assert results == [] and cancelled == [True]
    assert [str(e) for e in errors] == ["no"]
