"""The seam between the flow and a Nylas API: what the flow asks of each backend, and the
API-neutral values that cross it (integration, grant, plan, result).

The flow's ordering, events, recorder, listener safety and error mapping are shared; a backend
only knows how its API creates the provider settings, starts an authorization, turns the
browser's callback into a grant and reads grants back.
"""

from __future__ import annotations

import enum
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from wizard.flow.inputs import CustomerAccount, IntegrationSpec
from wizard.listener.callback import Callback, CodeCallback, GrantCallback
from wizard.listener.redirect_uri import LoopbackRedirectUri
from wizard.listener.verdict import Resolution
from wizard.nylas.status import GrantStatus
from wizard.target import Api

if TYPE_CHECKING:  # the two APIs' grant payloads, read alike by grant_info
    from wizard.nylas.models import Grant
    from wizard.nylas.v3_models import V3Grant

ZOOM = "zoom"
# What the Zoom app must grant for Nylas's Zoom meetings (Nylas's Zoom guide); they live on the
# Zoom app, and a scope added there needs a new consent.
ZOOM_SCOPES = (
    "meeting:write:meeting",
    "meeting:update:meeting",
    "meeting:delete:meeting",
    "user:read:user",
)


class IntegrationAction(enum.StrEnum):
    CREATE = "create"
    REUSE = "reuse"
    ADD_REDIRECT_URI = "add_redirect_uri"
    REPLACE_ZOOM_APP = "replace_zoom_app"  # v3: the operator chose to move the connector

    def describe(self, api: Api = Api.CONNECT, *, done: bool = False) -> str:
        """In the future before it happens (plan), in the past after (`done`)."""
        word = api.connector_word
        where = "the integration's" if api is Api.CONNECT else "the application's callback"
        if self is IntegrationAction.CREATE:
            return (
                f"A new Zoom {word} was created on this Nylas application."
                if done
                else f"A new Zoom {word} will be created on this Nylas application."
            )
        if self is IntegrationAction.REUSE:
            return (
                f"The existing Zoom {word} was reused as it is."
                if done
                else f"The existing Zoom {word} will be reused as it is."
            )
        verb = "was" if done else "will be"
        if self is IntegrationAction.REPLACE_ZOOM_APP:
            return (
                f"The Zoom {word}'s Zoom app {verb} replaced with the one entered here; the "
                "application's earlier Zoom grants were made with the old Zoom app."
            )
        return (
            f"The existing Zoom {word} {verb} reused, and this computer's redirect URI {verb} "
            f"added to {where} URIs (the others stay)."
        )


@dataclass(frozen=True)
class IntegrationInfo:
    """Connect: the integration. v3: the connector, with the application's callback URIs."""

    api: Api
    provider: str
    name: str
    id: str | None
    redirect_uris: tuple[str, ...]


@dataclass(frozen=True)
class ZoomAppConflict:
    """The connector holds another Zoom app than the one the operator entered."""

    connector_client_id: str
    given_client_id: str

    def describe(self) -> str:
        return (
            f"The Zoom connector on this Nylas application holds the Zoom app with client id "
            f"{self.connector_client_id}, not the one entered ({self.given_client_id}). The "
            "application's existing Zoom grants were made with the connector's app: to keep "
            "them, enter that Zoom app's client id and secret. Replacing the connector's Zoom "
            "app is possible, but only as an explicit choice."
        )


@dataclass(frozen=True)
class IntegrationPlan:
    action: IntegrationAction
    existing: IntegrationInfo | None
    # v3: the connector is created and the callback URI registered in one plan.
    registers_redirect_uri: bool = False
    # v3: found before any link is made; ensure_integration stops on it unless told to replace.
    zoom_app_conflict: ZoomAppConflict | None = None


@dataclass(frozen=True)
class IntegrationOutcome:
    integration: IntegrationInfo
    action: IntegrationAction


def grant_info(grant: Grant | V3Grant, account_id: str | None = None) -> GrantInfo:
    """What the flow reads of either API's grant (only Connect's names an account)."""
    return GrantInfo(
        id=grant.id,
        provider=grant.provider,
        email=grant.email,
        grant_status=grant.grant_status,
        state=grant.state,
        account_id=account_id,
        created_at=grant.created_at,
        updated_at=grant.updated_at,
        scope=None if grant.scope is None else tuple(grant.scope),
    )


