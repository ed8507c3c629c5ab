"""The Connect API (Nylas's private preview) behind the flow's backend seam.

Integrations carry their own redirect URIs; the auth request returns a login link; the browser
comes back with the grant id itself, which is then checked with the API.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from wizard.flow.backend import (
    ZOOM,
    GrantBatch,
    GrantInfo,
    IntegrationAction,
    IntegrationInfo,
    IntegrationOutcome,
    IntegrationPlan,
    LinkToResume,
    VerifiedGrant,
    grant_info,
    mismatch,
    status_note,
    unfinished_hint,
)
from wizard.flow.inputs import CustomerAccount, IntegrationSpec
from wizard.listener.callback import Callback, CodeCallback, GrantCallback, parse_callback
from wizard.listener.redirect_uri import LoopbackRedirectUri
from wizard.listener.verdict import Accepted, Rejected, Resolution
from wizard.nylas.client import NylasConnectClient
from wizard.nylas.errors import IntegrationAlreadyExists, NotFound, NylasApiError, NylasError
from wizard.nylas.models import (
    AuthRequestCreate,
    Grant,
    Integration,
    IntegrationCreate,
    IntegrationUpdate,
    ZoomAppSettings,
)
from wizard.target import Api

log = logging.getLogger(__name__)

GRANT_PAGE = 100
MAX_GRANT_PAGES = 50  # reconciliation reads at most 5,000 of the newest grants


def connect_grant_info(grant: Grant) -> GrantInfo:
    return grant_info(grant, grant.account_id)  # Connect grants name their account


def integration_info(integration: Integration) -> IntegrationInfo:
    return IntegrationInfo(
        api=Api.CONNECT,
        provider=integration.provider,
        name=integration.name,
        id=integration.id,
        redirect_uris=tuple(integration.redirect_uris),
    )


@dataclass(frozen=True)
class ConnectAuthorization:
    url: str
    expires_at: int
    id: str
    state: str
    account: CustomerAccount
    backend: ConnectBackend
    secret = None  # the redirect carries the grant: nothing secret is needed to finish it

    async def resolve(self, callback: GrantCallback | CodeCallback) -> Resolution:
        if not isinstance(callback, GrantCallback):
            return Rejected("It is not an answer of the Connect API.")
        try:
            grant = connect_grant_info(await self.backend.client.get_grant(callback.grant_id))
        except NotFound:
            return Rejected("Nylas does not know this grant.")
        except NylasApiError as exc:
            log.warning("grant lookup failed: %s", exc)
            if exc.http_status < 500:
                return Rejected("Nylas refused to show this grant.")
            return _unverified(callback, exc)
        except NylasError as exc:
            log.warning("grant lookup failed: %s", exc)
            return _unverified(callback, exc)
        # A callback without state can only be matched through the grant's own state.
        reason = mismatch(grant, self.state, self.account, state_required=callback.state is None)
        if reason is not None:
            log.warning("grant %s refused: %s", grant.id, reason)
            return Rejected(reason)
        return Accepted(
            grant.id, grant.provider, True, VerifiedGrant(grant, note=status_note(grant))
        )


def _unverified(callback: GrantCallback, exc: NylasError) -> Resolution:
    # The API is away: a grant id in hand is kept (marked unverified) rather than lost.
    note = f"The grant could not be checked with Nylas: {exc.message} {exc.hint}".strip()
    return Accepted(callback.grant_id, callback.provider, None, VerifiedGrant(None, note=note))


class ConnectBackend:
    api = Api.CONNECT
    # The callback carries the grant: resolving it is one read, bounded like any other.
    resolve_timeout = 20.0

    def parse_callback(self, query: str) -> Callback:
        return parse_callback(query)

    def __init__(self, client: NylasConnectClient) -> None:
        self.client = client
        self.unfinished_hint = unfinished_hint(
            f"{client.base_url}/connect/callback", "the Zoom integration"
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def check_credentials(self) -> None:
        await self.client.check_credentials()

    async def plan_integration(
        self, redirect_uri: LoopbackRedirectUri, zoom_client_id: str | None = None
    ) -> IntegrationPlan:
        existing = await self.client.integrations.find(ZOOM)
        if existing is None:
            return IntegrationPlan(IntegrationAction.CREATE, None)
        info = integration_info(existing)
        if str(redirect_uri) in existing.redirect_uris:
            return IntegrationPlan(IntegrationAction.REUSE, info)
        return IntegrationPlan(IntegrationAction.ADD_REDIRECT_URI, info)

    async def ensure_integration(self, spec: IntegrationSpec) -> IntegrationOutcome:
        plan = await self.plan_integration(spec.redirect_uri)
        if plan.action is not IntegrationAction.CREATE:
            return await self._reuse(plan, spec.redirect_uri)
        try:
            created = await self.client.integrations.create(
                IntegrationCreate(
                    name=spec.name,
                    settings=ZoomAppSettings(
                        client_id=spec.zoom.client_id, client_secret=spec.zoom.client_secret
                    ),
                    redirect_uris=[str(spec.redirect_uri)],
                    expires_in=spec.expires_in,
                )
            )
        except IntegrationAlreadyExists:
            # Created meanwhile (another operator, or a create whose answer was lost).
            log.info("integration appeared meanwhile; reusing it")
            plan = await self.plan_integration(spec.redirect_uri)
            if plan.action is IntegrationAction.CREATE:
                raise
            return await self._reuse(plan, spec.redirect_uri)
        return IntegrationOutcome(integration_info(created), IntegrationAction.CREATE)

    async def _reuse(
        self, plan: IntegrationPlan, redirect_uri: LoopbackRedirectUri
    ) -> IntegrationOutcome:
        assert plan.existing is not None
        if plan.action is IntegrationAction.REUSE:
            return IntegrationOutcome(plan.existing, IntegrationAction.REUSE)
        uris = [*plan.existing.redirect_uris, str(redirect_uri)]
        updated = await self.client.integrations.update(
            plan.existing.provider, IntegrationUpdate(redirect_uris=uris)
        )
        return IntegrationOutcome(integration_info(updated), IntegrationAction.ADD_REDIRECT_URI)

    async def start_authorization(
        self, account: CustomerAccount, redirect_uri: LoopbackRedirectUri | str, state: str
    ) -> ConnectAuthorization:
        account.require_for(self.api)
        auth = await self.client.create_auth_request(
            AuthRequestCreate(
                redirect_uri=str(redirect_uri),
                account_id=account.account_id,
                expires_in=account.expires_in,
                login_hint=account.login_hint,
                state=state,
                grant_id=account.renews,  # a re-authentication keeps the grant's id
            )
        )
        return ConnectAuthorization(auth.url, auth.expires_at, auth.id, state, account, self)

    def resume_authorization(self, link: LinkToResume) -> ConnectAuthorization:
        return ConnectAuthorization("", link.expires_at, "", link.state, link.account, self)

    async def register_redirect_uri(self, uri: str) -> bool:
        integration = await self.client.integrations.get(ZOOM)
        if uri in integration.redirect_uris:
            return False
        await self.client.integrations.update(
            ZOOM, IntegrationUpdate(redirect_uris=[*integration.redirect_uris, uri])
        )
        return True

    async def get_grant(self, grant_id: str) -> GrantInfo:
        return connect_grant_info(await self.client.get_grant(grant_id))

    async def delete_grant(self, grant_id: str) -> None:
        await self.client.delete_grant(grant_id)

    async def grant_batch(self, *, offset: int, status: str | None) -> GrantBatch:
        """The Connect API documents neither filters nor an order for /connect/grants: the
        page is filtered here (Zoom, `status`), in the API's own order."""
        grants = await self.client.list_grants(limit=GRANT_PAGE, offset=offset)
        zoom = tuple(
            connect_grant_info(g)
            for g in grants
            if g.provider == ZOOM and (status is None or g.grant_status == status)
        )
        more = len(grants) >= GRANT_PAGE
        return GrantBatch(zoom, offset + GRANT_PAGE if more else None)

    async def grants_since(self, since: int, account: CustomerAccount) -> Sequence[GrantInfo]:
        """Zoom grants created at or after `since` (epoch s). The Connect API documents no
        time filter, so pages are read until one is older than `since`."""
        found: list[GrantInfo] = []
        for page in range(MAX_GRANT_PAGES):
            grants = await self.client.list_grants(limit=GRANT_PAGE, offset=page * GRANT_PAGE)
            for grant in grants:
                if grant.provider == ZOOM and (grant.created_at or since) >= since:
                    found.append(connect_grant_info(grant))
            if len(grants) < GRANT_PAGE:
                break
        return found
