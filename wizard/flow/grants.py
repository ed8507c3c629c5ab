"""The grants that need attention: the application's Zoom grants as Nylas knows them (Nylas is
the team's shared record: what one operator connected, another sees), joined with what this
computer's history knows, invalid ones first; and what to do about them: re-authenticate (a
queue entry per grant, with its Zoom email as login hint; the renewal keeps the grant id) or
revoke (for good: a new consent makes a new id).

Order. Both APIs are read twice: first the invalid grants, then all the others. v3 asks Nylas
for `grant_status=invalid` and then for every Zoom grant, oldest first (offset paging is
steadiest so: a grant made meanwhile goes to the end, and a renewal keeps its `created_at`).
The Connect API documents no filter and no order for `/connect/grants`: the first pass reads
every page and keeps the invalid ones, the second every page again, in the API's own order.
The second pass leaves out the grants the first listed, so a grant shows once even if pages
shift (offset paging has no cursor to hold them still).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeGuard

from wizard.flow.backend import Backend, GrantInfo
from wizard.store.entries import NewEntry
from wizard.store.grant_listing import INVALID, ListedGrant
from wizard.target import Api
from wizard.validation import validate_login_hint

if TYPE_CHECKING:
    from wizard.store.history import History, HistoryRecord
    from wizard.store.queue import WorkQueue

__all__ = [
    "STATUSES",
    "GrantCursor",
    "GrantPage",
    "GrantWorklist",
    "Reauthentication",
    "find_grant",
    "listed",
    "queue_reauthentication",
]

log = logging.getLogger(__name__)

STATUSES = ("invalid", "valid")
PAGE_ROWS = 200  # a page reads on until it has this many rows (or the grants end)


@dataclass(frozen=True)
class GrantCursor:
    """Where the next page starts: the pass (invalid first, then the rest) and the offset."""

    phase: int
    offset: int


@dataclass(frozen=True)
class GrantPage:
    grants: tuple[ListedGrant, ...]
    next: GrantCursor | None  # None: the last page


def listed(grant: GrantInfo, known: HistoryRecord | None) -> ListedGrant:
    """A grant of Nylas's, with what the history knows of it (None: recorded elsewhere)."""
    return ListedGrant(
        grant_id=grant.id,
        grant_status=grant.grant_status,
        email=grant.email,
        account_id=grant.account_id,
        created_at=grant.created_at,
        updated_at=grant.updated_at,
        customer=(known.customer or known.account_id or None) if known else None,
        recorded_at=known.created_at if known else None,
        profile=known.profile if known else None,
        operator=known.operator if known else None,
    )


class GrantWorklist:
    """The application's Zoom grants, a page at a time, invalid first (`status` None), or only
    those of `status`. One worklist is one reading: a refresh starts a new one."""

    def __init__(
        self,
        backend: Backend,
        history: History | None,
        *,
        practice: bool,
        status: str | None = None,
    ) -> None:
        if status is not None and status not in STATUSES:
            raise ValueError(
                f"The status {status!r} is not one Nylas gives: choose invalid or valid, or "
                "leave it out for every grant (invalid first)."
            )
        self.backend = backend
        self.history = history
        self.practice = practice
        self.phases: tuple[str | None, ...] = (INVALID, None) if status is None else (status,)
        self._listed_first: set[str] = set()  # ids of the first pass, left out of the second

    async def page(self, cursor: GrantCursor | None = None) -> GrantPage:
        """The grants from `cursor` (None: the first page) and where the next page starts."""
        at: GrantCursor | None = cursor or GrantCursor(0, 0)
        found: list[GrantInfo] = []
        while at is not None and len(found) < PAGE_ROWS:
            batch = await self.backend.grant_batch(offset=at.offset, status=self.phases[at.phase])
            if at.phase == 0 and len(self.phases) > 1:
                self._listed_first.update(g.id for g in batch.grants)
                found.extend(batch.grants)
            else:
                found.extend(g for g in batch.grants if g.id not in self._listed_first)
            at = self._after(at, batch.next_offset)
        return GrantPage(await self.join(found), at)

    def _after(self, at: GrantCursor, next_offset: int | None) -> GrantCursor | None:
        if next_offset is not None:
            return GrantCursor(at.phase, next_offset)
        if at.phase + 1 < len(self.phases):
            return GrantCursor(at.phase + 1, 0)
        return None

    async def join(self, grants: Sequence[GrantInfo]) -> tuple[ListedGrant, ...]:
        if self.history is None or not grants:
            return tuple(listed(g, None) for g in grants)
        # One query per page, on a worker: the event loop never waits on the disk.
        known = await asyncio.to_thread(
            self.history.known_grants, [g.id for g in grants], practice=self.practice
        )
        return tuple(listed(g, known.get(g.id)) for g in grants)

    async def __aiter__(self) -> AsyncIterator[ListedGrant]:
        """Every grant, page after page, as they come (the command streams them)."""
        cursor: GrantCursor | None = None
        while True:
            page = await self.page(cursor)
            for grant in page.grants:
                yield grant
            if page.next is None:
                return
            cursor = page.next