@dataclass(frozen=True)
class GrantInfo(GrantStatus):
    id: str
    provider: str
    email: str | None
    grant_status: str | None
    state: str | None
    account_id: str | None = None  # Connect only
    created_at: int | None = None
    updated_at: int | None = None
    scope: tuple[str, ...] | None = None  # None: Nylas did not say (v3 has answered null)

    @property
    def missing_scopes(self) -> tuple[str, ...]:
        """The Zoom scopes the consent did not grant (none when Nylas did not list any)."""
        if not self.scope:
            return ()
        return tuple(s for s in ZOOM_SCOPES if s not in self.scope)


@dataclass(frozen=True)
class GrantBatch:
    """One page of the application's grants as an API pages them: its Zoom grants (with the
    status asked for), and where the next page starts (None: this was the last)."""

    grants: tuple[GrantInfo, ...]
    next_offset: int | None


@dataclass(frozen=True)
class VerifiedGrant:
    """What a resolver hands on to the flow through the listener."""

    grant: GrantInfo | None  # None: the API could not be asked
    renewed: bool = False  # v3: this Zoom user's existing grant was re-authenticated
    note: str | None = None  # why it is not (fully) verified


@dataclass(frozen=True)
class OnboardingResult:
    grant_id: str
    provider: str
    account_id: str | None
    email: str | None
    grant_status: str | None
    verified: bool
    # Why verification did not confirm the grant (None when verified).
    verification_note: str | None = None
    api: str = Api.CONNECT.value
    customer: str | None = None
    login_hint: str | None = None
    renewed: bool = False
    # Zoom scopes the consent did not grant: add them to the Zoom app, then the customer
    # consents again.
    missing_scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LinkToResume:
    """What an authorization made earlier is remade from (flow/remote.py)."""

    account: CustomerAccount
    redirect_uri: str
    state: str
    secret: str | None = field(repr=False)  # PendingAuthorization.secret, from the keyring
    started_at: int
    expires_at: int


class PendingAuthorization(Protocol):
    """One authorization in progress: its link, and how to turn its callback into a grant."""

    @property
    def url(self) -> str: ...

    @property
    def expires_at(self) -> int: ...

    @property
    def id(self) -> str: ...

    @property
    def secret(self) -> str | None:
        """What only this authorization's maker knows and its answer needs (v3: the PKCE
        verifier; Connect: None). A link sent elsewhere keeps it in the OS keyring."""
        ...

    async def resolve(self, callback: GrantCallback | CodeCallback) -> Resolution: ...


class Backend(Protocol):
    api: Api
    # Said when the browser opened the link and no answer came back: what the customer
    # probably saw (errors that stay at Nylas or Zoom never reach this computer).
    unfinished_hint: str

    @property
    def resolve_timeout(self) -> float:
        """How long turning one callback into a grant may take (v3: Nylas's exchange takes
        up to 90 s); the listener waits that long for it, never less."""
        ...

    def parse_callback(self, query: str) -> Callback: ...

    async def check_credentials(self) -> None: ...

    async def plan_integration(
        self, redirect_uri: LoopbackRedirectUri, zoom_client_id: str | None = None
    ) -> IntegrationPlan: ...

    async def ensure_integration(self, spec: IntegrationSpec) -> IntegrationOutcome: ...

    async def start_authorization(
        self, account: CustomerAccount, redirect_uri: LoopbackRedirectUri | str, state: str
    ) -> PendingAuthorization: ...

    def resume_authorization(self, link: LinkToResume) -> PendingAuthorization:
        """An authorization made earlier (a link sent elsewhere, perhaps before a restart),
        able to resolve the answer the customer sends back."""
        ...

    async def register_redirect_uri(self, uri: str) -> bool:
        """Make `uri` (a landing page) a redirect URI of the application or integration, as
        the loopback one is; True when it had to be added."""
        ...

    async def get_grant(self, grant_id: str) -> GrantInfo: ...

    async def delete_grant(self, grant_id: str) -> None: ...

    async def grants_since(self, since: int, account: CustomerAccount) -> Sequence[GrantInfo]: ...

    async def grant_batch(self, *, offset: int, status: str | None) -> GrantBatch:
        """The Zoom grants of one page from `offset`, oldest first where the API can sort;
        `status` None: any status."""
        ...

    async def aclose(self) -> None: ...


