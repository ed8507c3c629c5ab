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
    GrantBatch,
    GrantInfo,
    IntegrationAction,
    IntegrationInfo,
    IntegrationOutcome,
    IntegrationPlan,
    LinkToResume,
    VerifiedGrant,
    ZoomAppConflict,
    grant_info,
    mismatch,
    status_note,
    unfinished_hint,
)
from wizard.flow.inputs import CustomerAccount, IntegrationSpec
from wizard.listener.callback import Callback, CodeCallback, GrantCallback, parse_v3_callback
from wizard.listener.redirect_uri import LoopbackRedirectUri
from wizard.listener.verdict import Accepted, Failed, Rejected, Resolution
from wizard.logs import remember_secret
from wizard.nylas.errors import (
    ApiKeyRefusedAtExchange,
    NylasApiError,
    NylasError,
    NylasNetworkError,
    NylasProtocolError,
    RateLimited,
    ReauthEmailInvalid,
    ServerError,
)
from wizard.nylas.models import ZoomAppSettings
from wizard.nylas.pkce import new_code_verifier, nylas_code_challenge
from wizard.nylas.v3 import EXCHANGE_TIMEOUT, NylasV3Client
from wizard.nylas.v3_models import Connector, ConnectorCreate, ConnectorUpdate
from wizard.target import Api

log = logging.getLogger(__name__)

# Hosted auth has no documented expiry; the tool gives each link this long, like the Connect
# API's default login link, and refuses its callback afterwards.
LINK_LIFETIME = 900
GRANT_PAGE = 200  # Nylas's most per page
MAX_GRANT_PAGES = 50
# This computer's clock and Nylas's may differ: a grant created this long before the sign-in
# began is a renewal, and one updated up to LOOKUP_SLACK before it may be this sign-in's.
RENEWAL_SLACK = 300
LOOKUP_SLACK = 60
# Failures after which the exchange may still have made the grant on Nylas's side (the code
# is spent either way): the grant is looked up before the authorization is given up.
MAYBE_DONE = (NylasNetworkError, ServerError, RateLimited, NylasProtocolError)


class ApplicationMismatch(NylasError):
    hint = (
        "Leave the application id empty to use the API key's own application, or enter the "
        "API key of the application you meant."
    )


class ZoomAppMismatch(NylasError):
    """The connector holds another Zoom app; replacing it must be the operator's choice."""

    hint = (
        "Enter the connector's Zoom app (client id and secret) to keep the existing grants. "
        "To move the application to the Zoom app you entered, confirm the replacement on the "
        "Zoom app page (command line: --replace-zoom-app)."
    )

    def __init__(self, conflict: ZoomAppConflict) -> None:
        super().__init__(conflict.describe())
        self.conflict = conflict


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
    state: str
    account: CustomerAccount
    redirect_uri: str
    backend: V3Backend
    verifier: str = field(repr=False)
    # Grants this Zoom user already had: the same id coming back means "renewed".
    existing: frozenset[str] = frozenset()
    started_at: int = 0  # epoch seconds, before the link was made

    @property
    def id(self) -> str:
        """Derived from the state, so a link resumed later has the id it was made with."""
        return "v3-" + hashlib.sha256(self.state.encode()).hexdigest()[:16]

    @property
    def secret(self) -> str:
        return self.verifier

    async def resolve(self, callback: GrantCallback | CodeCallback) -> Resolution:
        if not isinstance(callback, CodeCallback):
            return Rejected("It is not an answer of Nylas API v3.")
        try:
            token = await self.backend.client.exchange_code(
                client_id=await self.backend.application_id(),
                code=callback.code,
                redirect_uri=self.redirect_uri,
                code_verifier=self.verifier,
                timeout=self.backend.exchange_timeout,
            )
        except NylasError as exc:
            return await self._after_failed_exchange(exc)
        return await self._verify(token.grant_id)

    async def _after_failed_exchange(self, exc: NylasError) -> Resolution:
        if (
            isinstance(exc, NylasApiError)
            and exc.http_status == 400
            and not isinstance(exc, ApiKeyRefusedAtExchange)
        ):
            # This request's state with a code Nylas refuses (used, foreign, expired, or the
            # wrong Zoom user for a renewal): the customer's own browser may still come.
            log.warning("the code exchange was refused (%s): still waiting", exc.type)
            # The wait goes on, so "start again" hints do not apply; a wrong Zoom user's does.
            then = (
                exc.hint
                if isinstance(exc, ReauthEmailInvalid)
                else "Still waiting: if the customer saw an error, they open the link again."
            )
            return Rejected(
                f"Nylas refused the sign-in code of this answer: {exc.message} {then}",
                code_refused=None if isinstance(exc, ReauthEmailInvalid) else exc.message,
            )
        if isinstance(exc, MAYBE_DONE):
            log.warning("the code exchange failed (%s); looking the grant up", type(exc).__name__)
            found = await self.backend.grant_updated_since(self.account, self.started_at)
            if found is not None:
                return await self._verify(
                    found.id,
                    found_later=(
                        f"The code exchange did not answer ({exc.message}); the grant was found "
                        "by the customer's Zoom email, updated since this sign-in began."
                    ),
                )
        return Failed(exc)

    async def _verify(self, grant_id: str, *, found_later: str | None = None) -> Resolution:
        try:
            grant = grant_info(await self.backend.client.get_grant(grant_id))
        except NylasError as exc:
            log.warning("grant lookup failed after the exchange: %s", exc)
            unchecked = f"The grant could not be checked with Nylas: {exc.message} {exc.hint}"
            renewed = grant_id in self.existing
            details = VerifiedGrant(None, renewed, found_later or unchecked.strip())
            return Accepted(grant_id, ZOOM, None, details)
        # The grant our own PKCE exchange returned is this authorization's (the single-use code
        # and the verifier prove it); its stored state does not: a renewal keeps its first one.
        reason = mismatch(grant, None, self.account, state_required=False)
        if reason is not None:
            log.warning("grant %s refused: %s", grant.id, reason)
            return Rejected(reason)
        note = found_later or status_note(grant)
        return Accepted(
            grant.id, grant.provider, True, VerifiedGrant(grant, self.is_renewal(grant), note)
        )

    def is_renewal(self, grant: GrantInfo) -> bool:
        """This Zoom user's existing grant, re-authenticated (Nylas keeps its id and its
        created_at): known before the link was made, or created well before it."""
        return grant.id in self.existing or (
            grant.created_at is not None and grant.created_at < self.started_at - RENEWAL_SLACK
        )


