"""Ctrl+C (and a polite kill) as a request to finish, on every platform.

asyncio's `loop.add_signal_handler` exists only on POSIX; on Windows it raises
NotImplementedError, and Ctrl+C would end a program with KeyboardInterrupt in the middle of
whatever it was doing. Here both end the same way: `stop` is called on the loop, and the
program closes what it opened and exits normally.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from types import FrameType

_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGBREAK") if hasattr(signal, name)
)


def on_interrupt(loop: asyncio.AbstractEventLoop, stop: Callable[[], None]) -> Interrupts:
    """Call `stop` on `loop` at Ctrl+C, Ctrl+Break (Windows) or SIGTERM, until `restore()`."""
    return Interrupts(loop, stop)


class Interrupts:
    def __init__(self, loop: asyncio.AbstractEventLoop, stop: Callable[[], None]) -> None:
        self._loop = loop
        self._stop = stop
        self._by_loop: list[int] = []
        self._previous: dict[int, object] = {}
        for sig in _SIGNALS:
            try:  # POSIX: the loop also wakes up for it, whatever it is waiting for
                loop.add_signal_handler(sig, stop)
                self._by_loop.append(sig)
            except (NotImplementedError, RuntimeError, ValueError):
                self._by_hand(sig)

    @property
    def wakes_the_loop(self) -> bool:
        """False where only a Python handler was set (Windows): a loop waiting in native code
        (Qt's) notices it only when Python next runs."""
        return not self._previous

    def _by_hand(self, sig: int) -> None:
        def handler(_signum: int, _frame: FrameType | None) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nothing to stop
                self._loop.call_soon_threadsafe(self._stop)

        with contextlib.suppress(ValueError, OSError):  # not the main thread; no such signal
            self._previous[sig] = signal.signal(sig, handler)

    def restore(self) -> None:
        for sig in self._by_loop:
            with contextlib.suppress(RuntimeError, ValueError):
                self._loop.remove_signal_handler(sig)
        self._by_loop = []
        for sig, previous in self._previous.items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(sig, previous)  # type: ignore[arg-type]
        self._previous = {}
