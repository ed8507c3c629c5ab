"""Running the flow's coroutines from Qt widgets on the one qasync loop.

Results and exceptions come back to the widget through callbacks run on the Qt thread; a page
cancels its task when it is left, so no wait outlives the page that started it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Signal

from wizard.ui import core

log = logging.getLogger(__name__)

T = TypeVar("T")


def _log_if_unexpected(exc: Exception) -> None:
    # The page shows "Unexpected error: X, copy the diagnostics": the traceback must be in them.
    if core.explain(exc).type == "internal":
        log.error("unexpected error in a page task", exc_info=exc)


class PageTask(QObject):
    """At most one running coroutine; starting another cancels the previous one."""

    runningChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._task: asyncio.Task[Any] | None = None

    @property
    def running(self) -> bool:
        """Until its outcome has reached the widget: a task that is done but whose callback
        has not run yet is still running (a caller waiting on this then sees the result)."""
        return self._task is not None

    def start(
        self,
        coro: Coroutine[Any, Any, T],
        on_done: Callable[[T], None],
        on_error: Callable[[BaseException], None],
        on_cancel: Callable[[], None] | None = None,
    ) -> None:
        self.cancel()
        task = asyncio.ensure_future(coro)
        self._task = task

        def finished(t: asyncio.Task[T]) -> None:
            if not shiboken6.isValid(self):
                # The widget is gone (window closed): nobody is left to tell. Retrieve the
                # exception so asyncio does not report it as never retrieved.
                if not t.cancelled():
                    t.exception()
                return
            if self._task is t:
                self._task = None
                self.runningChanged.emit(False)
            if t.cancelled():
                if on_cancel is not None:
                    on_cancel()
                return
            exc = t.exception()
            if exc is not None:
                if not isinstance(exc, Exception):  # KeyboardInterrupt, SystemExit
                    raise exc
                _log_if_unexpected(exc)
                on_error(exc)
            else:
                on_done(t.result())

        task.add_done_callback(finished)
        self.runningChanged.emit(True)

    def cancel(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None