async def find_grant(
    backend: Backend, history: History | None, grant_id: str, *, practice: bool
) -> ListedGrant:
    """One grant by id, with what the history knows of it (NotFound when Nylas has none)."""
    worklist = GrantWorklist(backend, history, practice=practice)
    joined = await worklist.join([await backend.get_grant(grant_id)])
    return joined[0]


@dataclass(frozen=True)
class Reauthentication:
    """What adding re-authentications to the queue did."""

    added: int
    already_queued: int = 0  # the Zoom user already has an entry that is not done
    without_email: int = 0  # Nylas gave no (usable) Zoom email to sign in as
    api: str = Api.V3.value

    def summary(self) -> str:
        words = f"{self.added} re-authentication(s) added to the queue"
        if self.already_queued:
            words += f"; {self.already_queued} already in the queue, not added again"
        if self.without_email:
            words += (
                f"; {self.without_email} without a Zoom email on Nylas, not added (add the "
                "customer's Zoom email to the queue yourself)"
            )
        return words + "."


def queue_reauthentication(
    queue: WorkQueue, grants: Iterable[ListedGrant], *, api: Api, practice: bool
) -> Reauthentication:
    """One queue entry per grant: its Zoom email as login hint (on v3 a consent by the same
    Zoom user renews the grant in place), the history's reference (else the email) as the
    customer; Connect entries name the grant's Nylas account and the grant itself (its auth
    request renews that id). Skips Zoom users already
    waiting in the queue. Blocks on the disk: async callers use asyncio.to_thread."""
    waiting: set[str] = {
        e.login_hint.casefold()
        for e in queue.entries(practice=practice)
        if e.login_hint and not e.state.done
    }
    entries: list[NewEntry] = []
    queued = no_email = 0
    for grant in grants:
        if not _usable_email(grant.email):
            no_email += 1
        elif grant.email.casefold() in waiting:
            queued += 1
        else:
            waiting.add(grant.email.casefold())
            connect = api is Api.CONNECT
            account = grant.account_id if connect else None
            # Connect renews the grant its auth request names; v3, the Zoom user's own grant.
            renews = grant.grant_id if connect else None
            # No customer: the queue takes the Zoom email as the reference then.
            entries.append(NewEntry(account, grant.email, grant.customer, renews))
    if entries:
        queue.add(entries, practice=practice)
    log.info("re-authentication: %d added, %d already queued", len(entries), queued)
    return Reauthentication(len(entries), queued, no_email, api.value)


def _usable_email(email: str | None) -> TypeGuard[str]:
    """An email the consent can be asked for (the queue checks it as it checks an import)."""
    if not email:
        return False
    try:
        validate_login_hint(email)
    except ValueError:
        return False
    return True
