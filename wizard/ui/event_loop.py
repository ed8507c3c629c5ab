"""The wizard's asyncio loop: qasync's, with timers that let go the moment they are cancelled.

qasync (0.28) keeps every `call_later` handle in its timer table until its delay has passed,
cancelled or not (upstream qasync#35). A flow cancels dozens of long timeouts per account
(httpx's, the listener's deadline, asyncio.timeout), so a window onboarding accounts back to back
held each handle, and whatever its callback references, for minutes: about 190 KiB per account.
Here a handle's cancel() kills its Qt timer and drops it at once; the rest is qasync's loop.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import qasync
from PySide6.QtCore import QObject, QTimerEvent
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

T = TypeVar("T")
H = TypeVar("H", bound=asyncio.Handle)


class _TimerHandle(asyncio.Handle):
    """A handle that tells its timer table when it is cancelled, as asyncio's TimerHandle tells
    its loop."""

    __slots__ = ("_timers", "timer_id")

    def __init__(
        self,
        callback: Callable[..., object],
        args: tuple[Any, ...],
        loop: asyncio.AbstractEventLoop,
        context: contextvars.Context | None,
        timers: _Timers,
    ) -> None:
        super().__init__(callback, args, loop, context)
        self._timers = timers
        self.timer_id = 0

    def cancel(self) -> None:
        if not self.cancelled():
            super().cancel()
            self._timers.forget(self)


class _Timers(QObject):
    """qasync's timer table (the interface its loop calls: add_callback, stop, set_debug), except
    that a cancelled handle leaves it at once, when cancelled on the loop's own thread. From
    another thread (Qt cannot kill a timer there) it stays until its time and is skipped, as in
    qasync."""

    def __init__(self) -> None:
        super().__init__()
        self._handles: dict[int, asyncio.Handle] = {}
        self._thread = threading.get_ident()
        self._stopped = False
        self._debug = False

    def add_callback(self, handle: H, delay: float = 0) -> H:
        """`handle` is ours from call_later, or asyncio's own (a signal's, added by the base
        loop), which can only be skipped when its time comes."""
        timer_id = self.startTimer(int(max(0.0, delay) * 1000))
        if isinstance(handle, _TimerHandle):
            handle.timer_id = timer_id
        self._handles[timer_id] = handle
        return handle

    def forget(self, handle: _TimerHandle) -> None:
        if threading.get_ident() != self._thread:
            return
        if self._handles.pop(handle.timer_id, None) is handle:
            self.killTimer(handle.timer_id)

    def pending(self) -> int:
        """How many handles wait for their time (for tests and diagnostics)."""
        return len(self._handles)

    def timerEvent(self, event: QTimerEvent) -> None:
        timer_id = event.timerId()
        self.killTimer(timer_id)
        handle = self._handles.pop(timer_id, None)
        if handle is None or handle.cancelled() or self._stopped:
            return
        if not self._debug:
            handle._run()
            return
        started = time.monotonic()
        handle._run()
        took = time.monotonic() - started
        loop = asyncio.get_event_loop()
        if took >= loop.slow_callback_duration:
            log.warning("Executing %s took %.3f seconds", handle, took)

    def stop(self) -> None:
        self._stopped = True

    def set_debug(self, enabled: bool) -> None:
        self._debug = enabled


class QtEventLoop(qasync.QEventLoop):  # type: ignore[misc]  # qasync has no type hints
    """qasync's QEventLoop with `_Timers` in place of its timer table."""

    def __init__(self, app: QApplication | None = None, *, already_running: bool = False) -> None:
        super().__init__(app, already_running=already_running)
        self._timer = _Timers()

    def call_later(
        self,
        delay: float,
        callback: Callable[..., object],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.Handle:
        # The checks qasync.QEventLoop.call_later makes, in its words.
        if inspect.iscoroutinefunction(callback):
            raise TypeError("coroutines cannot be used with call_later")
        if not callable(callback):
            raise TypeError(f"callback must be callable: {type(callback).__name__}")
        timers: _Timers = self._timer
        return timers.add_callback(_TimerHandle(callback, args, self, context, timers), delay)

    def pending_timers(self) -> int:
        """Handles waiting in the timer table, cancelled ones never among them."""
        timers: _Timers = self._timer
        return timers.pending()


def run(main: Coroutine[Any, Any, T]) -> T:
    """`main` on a QtEventLoop over the one QApplication, as qasync.run does with its own."""
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    with asyncio.Runner(loop_factory=lambda: QtEventLoop(app)) as runner:
        return runner.run(main)
