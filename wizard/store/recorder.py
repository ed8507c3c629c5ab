"""`HistoryRecorder`: the flow's grant recorder and authorization log, which hands grants and
authorizations to a `History` on worker threads so that the event loop never waits on the disk."""

from __future__ import annotations

import asyncio
import functools
from dataclasses import KW_ONLY, dataclass
from typing import TYPE_CHECKING, Protocol

from wizard.store.authorizations import AuthorizationStart, as_captured

if TYPE_CHECKING:
    from wizard.store.authorizations import PendingAuthorization
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


@dataclass(eq=False)
class HistoryRecorder:
    """The flow's `GrantRecorder` (and authorization log): hands grants and authorizations to a
    `History` without blocking the event loop."""

    history: History
    _: KW_ONLY
    # Where the grants and authorizations are made: kept with each.
    profile: str
    region: str
    integration_id: str | None
    api: str = "connect"
    practice: bool = False
    api_url: str | None = None

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
        self,
        account: AccountRef,
        *,
        expires_at: int,
        state_sha256: str,
        remote: bool = False,
        redirect_uri: str | None = None,
        queue_entry: int | None = None,
    ) -> int | None:
        """`remote`: a link sent to a customer elsewhere (flow/remote.py), with the redirect URI
        it was made with and the queue entry it moves."""
        start = AuthorizationStart(
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
            remote=remote,
            redirect_uri=redirect_uri,
            queue_entry=queue_entry,
        )
        return await asyncio.to_thread(self.history.begin_authorization, start)

    async def link_answered(
        self,
        auth: PendingAuthorization,
        result: VerifiedRef,
        *,
        account_id: str,
        problem: str | None,
    ) -> None:
        """A sent link's grant (flow/remote.py): its authorization closed as connected and the
        grant kept, in one transaction. When the database cannot take it, the grant goes to
        the fallback journal all the same: it is never lost."""
        history = self.history
        note = "; ".join(
            part
            for part in (
                "by link: the customer's answer was pasted",
                verification_note(result),
                problem,
            )
            if part
        )
        recorded = await asyncio.to_thread(
            functools.partial(
                history.record_late_grant,
                auth,
                grant_id=result.grant_id,
                account_id=account_id,
                email=result.email,
                grant_status=result.grant_status,
                verified=result.verified,
                note=note,
            )
        )
        if recorded:
            return
        known = await asyncio.to_thread(history.find_authorization, auth.state_sha256)
        if known is None or known.outcome != "connected":  # else another window took it first
            await self._into_journal(auth, result, account_id=account_id, note=note)

    async def _into_journal(
        self, auth: PendingAuthorization, result: VerifiedRef, *, account_id: str, note: str
    ) -> None:
        """The database could not take a sent link's grant: the history's own fallbacks."""
        history = self.history
        record = functools.partial(
            history.record_grant,
            **as_captured(auth),
            account_id=account_id,
            grant_id=result.grant_id,
            note=note,
        )
        await asyncio.to_thread(record)
        verify = functools.partial(
            history.update_verification,
            result.grant_id,
            email=result.email,
            grant_status=result.grant_status,
            verified=result.verified,
        )
        await asyncio.to_thread(verify)
        end = functools.partial(
            history.end_authorization, auth.id, "connected", grant_id=result.grant_id
        )
        await asyncio.to_thread(end)

    async def authorization_ended(
        self, auth_id: int, outcome: str, *, grant_id: str | None = None, note: str | None = None
    ) -> None:
        await asyncio.to_thread(
            functools.partial(
                self.history.end_authorization, auth_id, outcome, grant_id=grant_id, note=note
            )
        )
