"""The queue's vocabulary: an entry's states, an entry, a rejected import.

Import-light (the standard library and store/owner.py only) so that the window can name them
before the core is loaded; the queue itself (store/queue.py) is SQLite and loads later.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from wizard.store.owner import is_alive

__all__ = ["EntryState", "NewEntry", "QueueEntry", "QueueImportError"]


class EntryState(enum.StrEnum):
    WAITING = "waiting"
    IN_PROGRESS = "in progress"
    SENT = "sent"  # the link is out with a customer elsewhere, until their answer comes
    CONNECTED = "connected"
    REFUSED = "refused"
    SKIPPED = "skipped"
    FAILED = "failed"

    @property
    def done(self) -> bool:
        """Nothing more to do for it (clear --done removes these)."""
        return self in (EntryState.CONNECTED, EntryState.SKIPPED)


@dataclass(frozen=True)
class NewEntry:
    account_id: str | None  # Connect
    login_hint: str | None  # v3: the customer's Zoom email
    customer: str | None
    renews: str | None = None  # the grant a re-authentication renews

    @property
    def label(self) -> str:
        return self.customer or self.login_hint or self.account_id or ""


@dataclass(frozen=True)
class QueueEntry:
    id: int
    added_at: float
    account_id: str | None
    login_hint: str | None
    customer: str | None
    practice: bool
    state: EntryState
    grant_id: str | None
    email: str | None  # the Zoom user who consented
    reason: str | None  # why it was refused or failed
    updated_at: float
    owner: str | None = None  # host:pid of the window or command working on it
    sent_until: float | None = None  # SENT: until when the customer's link works
    renews: str | None = None  # the grant a re-authentication renews

    @property
    def label(self) -> str:
        return self.customer or self.login_hint or self.account_id or f"entry {self.id}"

    @property
    def interrupted(self) -> bool:
        """Left in progress by a window or command that is gone (a crash, a kill): never one
        that a running process (this one included) is working on."""
        return self.state is EntryState.IN_PROGRESS and not is_alive(self.owner)

    def link_expired(self, now: float) -> bool:
        """SENT, and the customer's link no longer works (the entry fails at the next sweep)."""
        return self.state is EntryState.SENT and (self.sent_until or 0) < now

    @property
    def to_work_on(self) -> bool:
        """What a run takes, in list order: a waiting entry, or an interrupted one."""
        return self.state is EntryState.WAITING or self.interrupted


class QueueImportError(ValueError):
    """Nothing was imported; `problems` holds (line number, what is wrong) for each bad line."""

    def __init__(self, problems: Sequence[tuple[int, str]]) -> None:
        self.problems = list(problems)
        shown = "; ".join(f"line {n}: {why}" for n, why in self.problems[:5])
        more = f"; and {len(self.problems) - 5} more" if len(self.problems) > 5 else ""
        super().__init__(
            f"Nothing was imported: {len(self.problems)} line(s) need fixing ({shown}{more}). "
            "Each line is an account id or a Zoom email, then optionally a customer reference."
        )
