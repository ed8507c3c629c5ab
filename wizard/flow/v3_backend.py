"""Nylas API v3 behind the flow's backend seam.

The Zoom connector holds the Zoom app's credentials; callback URIs belong to the application
and must be registered before hosted auth; the browser comes back with a one-time code (and the
state), which is exchanged for the grant with the PKCE verifier only this process knows.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from wizard.flow.backend import (
    ZOOM,
    GrantInfo,
    IntegrationAction,
    IntegrationInfo,
    IntegrationOutcome,
    IntegrationPlan,
    VerifiedGrant,
    mismatch,
    status_note,
)
from wizard.flow.inputs import CustomerAccount, IntegrationSpec
from wizard.listener.callback import Callback, CodeCallback, GrantCallback, parse_v3_callback
from wizard.listener.redirect_uri import LoopbackRedirectUri
from wizard.listener.verdict import Accepted, Failed, Rejected, Resolution
from wizard.logs import remember_secret
from wizard.nylas.errors import NylasApiError, NylasError
from wizard.nylas.models import ZoomAppSettings
from wizard.nylas.pkce import new_code_verifier, nylas_code_challenge
from wizard.nylas.v3 import NylasV3Client
from wizard.nylas.v3_models import Connector, ConnectorCreate, V3Grant
from wizard.target import Api

log = logging.getLogger(__name__)

# Hosted auth has no documented expiry; the tool gives each link this long, like the Connect
# API's default login link, and refuses its callback afterwards.
LINK_LIFETIME = 900
GRANT_PAGE = 100
MAX_GRANT_PAGES = 50


class ApplicationMismatch(NylasError):
    hint = (
        "Leave the application id empty to use the API key's own application, or enter the "
        "API key of the application you meant."
    )


def grant_info(grant: V3Grant) -> GrantInfo:
    return GrantInfo(
        id=grant.id,
        provider=grant.provider,
        email=grant.email,
        grant_status=grant.grant_status,
        state=grant.state,
        created_at=grant.created_at,
        updated_at=grant.updated_at,
    )


def _connector_info(connector: Connector, callback_uris: Sequence[str]) -> IntegrationInfo:
    return IntegrationInfo(
        api=Api.V3,
        provider=connector.provider,
        name=connector.provider,
        id=None,
        redirect_uris=tuple(callback_uris),
    )


@dataclass(frozen=True)
class V3Authorization:
    url: str
    expires_at: int
    id: str
    state: str
    account: CustomerAccount
    redirect_uri: str
    backend: V3Backend
    verifier: str = field(repr=False)
    # Grants this Zoom user already had: the same id coming back means "renewed".
    existing: frozenset[str] = frozenset()

    async def resolve(self, callback: GrantCallback | CodeCallback) -> Resolution:
        if not isinstance(callback, CodeCallback):
            return Rejected("It is not an answer of Nylas API v3.")
        client = self.backend.client
        try:
            token = await client.exchange_code(
                client_id=await self.backend.application_id(),
                code=callback.code,
                redirect_uri=self.redirect_uri,
                code_verifier=self.verifier,
            )
        except NylasError as exc:
            # A code works once: whatever went wrong, this authorization cannot finish.
            return Failed(exc)
        renewed = token.grant_id in self.existing
        try:
            grant = grant_info(await client.get_grant(token.grant_id))
        except NylasError as exc:
            log.warning("grant lookup failed after the exchange: %s", exc)
            note = f"The grant could not be checked with Nylas: {exc.message} {exc.hint}".strip()
            return Accepted(token.grant_id, ZOOM, None, VerifiedGrant(None, renewed, note))
        reason = mismatch(grant, self.state, self.account, state_required=False)
        if reason is not None:
            log.warning("grant %s refused: %s", grant.id, reason)
            return Rejected(reason)
        return Accepted(
            grant.id, grant.provider, True, VerifiedGrant(grant, renewed, status_note(grant))
        )


class V3Backend:
    api = Api.V3

    def parse_callback(self, query: str) -> Callback:
        return parse_v3_callback(query)

    def __init__(self, client: NylasV3Client, application_id: str | None = None) -> None:
        self.client = client
        self._given_application_id = (application_id or "").strip() or None
        self._application_id: str | None = None

    async def aclose(self) -> None:
        await self.client.aclose()

    async def application_id(self) -> str:
        """The application's client id: looked up from the API key when not given."""
        if self._application_id is None:
            await self.check_credentials()
        assert self._application_id is not None
        return self._application_id

    async def check_credentials(self) -> None:
        app = await self.client.check_credentials()
        given = self._given_application_id
        if given is not None and given != app.application_id:
            raise ApplicationMismatch(
                f"The API key belongs to the application {app.application_id}, not to {given}."
            )
        self._application_id = app.application_id

    async def plan_integration(self, redirect_uri: LoopbackRedirectUri) -> IntegrationPlan:
        connector = await self.client.find_connector(ZOOM)
        uris = [uri.url for uri in await self.client.list_callback_uris()]
        registered = str(redirect_uri) in uris
        if connector is None:
            return IntegrationPlan(IntegrationAction.CREATE, None, not registered)
        info = _connector_info(connector, uris)
        if registered:
            return IntegrationPlan(IntegrationAction.REUSE, info)
        return IntegrationPlan(IntegrationAction.ADD_REDIRECT_URI, info, True)

    async def ensure_integration(self, spec: IntegrationSpec) -> IntegrationOutcome:
        plan = await self.plan_integration(spec.redirect_uri)
        action = plan.action
        connector = None
        if action is IntegrationAction.CREATE:
            try:
                # No scope: Zoom connectors take none; the scopes live on the Zoom app.
                connector = await self.client.create_connector(
                    ConnectorCreate(
                        settings=ZoomAppSettings(
                            client_id=spec.zoom.client_id, client_secret=spec.zoom.client_secret
                        )
                    )
                )
            except NylasApiError as exc:
                if exc.http_status != 409:
                    raise
                log.info("the Zoom connector appeared meanwhile; reusing it")
                connector = await self.client.get_connector(ZOOM)
                action = IntegrationAction.ADD_REDIRECT_URI
        if plan.registers_redirect_uri:
            added = await self.client.ensure_callback_uri(str(spec.redirect_uri))
            if added:
                log.info("registered the callback URI %s on the application", spec.redirect_uri)
        elif action is IntegrationAction.ADD_REDIRECT_URI:
            action = IntegrationAction.REUSE  # the connector raced in, the URI was there
        if connector is None:
            connector = await self.client.get_connector(ZOOM)
        uris = [uri.url for uri in await self.client.list_callback_uris()]
        return IntegrationOutcome(_connector_info(connector, uris), action)

    async def start_authorization(
        self, account: CustomerAccount, redirect_uri: LoopbackRedirectUri, state: str
    ) -> V3Authorization:
        account.require_for(self.api)
        verifier = new_code_verifier()
        remember_secret(verifier)
        existing: frozenset[str] = frozenset()
        if account.login_hint:
            grants = await self.client.list_grants(provider=ZOOM, email=account.login_hint)
            existing = frozenset(g.id for g in grants)
        url = self.client.hosted_auth_url(
            client_id=await self.application_id(),
            redirect_uri=str(redirect_uri),
            state=state,
            code_challenge=nylas_code_challenge(verifier),
            login_hint=account.login_hint,
        )
        auth_id = "v3-" + hashlib.sha256(state.encode()).hexdigest()[:16]
        return V3Authorization(
            url=url,
            expires_at=int(time.time()) + LINK_LIFETIME,
            id=auth_id,
            state=state,
            account=account,
            redirect_uri=str(redirect_uri),
            backend=self,
            verifier=verifier,
            existing=existing,
        )

    async def get_grant(self, grant_id: str) -> GrantInfo:
        return grant_info(await self.client.get_grant(grant_id))

    async def delete_grant(self, grant_id: str) -> None:
        await self.client.delete_grant(grant_id)

    async def grants_since(self, since: int, account: CustomerAccount) -> Sequence[GrantInfo]:
        found: list[GrantInfo] = []
        for page in range(MAX_GRANT_PAGES):
            grants = await self.client.list_grants(
                provider=ZOOM, since=since, limit=GRANT_PAGE, offset=page * GRANT_PAGE
            )
            found.extend(grant_info(g) for g in grants)
            if len(grants) < GRANT_PAGE:
                break
        return found
