"""`HistoryRecorder`: the flow's grant recorder and authorization log, which hands grants and
authorizations to a `History` on worker threads so that the event loop never waits on the disk."""

from __future__ import annotations

import asyncio
import functools
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from wizard.store.history import History

__all__ = ["AccountRef", "HistoryRecorder", "VerifiedRef", "verification_note"]


class AccountRef(Protocol):
    """What the history keeps of a customer (the flow's CustomerAccount is one)."""

    @property
    def account_id(self) -> str | None: ...

    @property
    def customer(self) -> str | None: ...

    @property
    def login_hint(self) -> str | None: ...


class VerifiedRef(Protocol):
    """What the history keeps of a verification (the flow's OnboardingResult is one)."""

    @property
    def grant_id(self) -> str: ...

    @property
    def email(self) -> str | None: ...

    @property
    def grant_status(self) -> str | None: ...

    @property
    def verified(self) -> bool: ...

    @property
    def renewed(self) -> bool: ...

    @property
    def missing_scopes(self) -> tuple[str, ...]: ...


def verification_note(result: VerifiedRef) -> str | None:
    """What the history's note says of a verified grant: a renewal, missing Zoom scopes."""
    parts = []
    if result.renewed:
        parts.append("renewed: this Zoom user's grant existed before and was re-authenticated")
    if result.missing_scopes:
        parts.append(f"missing Zoom scopes: {', '.join(result.missing_scopes)}")
    return "; ".join(parts) or None


class HistoryRecorder:
    """The flow's `GrantRecorder` (and authorization log): hands grants and authorizations to a
    `History` without blocking the event loop."""

    def __init__(
        self,
        history: History,
        *,
        profile: str,
        region: str,
        integration_id: str | None,
        api: str = "connect",
        practice: bool = False,
        api_url: str | None = None,
    ) -> None:
        self.history = history
        self.profile = profile
        self.region = region
        self.integration_id = integration_id
        self.api = api
        self.practice = practice
        self.api_url = api_url

    async def grant_captured(self, grant_id: str, provider: str, account: AccountRef) -> None:
        await asyncio.to_thread(
            self.history.record_grant,
            profile=self.profile,
            region=self.region,
            account_id=account.account_id or "",
            integration_id=self.integration_id,
            grant_id=grant_id,
            api=self.api,
            customer=account.customer,
            login_hint=account.login_hint,
            practice=self.practice,
        )

    async def grant_deleted(self, grant_id: str) -> str:
        return await asyncio.to_thread(self.history.mark_deleted, grant_id)

    async def grant_verified(self, result: VerifiedRef) -> None:
        await asyncio.to_thread(
            functools.partial(
                self.history.update_verification,
                result.grant_id,
                email=result.email,
                grant_status=result.grant_status,
                verified=result.verified,
                note=verification_note(result),
            )
        )

    async def authorization_started(
        self, account: AccountRef, *, expires_at: int, state_sha256: str
    ) -> int | None:
        return await asyncio.to_thread(
            functools.partial(
                self.history.begin_authorization,
                api=self.api,
                region=self.region,
                profile=self.profile,
                integration_id=self.integration_id,
                account_id=account.account_id,
                customer=account.customer,
                login_hint=account.login_hint,
                expires_at=expires_at,
                state_sha256=state_sha256,
                practice=self.practice,
                api_url=self.api_url,
            )
        )

    async def authorization_ended(
        self, auth_id: int, outcome: str, *, grant_id: str | None = None, note: str | None = None
    ) -> None:
        await asyncio.to_thread(
            functools.partial(
                self.history.end_authorization, auth_id, outcome, grant_id=grant_id, note=note
            )
        )
