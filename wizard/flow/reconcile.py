"""Grants that came back after the tool stopped listening: find them on Nylas and name them.

An authorization that did not end with a captured callback (Stop waiting, a timeout, a closed
window, a killed process) may still have produced a grant: the customer's consent tab kept
working. Each such authorization is kept in the history with a SHA-256 of its state; this asks
the API for the grants made since it began and matches them:

- by state (Connect grants carry it; v3 grants may): confirmed;
- else, v3 only, by the login-hint email: "found later, not confirmed by state", and only when
  exactly one grant of that email appeared in the authorization's time window.

A grant is never attributed to two authorizations, nor to one whose window it falls outside.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from wizard.flow.backend import ZOOM, Backend, GrantInfo
from wizard.flow.inputs import CustomerAccount
from wizard.flow.recording import state_digest
from wizard.store.entries import EntryState
from wizard.store.owner import is_alive
from wizard.target import Region, Target

if TYPE_CHECKING:
    from wizard.store.history import History, PendingAuthorization
    from wizard.store.queue import WorkQueue

# A grant may be stamped a little before the authorization row (clocks, rounding).
CLOCK_SLACK = 120
UNCONFIRMED = "found later, not confirmed by state"


class OpenAuthorization(Protocol):
    """What reconciliation reads of an authorization row of the history."""

    @property
    def id(self) -> int: ...

    @property
    def api(self) -> str: ...

    @property
    def started_at(self) -> float: ...  # epoch seconds

    @property
    def expires_at(self) -> float: ...

    @property
    def state_sha256(self) -> str: ...

    @property
    def login_hint(self) -> str | None: ...


@dataclass(frozen=True)
class LateGrant:
    authorization_id: int
    grant: GrantInfo
    confirmed: bool  # True: matched by state; False: by email only

    @property
    def note(self) -> str | None:
        return None if self.confirmed else UNCONFIRMED


def _stamp(grant: GrantInfo) -> int | None:
    # v3 renews a grant in place: its updated_at moves, created_at may be old.
    return grant.updated_at or grant.created_at


def match(
    authorizations: Sequence[OpenAuthorization],
    grants: Sequence[GrantInfo],
    *,
    grace: float = 600.0,
) -> list[LateGrant]:
    """Pure: which grant belongs to which authorization (each side used at most once)."""
    found: list[LateGrant] = []
    used: set[str] = set()
    zoom = [g for g in grants if g.provider == ZOOM]
    by_state = {state_digest(g.state): g for g in zoom if g.state}
    for auth in authorizations:
        for digest, grant in by_state.items():
            if grant.id not in used and hmac.compare_digest(digest, auth.state_sha256):
                found.append(LateGrant(auth.id, grant, confirmed=True))
                used.add(grant.id)
                break
    matched = {f.authorization_id for f in found}
    for auth in authorizations:
        if auth.id in matched or auth.api != "v3" or not auth.login_hint:
            continue
        hint = auth.login_hint.casefold()
        low, high = auth.started_at - CLOCK_SLACK, auth.expires_at + grace
        candidates = [
            g
            for g in zoom
            if g.id not in used
            and g.state is None  # a grant with another state belongs to another request
            and (g.email or "").casefold() == hint
            and (stamp := _stamp(g)) is not None
            and low <= stamp <= high
        ]
        if len(candidates) == 1:
            found.append(LateGrant(auth.id, candidates[0], confirmed=False))
            used.add(candidates[0].id)
    return found


async def find_late_grants(
    backend: Backend, authorizations: Sequence[OpenAuthorization], *, grace: float = 600.0
) -> list[LateGrant]:
    """Ask the API once for the grants since the oldest open authorization began."""
    mine = [a for a in authorizations if a.api == backend.api.value]
    if not mine:
        return []
    since = max(0, int(min(a.started_at for a in mine) - CLOCK_SLACK))
    grants = await backend.grants_since(since, CustomerAccount())
    return match(mine, grants, grace=grace)


# -- the history's side: ask once, record what was found, close what can no longer come ----


def _unlistened_v3(auth: PendingAuthorization) -> bool:
    """A v3 sign-in whose process is gone: nothing can exchange its code any more, so it is
    closed now rather than at its expiry (a running window or command still listens)."""
    return auth.api == "v3" and not is_alive(auth.owner)


EXPIRED_NOTE = "The sign-in link expired and no grant of it appeared on Nylas."
# v3 makes the grant at the code exchange, which only the process that made the link can do:
# an open v3 authorization is one whose process stopped (a closed window, a killed command).
V3_ABANDONED_NOTE = (
    "The tool stopped listening before the sign-in came back (a closed window or a stopped "
    "command), and no grant of it appeared on Nylas. On Nylas API v3 a consent given after "
    "that cannot be recovered: make a new link."
)


@dataclass(frozen=True)
class ReconcileReport:
    found: list[LateGrant]  # recorded in the history by this run
    expired: int  # closed: their link expired (or, v3, nobody listens for it) and nothing came
    still_open: int  # their link still works: a later check may find them

    def summary(self) -> str:
        if not (self.found or self.expired or self.still_open):
            return "No sign-in was left waiting: nothing to look for."
        parts = []
        if self.found:
            unconfirmed = sum(1 for f in self.found if not f.confirmed)
            parts.append(
                f"{len(self.found)} late grant(s) found on Nylas and added to the history"
                + (f" ({unconfirmed} matched by Zoom email only)" if unconfirmed else "")
            )
        if self.expired:
            parts.append(
                f"{self.expired} sign-in link(s) closed with nothing found (expired, or on "
                "Nylas API v3 no longer listened for: their consent cannot become a grant)"
            )
        if self.still_open:
            parts.append(f"{self.still_open} sign-in link(s) still valid, checked again later")
        return "; ".join(parts) + "."


async def reconcile_history(
    backend: Backend,
    history: History,
    target: Target,
    *,
    grace: float = 600.0,
    now: float | None = None,
    queue: WorkQueue | None = None,
) -> ReconcileReport:
    """Find the grants of `target`'s open authorizations and record them, before anything
    else can fail; close those whose link expired (plus `grace`) with nothing found. Raises
    the API's errors (NylasError): then nothing is closed, and the next check tries again."""
    authorizations = await asyncio.to_thread(
        functools.partial(
            history.open_authorizations,
            api=target.api.value,
            region=target.region.value,
            practice=target.practice,
            # A custom URL: only the sign-ins made there (another server knows nothing of them).
            api_url=target.base_url if target.region is Region.CUSTOM else None,
        )
    )
    # A v3 link sent elsewhere is finished by the answer pasted back (flow/remote.py): no
    # grant can appear without it, and no process listens for it.
    authorizations = [a for a in authorizations if not (a.remote and a.api == "v3")]
    if not authorizations:
        return ReconcileReport([], 0, 0)
    late = await find_late_grants(backend, authorizations, grace=grace)
    by_id = {a.id: a for a in authorizations}
    recorded = [f for f in late if await _record_late(history, by_id[f.authorization_id], f)]
    if queue is not None:  # Connect links sent elsewhere: their queue entries are connected
        for found in recorded:
            await _connect_entry(queue, by_id[found.authorization_id], found)
    matched = {f.authorization_id for f in late}
    now = time.time() if now is None else now
    expired = [
        a
        for a in authorizations
        if a.id not in matched and (a.expires_at + grace < now or _unlistened_v3(a))
    ]
    for auth in expired:
        outcome, note = (
            ("abandoned", V3_ABANDONED_NOTE) if auth.api == "v3" else ("expired", EXPIRED_NOTE)
        )
        await asyncio.to_thread(
            functools.partial(history.end_authorization, auth.id, outcome, note=note)
        )
    still_open = len(authorizations) - len(late) - len(expired)
    return ReconcileReport(recorded, len(expired), still_open)


async def _record_late(history: History, auth: PendingAuthorization, found: LateGrant) -> bool:
    """Close the authorization with its late grant and put the grant in the history, in one
    transaction; False when another check (another window, the command line) closed it first.
    A grant written before a crash is kept once."""
    grant = found.grant
    note = found.note or "found later on Nylas (the browser's answer never reached this tool)"
    return await asyncio.to_thread(
        functools.partial(
            history.record_late_grant,
            auth,
            grant_id=grant.id,
            account_id=auth.account_id or grant.account_id or "",
            email=grant.email,
            grant_status=grant.grant_status,
            # The API was asked: verified when it also matched by state.
            verified=found.confirmed and grant.is_valid,
            note=note,
        )
    )


async def _connect_entry(queue: WorkQueue, auth: PendingAuthorization, found: LateGrant) -> None:
    if auth.queue_entry is None:
        return
    finish = functools.partial(
        queue.finish,
        auth.queue_entry,
        EntryState.CONNECTED,
        grant_id=found.grant.id,
        email=found.grant.email,
    )
    await asyncio.to_thread(finish)