class V3Backend:
    api = Api.V3
    exchange_timeout = EXCHANGE_TIMEOUT

    @property
    def resolve_timeout(self) -> float:
        """The exchange, then a grant read (or a lookup after a failed exchange)."""
        return self.exchange_timeout + 60.0

    def parse_callback(self, query: str) -> Callback:
        return parse_v3_callback(query)

    def __init__(self, client: NylasV3Client, application_id: str | None = None) -> None:
        self.client = client
        self.unfinished_hint = unfinished_hint(
            f"{client.base_url}/v3/connect/callback", "the Nylas application"
        )
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

    async def plan_integration(
        self, redirect_uri: LoopbackRedirectUri, zoom_client_id: str | None = None
    ) -> IntegrationPlan:
        connector = await self.client.connectors.find(ZOOM)
        uris = await self._active_callback_uris()
        registered = str(redirect_uri) in uris
        if connector is None:
            return IntegrationPlan(IntegrationAction.CREATE, None, not registered)
        info = _connector_info(connector, uris)
        conflict = _zoom_app_conflict(connector, zoom_client_id)
        if conflict is not None:
            return IntegrationPlan(
                IntegrationAction.REPLACE_ZOOM_APP, info, not registered, conflict
            )
        if registered:
            return IntegrationPlan(IntegrationAction.REUSE, info)
        return IntegrationPlan(IntegrationAction.ADD_REDIRECT_URI, info, True)

    async def ensure_integration(self, spec: IntegrationSpec) -> IntegrationOutcome:
        plan = await self.plan_integration(spec.redirect_uri, spec.zoom.client_id)
        action = plan.action
        connector = None
        settings = ZoomAppSettings(
            client_id=spec.zoom.client_id, client_secret=spec.zoom.client_secret
        )
        if plan.zoom_app_conflict is not None:
            if not spec.replace_zoom_app:
                raise ZoomAppMismatch(plan.zoom_app_conflict)
            # The whole settings object: Nylas replaces nested objects, never merges them.
            # Never a DELETE: that would break every Zoom grant of the application at once.
            connector = await self.client.connectors.update(
                ZOOM, ConnectorUpdate(settings=settings)
            )
            log.warning(
                "the Zoom connector's Zoom app was replaced (%s -> %s) at the operator's request",
                plan.zoom_app_conflict.connector_client_id,
                spec.zoom.client_id,
            )
        if action is IntegrationAction.CREATE:
            try:
                # No scope: Zoom connectors take none; the scopes live on the Zoom app.
                connector = await self.client.connectors.create(ConnectorCreate(settings=settings))
            except NylasApiError as exc:
                if exc.http_status != 409:
                    raise
                log.info("the Zoom connector appeared meanwhile; reusing it")
                connector = await self.client.connectors.get(ZOOM)
                conflict = _zoom_app_conflict(connector, spec.zoom.client_id)
                if conflict is not None:
                    raise ZoomAppMismatch(conflict) from None
                action = IntegrationAction.ADD_REDIRECT_URI
        if plan.registers_redirect_uri:
            added = await self.client.ensure_callback_uri(str(spec.redirect_uri))
            if added:
                log.info("registered the callback URI %s on the application", spec.redirect_uri)
        elif action is IntegrationAction.ADD_REDIRECT_URI:
            action = IntegrationAction.REUSE  # the connector raced in, the URI was there
        if connector is None:
            connector = await self.client.connectors.get(ZOOM)
        return IntegrationOutcome(
            _connector_info(connector, await self._active_callback_uris()), action
        )

    async def _active_callback_uris(self) -> list[str]:
        # A soft-deleted entry (deleted_at) is listed but no longer registered.
        return [uri.url for uri in await self.client.list_callback_uris() if uri.active]

    async def start_authorization(
        self, account: CustomerAccount, redirect_uri: LoopbackRedirectUri | str, state: str
    ) -> V3Authorization:
        account.require_for(self.api)
        started_at = int(time.time())
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
        return V3Authorization(
            url=url,
            expires_at=int(time.time()) + LINK_LIFETIME,
            state=state,
            account=account,
            redirect_uri=str(redirect_uri),
            backend=self,
            verifier=verifier,
            existing=existing,
            started_at=started_at,
        )

    def resume_authorization(self, link: LinkToResume) -> V3Authorization:
        if not link.secret:
            raise ValueError("a v3 authorization cannot be resumed without its PKCE verifier")
        remember_secret(link.secret)
        return V3Authorization(
            url="",  # sent already
            expires_at=link.expires_at,
            state=link.state,
            account=link.account,
            redirect_uri=link.redirect_uri,
            backend=self,
            verifier=link.secret,
            started_at=link.started_at,
        )

    async def register_redirect_uri(self, uri: str) -> bool:
        return await self.client.ensure_callback_uri(uri)

    async def get_grant(self, grant_id: str) -> GrantInfo:
        return grant_info(await self.client.get_grant(grant_id))

    async def delete_grant(self, grant_id: str) -> None:
        await self.client.delete_grant(grant_id)

    async def grants_since(self, since: int, account: CustomerAccount) -> Sequence[GrantInfo]:
        """Zoom grants made or renewed since `since`. Nylas's `since` filters on created_at,
        which a renewal keeps: so the newest updated first, until they are older."""
        found: list[GrantInfo] = []
        for page in range(MAX_GRANT_PAGES):
            grants = await self.client.list_grants(
                provider=ZOOM,
                sort_by="updated_at",
                order_by="desc",
                limit=GRANT_PAGE,
                offset=page * GRANT_PAGE,
            )
            fresh = [grant_info(g) for g in grants if (g.updated_at or 0) >= since]
            found.extend(fresh)
            if len(grants) < GRANT_PAGE or len(fresh) < len(grants):
                break
        return found

    async def grant_batch(self, *, offset: int, status: str | None) -> GrantBatch:
        """Filtered by Nylas. Oldest first: offset paging is steadiest so (a grant made
        meanwhile goes to the end; a renewal keeps created_at, so nothing moves)."""
        grants = await self.client.list_grants(
            provider=ZOOM,
            grant_status=status,
            sort_by="created_at",
            order_by="asc",
            limit=GRANT_PAGE,
            offset=offset,
        )
        more = len(grants) >= GRANT_PAGE
        return GrantBatch(
            tuple(grant_info(g) for g in grants), offset + GRANT_PAGE if more else None
        )

    async def grant_updated_since(self, account: CustomerAccount, since: int) -> GrantInfo | None:
        """The customer's Zoom grant if it was made or renewed since `since` (after an exchange
        whose answer never came); None without a Zoom email to ask by, or when Nylas cannot
        be asked."""
        if not account.login_hint:
            return None
        try:
            grants = await self.client.list_grants(
                provider=ZOOM,
                email=account.login_hint,
                sort_by="updated_at",
                order_by="desc",
                limit=5,
            )
        except NylasError as exc:
            log.warning("the grant lookup after a failed exchange failed too: %s", exc)
            return None
        for grant in grants:
            if (grant.updated_at or 0) >= since - LOOKUP_SLACK:
                return grant_info(grant)
        return None


def _zoom_app_conflict(connector: Connector, zoom_client_id: str | None) -> ZoomAppConflict | None:
    held = connector.settings.get("client_id")
    if not zoom_client_id or not isinstance(held, str) or not held or held == zoom_client_id:
        return None
    return ZoomAppConflict(connector_client_id=held, given_client_id=zoom_client_id)
