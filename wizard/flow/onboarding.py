"""Orders the onboarding steps: integration, auth request, listener, browser, wait, verification.

The flow owns no UI and no storage: it calls the client and the listener, reports progress as
events, hands every captured grant to a recorder before anything else can fail, and returns the
result (or raises the typed error) to its caller.
"""

from __future__ import annotations

import asyncio
import enum
import hmac
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import SecretStr

from wizard.flow.events import (
    AuthUrlReady,
    BrowserLaunched,
    BrowserReached,
    BrowserSilent,
    FlowEvent,
    GrantCaptured,
    GrantVerified,
    IntegrationReady,
)
from wizard.flow.inputs import CustomerAccount, IntegrationSpec
from wizard.listener.callback import GrantCallback
from wizard.listener.listener import CallbackListener, CapturedGrant, GrantCheck
from wizard.listener.redirect_uri import LoopbackRedirectUri
from wizard.logs import remember_secret
from wizard.nylas.client import NylasConnectClient
from wizard.nylas.errors import IntegrationAlreadyExists, NotFound, NylasApiError, NylasError
from wizard.nylas.models import (
    ZOOM,
    AuthRequestCreate,
    Grant,
    Integration,
    IntegrationCreate,
    IntegrationUpdate,
    ZoomAppSettings,
)

log = logging.getLogger(__name__)

BrowserOpener = Callable[[str], Awaitable[bool]]
"""Opens a URL for the customer; returns whether it believes a browser opened."""

# A login link that dies while the customer is on Zoom's consent page may still come back.
LINK_GRACE_SECONDS = 60.0
OPENER_GRACE_SECONDS = 2.0
STATE_BYTES = 32  # 256 bits; the issue asks for at least 128


class IntegrationAction(enum.StrEnum):
    CREATE = "create"
    REUSE = "reuse"
    ADD_REDIRECT_URI = "add_redirect_uri"

    def describe(self) -> str:
        return {
            "create": "A new Zoom integration will be created on this Nylas application.",
            "reuse": "The existing Zoom integration will be reused as it is.",
            "add_redirect_uri": "The existing Zoom integration will be reused, and this "
            "computer's redirect URI will be added to it (its other redirect URIs stay).",
        }[self.value]


@dataclass(frozen=True)
class IntegrationPlan:
    action: IntegrationAction
    existing: Integration | None


@dataclass(frozen=True)
class IntegrationOutcome:
    integration: Integration
    action: IntegrationAction


@dataclass(frozen=True)
class OnboardingResult:
    grant_id: str
    provider: str
    account_id: str
    email: str | None
    grant_status: str | None
    verified: bool
    # Why verification did not confirm the grant (None when verified).
    verification_note: str | None = None


class GrantRecorder(Protocol):
    """Where grants are kept (the history). Called before the browser sees the success page."""

    async def grant_captured(self, grant_id: str, provider: str, account_id: str) -> None: ...

    async def grant_verified(self, result: OnboardingResult) -> None: ...