def unfinished_hint(callback_url: str, where: str) -> str:
    return (
        "The browser opened the sign-in link, but no answer came back. If the customer saw an "
        f"error page: Nylas's (error 701, callback URI not allowed) means this computer's "
        f"redirect URI is not registered on {where} (go Back to the Zoom app page and Next to "
        "register it); Zoom's saying the app is not available means the Zoom app is not "
        "published, or not shared with the customer's Zoom account; Zoom's 4700 means "
        f"{callback_url} is not the Zoom app's OAuth redirect URL or not on its allow list; "
        "4702 means the Zoom client id is wrong (development and production pairs mixed). "
        "Otherwise the customer did not finish: start the sign-in again."
    )


def same_secret(a: str | None, b: str) -> bool:
    """Constant-time comparison (bytes: compare_digest refuses non-ASCII str)."""
    return a is not None and hmac.compare_digest(a.encode(), b.encode())


def mismatch(
    grant: GrantInfo, state: str | None, account: CustomerAccount, *, state_required: bool
) -> str | None:
    """Why `grant` is not this authorization's (None when it may be). Checked for every grant
    before it is accepted: a leaked state must not let another request's grant through.

    `state` None: the grant's own state proves nothing here (v3: a grant our PKCE exchange
    returned is this authorization's, and a renewed grant keeps its first state)."""
    if grant.provider != ZOOM:
        return f"Nylas reports provider {grant.provider!r}, not Zoom."
    if state is not None:
        if grant.state is not None and not same_secret(grant.state, state):
            return "Nylas reports this grant for a different authorization."
        if grant.state is None and state_required:
            return "Nylas reports no authorization for this grant, so it cannot be matched."
    if account.account_id and grant.account_id and grant.account_id != account.account_id:
        return "Nylas reports this grant for another account."
    if (
        account.login_hint
        and grant.email
        and grant.email.casefold() != account.login_hint.casefold()
    ):
        return (
            f"The Zoom user who consented ({grant.email}) is not the customer's "
            f"({account.login_hint}): sign in as the customer's Zoom user, or use a private "
            "window."
        )
    return None


def status_note(grant: GrantInfo) -> str | None:
    """A word on a grant that is not plainly valid. No status at all is unknown, not invalid
    (v3's spec makes the field optional); only "invalid" means re-authenticate."""
    if grant.is_valid or grant.grant_status is None:
        return None
    if grant.grant_status == "invalid":
        return "Nylas reports the grant status 'invalid': it needs re-authentication."
    return (
        f"Nylas reports the grant status {grant.grant_status!r}, which this tool does not know: "
        "check the grant in the Nylas dashboard."
    )


def result_of(
    grant_id: str,
    provider: str,
    account: CustomerAccount,
    grant: GrantInfo | None,
    note: str | None,
    renewed: bool,
    api: str,
) -> OnboardingResult:
    """The result of one authorization: what the grant says (None: it could not be read), why
    it is not verified (`note`), whether it renewed this Zoom user's grant."""
    return OnboardingResult(
        grant_id=grant_id,
        provider=provider,
        account_id=account.account_id or (grant.account_id if grant else None),
        email=grant.email if grant else None,
        grant_status=grant.grant_status if grant else None,
        verified=grant is not None and note is None,
        verification_note=note,
        api=api,
        customer=account.customer,
        login_hint=account.login_hint,
        renewed=renewed,
        missing_scopes=grant.missing_scopes if grant else (),
    )


def verified_parts(details: object) -> tuple[GrantInfo | None, str | None, bool]:
    """What a resolution's details say (a VerifiedGrant, or nothing): the grant as read, why
    it is not verified, whether it renewed this Zoom user's grant."""
    if not isinstance(details, VerifiedGrant):
        return None, None, False
    return details.grant, details.note, details.renewed
