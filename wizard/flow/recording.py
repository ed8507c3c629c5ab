"""What the flow tells its recorder (the history) about one authorization: started, the grant
captured, verified, or how it ended. A recorder keeps its own fallbacks; its failure never costs
the operator the grant, so every call here is logged and swallowed."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable
from typing import Protocol, runtime_checkable

from wizard.flow.backend import OnboardingResult, PendingAuthorization
from wizard.flow.inputs import CustomerAccount

__all__ = [
    "AuthorizationLog",
    "AuthorizationRecord",
    "DeletionLog",
    "GrantRecorder",
    "state_digest",
]

log = logging.getLogger(__name__)


def state_digest(state: str) -> str:
    """What the history keeps of a state: its SHA-256, never the state itself."""
    return hashlib.sha256(state.encode()).hexdigest()


class GrantRecorder(Protocol):
    """Where grants are kept (the history). Called before the browser sees the success page."""

    async def grant_captured(
        self, grant_id: str, provider: str, account: CustomerAccount
    ) -> None: ...

    async def grant_verified(self, result: OnboardingResult) -> None: ...


@runtime_checkable
class AuthorizationLog(Protocol):
    """A recorder that also keeps authorizations in progress, so a grant that arrives after
    the tool stopped listening can be found later (wizard/flow/reconcile.py)."""

    async def authorization_started(
        self, account: CustomerAccount, *, expires_at: int, state_sha256: str
    ) -> int | None: ...

    async def authorization_ended(
        self, auth_id: int, outcome: str, *, grant_id: str | None = None, note: str | None = None
    ) -> None: ...


@runtime_checkable
class DeletionLog(Protocol):
    """A recorder that also keeps the grants revoked from this computer (the history)."""

    async def grant_deleted(self, grant_id: str) -> str: ...


class AuthorizationRecord:
    """One authorization as its recorder hears of it (no recorder: nothing is told)."""

    def __init__(self, recorder: GrantRecorder | None) -> None:
        self.recorder = recorder
        self.row: int | None = None  # the authorization log's row, once started

    async def started(
        self, account: CustomerAccount, auth: PendingAuthorization, state: str
    ) -> None:
        """Kept before any browser opens: if the callback is never caught here, the grant it
        makes can still be found and recorded later."""
        if not isinstance(self.recorder, AuthorizationLog):
            return
        try:
            self.row = await self.recorder.authorization_started(
                account, expires_at=auth.expires_at, state_sha256=state_digest(state)
            )
        except Exception:  # the history keeps its own fallbacks; never block the onboarding
            log.exception("recording the authorization failed")

    async def captured(self, grant_id: str, provider: str, account: CustomerAccount) -> None:
        if self.recorder is not None:
            await _safely(self.recorder.grant_captured(grant_id, provider, account))
            await self.ended("connected", grant_id=grant_id)

    async def verified(self, result: OnboardingResult) -> None:
        if self.recorder is not None:
            await _safely(self.recorder.grant_verified(result))

    async def ended(
        self, outcome: str, *, grant_id: str | None = None, note: str | None = None
    ) -> None:
        if self.row is None or not isinstance(self.recorder, AuthorizationLog):
            return
        await _safely(
            self.recorder.authorization_ended(self.row, outcome, grant_id=grant_id, note=note)
        )


async def _safely(call: Awaitable[None]) -> None:
    # The recorder keeps its own fallbacks; its failure must not cost the operator the grant.
    try:
        await call
    except Exception:
        log.exception("recording the grant failed")