class OnboardingFlow:
    def __init__(
        self,
        client: NylasConnectClient,
        opener: BrowserOpener,
        *,
        on_event: Callable[[FlowEvent], None] = lambda event: None,
        recorder: GrantRecorder | None = None,
        browser_grace: float = 15.0,
    ) -> None:
        self.client = client
        self.opener = opener
        self.on_event = on_event
        self.recorder = recorder
        self.browser_grace = browser_grace

    @classmethod
    def for_api(
        cls,
        base_url: str,
        client_id: str,
        client_secret: SecretStr,
        opener: BrowserOpener,
        **kwargs: Any,
    ) -> OnboardingFlow:
        """A flow with its own client, so callers (the wizard) never handle HTTP themselves."""
        return cls(NylasConnectClient(base_url, client_id, client_secret), opener, **kwargs)

    async def aclose(self) -> None:
        await self.client.aclose()

    # -- step 1: connection -----------------------------------------------------------------

    async def check_connection(self) -> None:
        await self.client.check_credentials()

    # -- step 2: the integration ------------------------------------------------------------

    async def check_redirect_port(self, redirect_uri: LoopbackRedirectUri) -> None:
        """PortInUse now, while the operator can still choose another port."""
        await CallbackListener.check_port(redirect_uri)

    async def plan_integration(self, redirect_uri: LoopbackRedirectUri) -> IntegrationPlan:
        existing = await self.client.find_integration(ZOOM)
        if existing is None:
            return IntegrationPlan(IntegrationAction.CREATE, None)
        if str(redirect_uri) in existing.redirect_uris:
            return IntegrationPlan(IntegrationAction.REUSE, existing)
        return IntegrationPlan(IntegrationAction.ADD_REDIRECT_URI, existing)

    async def ensure_integration(self, spec: IntegrationSpec) -> IntegrationOutcome:
        plan = await self.plan_integration(spec.redirect_uri)
        if plan.action is IntegrationAction.CREATE:
            try:
                created = await self.client.create_integration(
                    IntegrationCreate(
                        name=spec.name,
                        settings=ZoomAppSettings(
                            client_id=spec.zoom.client_id, client_secret=spec.zoom.client_secret
                        ),
                        redirect_uris=[str(spec.redirect_uri)],
                        expires_in=spec.expires_in,
                    )
                )
                outcome = IntegrationOutcome(created, IntegrationAction.CREATE)
            except IntegrationAlreadyExists:
                # Created meanwhile (another operator, or a create whose answer was lost).
                log.info("integration appeared meanwhile; reusing it")
                plan = await self.plan_integration(spec.redirect_uri)
                if plan.action is IntegrationAction.CREATE:
                    raise
                outcome = await self._reuse(plan, spec.redirect_uri)
        else:
            outcome = await self._reuse(plan, spec.redirect_uri)
        self.on_event(IntegrationReady(outcome.integration, outcome.action))
        return outcome

    async def _reuse(
        self, plan: IntegrationPlan, redirect_uri: LoopbackRedirectUri
    ) -> IntegrationOutcome:
        assert plan.existing is not None
        if plan.action is IntegrationAction.REUSE:
            return IntegrationOutcome(plan.existing, IntegrationAction.REUSE)
        uris = [*plan.existing.redirect_uris, str(redirect_uri)]
        updated = await self.client.update_integration(
            plan.existing.provider, IntegrationUpdate(redirect_uris=uris)
        )
        return IntegrationOutcome(updated, IntegrationAction.ADD_REDIRECT_URI)

    # -- steps 3 to 6: one customer account -------------------------------------------------

    async def authorize(
        self,
        account: CustomerAccount,
        redirect_uri: LoopbackRedirectUri,
        *,
        timeout: float = 600.0,
        recorder: GrantRecorder | None = None,
    ) -> OnboardingResult:
        """Create the auth request, catch the redirect, verify the grant.

        Raises CallbackRefused (consent declined, Zoom error), ListenerTimeout, PortInUse or a
        NylasError. Cancelling the awaiting task frees the port at once. `recorder` (default:
        the flow's) receives the grant before the browser is told of success.
        """
        recorder = recorder or self.recorder
        state = secrets.token_urlsafe(STATE_BYTES)
        remember_secret(state)  # whoever logs a URL or body with it, the log shows a mask
        auth = await self.client.create_auth_request(
            AuthRequestCreate(
                redirect_uri=str(redirect_uri),
                account_id=account.account_id,
                expires_in=account.expires_in,
                login_hint=account.login_hint,
                state=state,
            )
        )
        # Grants the listener already fetched (a callback without state): verified once.
        fetched: dict[str, Grant] = {}
        listener = CallbackListener(
            redirect_uri,
            state,
            expected_provider=ZOOM,
            verify=self._stateless_verifier(state, fetched),
            on_grant=self._record_capture(account.account_id, recorder),
            launch_target=auth.url,
        )
        await listener.start()  # a busy port fails here, before any browser opens
        launch_url = listener.launch_url or auth.url
        self.on_event(AuthUrlReady(auth.url, auth.expires_at, auth.id, launch_url))
        helpers = [
            # Through the listener: its first request proves the browser opened.
            asyncio.create_task(self._open_browser(launch_url)),
            asyncio.create_task(self._watch_browser(listener, auth.url)),
        ]
        try:
            deadline = min(timeout, max(0.0, auth.expires_at - time.time()) + LINK_GRACE_SECONDS)
            captured = await listener.wait(deadline)
            # A scripted browser may still be reading the success page: let it finish.
            await asyncio.wait(helpers[:1], timeout=OPENER_GRACE_SECONDS)
        finally:
            for task in helpers:
                task.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            await listener.close()
        result = await self._verify(
            captured, account.account_id, state, fetched.get(captured.grant_id)
        )
        if recorder is not None:
            await self._recorder_call(recorder.grant_verified(result))
        self.on_event(GrantVerified(result))
        return result

    async def run(
        self,
        spec: IntegrationSpec,
        account: CustomerAccount,
        *,
        timeout: float = 600.0,
        recorder: GrantRecorder | None = None,
    ) -> OnboardingResult:
        await self.ensure_integration(spec)
        return await self.authorize(account, spec.redirect_uri, timeout=timeout, recorder=recorder)

    # -- helpers ---------------------------------------------------------------------------

    async def _open_browser(self, url: str) -> None:
        try:
            claimed = await self.opener(url)
        except Exception:  # the opener is outside code; its failure is just "did not open"
            log.exception("browser opener failed")
            claimed = False
        self.on_event(BrowserLaunched(claimed))

    async def _watch_browser(self, listener: CallbackListener, url: str) -> None:
        try:
            await asyncio.wait_for(listener.reached.wait(), self.browser_grace)
        except TimeoutError:
            self.on_event(BrowserSilent(url, self.browser_grace))
            await listener.reached.wait()
        self.on_event(BrowserReached())

    def _record_capture(
        self, account_id: str, recorder: GrantRecorder | None
    ) -> Callable[[CapturedGrant], Awaitable[None]]:
        async def on_grant(captured: CapturedGrant) -> None:
            if recorder is not None:
                await self._recorder_call(
                    recorder.grant_captured(captured.grant_id, captured.provider, account_id)
                )
            self.on_event(GrantCaptured(captured.grant_id))

        return on_grant

    async def _recorder_call(self, call: Awaitable[None]) -> None:
        # The recorder keeps its own fallbacks; its failure must not cost the operator the grant.
        try:
            await call
        except Exception:
            log.exception("recording the grant failed")

    def _stateless_verifier(
        self, state: str, fetched: dict[str, Grant]
    ) -> Callable[[GrantCallback], Awaitable[GrantCheck]]:
        async def verify(callback: GrantCallback) -> GrantCheck:
            try:
                grant = await self.client.get_grant(callback.grant_id)
            except NotFound:
                return GrantCheck.MISMATCH
            except NylasApiError as exc:
                log.warning("grant lookup failed: %s", exc)
                return GrantCheck.MISMATCH if exc.http_status < 500 else GrantCheck.UNREACHABLE
            except NylasError as exc:
                log.warning("grant lookup failed: %s", exc)
                return GrantCheck.UNREACHABLE
            if grant.provider == ZOOM and _same(grant.state, state):
                fetched[grant.id] = grant
                return GrantCheck.MATCHES
            return GrantCheck.MISMATCH

        return verify

    async def _verify(
        self, captured: CapturedGrant, account_id: str, state: str, known: Grant | None
    ) -> OnboardingResult:
        base = {
            "grant_id": captured.grant_id,
            "provider": captured.provider,
            "account_id": account_id,
        }
        try:
            grant = known or await self.client.get_grant(captured.grant_id)
        except NylasError as exc:
            return OnboardingResult(
                **base,
                email=None,
                grant_status=None,
                verified=False,
                verification_note=f"The grant could not be checked with Nylas: {exc.message} "
                f"{exc.hint}".strip(),
            )
        note = None
        if grant.provider != ZOOM:
            note = f"Nylas reports provider {grant.provider!r}, not Zoom."
        elif grant.state is not None and not _same(grant.state, state):
            note = "Nylas reports this grant for a different authentication request."
        elif not grant.is_valid:
            note = (
                f"Nylas reports the grant status {grant.grant_status!r}: "
                "it needs re-authentication."
            )
        return OnboardingResult(
            **base,
            email=grant.email,
            grant_status=grant.grant_status,
            verified=note is None,
            verification_note=note,
        )


def _same(a: str | None, b: str) -> bool:
    return a is not None and hmac.compare_digest(a.encode(), b.encode())
