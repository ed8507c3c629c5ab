"""The work queue as this window works on it: which entry is being onboarded now, and every
write to the queue made off the Qt thread, in order.

The queue's rules (how an outcome becomes an entry's state, an entry's recorder) are Qt-free
(store/queue.py, flow/queue_rules.py); this class only orders the window's writes and says
each one with `changed`.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from wizard.store.entries import EntryState
from wizard.ui import core

if TYPE_CHECKING:
    from wizard.flow import LateAnswer
    from wizard.flow.onboarding import GrantRecorder
    from wizard.store.entries import QueueEntry
    from wizard.store.queue import WorkQueue


class QueueWork(QObject):
    changed = Signal()  # an entry was added, started or ended

    def __init__(
        self,
        store: Callable[[], WorkQueue],
        practice: Callable[[], bool],
        loaded: Callable[[], Awaitable[None]],
        spawn: Callable[[Coroutine[Any, Any, Any]], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._store, self._practice, self._loaded, self._spawn = store, practice, loaded, spawn
        self.current: QueueEntry | None = None  # the entry being onboarded now
        self._writes = asyncio.Lock()
        self._queued = 0  # writes asked for and not done yet
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def store(self) -> WorkQueue:
        return self._store()

    async def entries(self) -> list[QueueEntry]:
        await self._loaded()
        return await asyncio.to_thread(self.store.entries, practice=self._practice())

    async def next_entry(self) -> QueueEntry | None:
        await self._loaded()
        return await asyncio.to_thread(self.store.next_waiting, practice=self._practice())

    async def import_text(self, text: str) -> list[int]:
        """QueueImportError (nothing added) names every bad line."""
        await self._loaded()
        ids = await asyncio.to_thread(self.store.import_text, text, practice=self._practice())
        self.changed.emit()
        return ids

    async def claim(self, entry_id: int) -> QueueEntry | None:
        """Take an entry for the onboarding about to start (None: another window has it)."""
        if not await asyncio.to_thread(self.store.start, entry_id):
            return None
        entry = await asyncio.to_thread(self.store.get, entry_id)
        self.current = entry if entry.state is EntryState.IN_PROGRESS else None
        self.changed.emit()
        return self.current

    def ended(
        self,
        state: EntryState,
        *,
        grant_id: str | None = None,
        email: str | None = None,
        reason: str | None = None,
    ) -> None:
        """How the current entry's authorization ended. The entry stays current: Try again on
        the same page starts it again."""
        entry = self.current
        if entry is not None:
            finish = functools.partial(
                self.store.finish, entry.id, state, grant_id=grant_id, email=email, reason=reason
            )
            self._write(finish)

    def retried(self) -> None:
        """Try again after a refusal or a failure: the entry is in progress again."""
        if self.current is not None:
            self._write(functools.partial(self.store.start, self.current.id))

    def release(self) -> None:
        """The operator moved on to another account: the current entry is no longer worked on
        here (one that never ended goes back to waiting)."""
        entry, self.current = self.current, None
        if entry is not None:
            self._write(functools.partial(self.store.release, entry.id))

    def handed_off(self, entry_id: int) -> None:
        """Its link went to a customer elsewhere (SENT): no longer worked on in this window."""
        if self.current is not None and self.current.id == entry_id:
            self.current = None
        self.changed.emit()

    async def settled(self) -> None:
        """Every write asked for so far is done (a link sent for an entry must not be
        overtaken by the entry's own end, written just before)."""
        await self._idle.wait()

    def finish_late(self, event: LateAnswer) -> None:
        """An earlier link came back: its entry is decided by it."""
        self._write(functools.partial(core.finish_entry_late, self.store, event))

    async def change(self, action: str, entry_id: int) -> bool:
        """retry or skip, from the Queue window; False when the entry's state forbids it."""
        changed: bool = await asyncio.to_thread(getattr(self.store, action), entry_id)
        self.changed.emit()
        return changed

    async def clear_done(self) -> int:
        removed = await asyncio.to_thread(self.store.clear_done, practice=self._practice())
        self.changed.emit()
        return removed

    def recorder(self, recorder: GrantRecorder | None) -> GrantRecorder | None:
        """The history's recorder; with a current entry, one that also connects the entry the
        moment its grant is written (the same rule as `queue run`)."""
        entry = self.current
        if recorder is None or entry is None:
            return recorder
        return core.EntryRecorder(recorder, self.store, entry.id)

    def _write(self, write: Callable[[], object]) -> None:
        async def run() -> None:
            try:
                async with self._writes:  # FIFO: an end, then a Try again, in that order
                    await asyncio.to_thread(write)
                self.changed.emit()
            finally:
                self._queued -= 1
                if not self._queued:
                    self._idle.set()

        self._queued += 1
        self._idle.clear()
        self._spawn(run())
