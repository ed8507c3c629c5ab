"""Orders the onboarding steps: integration, auth request, listener, browser, wait, verification.

The flow owns no UI, no storage and no API of its own: it drives a backend (Connect or v3,
wizard/flow/backend.py) and the listener, reports progress as events, hands every captured grant
to a recorder before anything else can fail, and returns the result (or raises the typed error)
to its caller.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable

from wizard import memory
from wizard.flow.backend import (
    Backend,
    IntegrationAction,
    IntegrationInfo,
    IntegrationOutcome,
    IntegrationPlan,
    OnboardingResult,
    PendingAuthorization,
    mismatch,
    result_of,
    status_note,
    verified_parts,
)
from wizard.flow.events import (
    AnswerRejected,
    AuthUrlReady,
    BrowserLaunched,
    BrowserReached,
    BrowserSilent,
    FlowEvent,
    GrantCaptured,
    GrantVerified,
    IntegrationReady,
    LateAnswer,
)
from wizard.flow.inputs import CustomerAccount, IntegrationSpec
from wizard.flow.links import LateLink, LinkListeners, OpenLink
from wizard.flow.recording import (
    AuthorizationLog,
    AuthorizationRecord,
    DeletionLog,
    GrantRecorder,
    state_digest,
)
from wizard.listener.callback import CodeCallback, GrantCallback
from wizard.listener.listener import (
    CallbackListener,
    CallbackRefused,
    CapturedGrant,
    ListenerTimeout,
    PendingCallback,
)
from wizard.listener.redirect_uri import LoopbackRedirectUri
from wizard.listener.verdict import Rejected, Resolution
from wizard.logs import remember_secret
from wizard.nylas.errors import NylasError
from wizard.target import Api

__all__ = [
    "AuthorizationLog",
    "DeletionLog",
    "GrantRecorder",
    "IntegrationAction",
    "IntegrationInfo",
    "IntegrationOutcome",
    "IntegrationPlan",
    "OnboardingFlow",
    "OnboardingResult",
    "OpenLink",
    "state_digest",
]

log = logging.getLogger(__name__)

BrowserOpener = Callable[[str], Awaitable[bool]]
"""Opens a URL for the customer; returns whether it believes a browser opened."""

# A login link that dies while the customer is on Zoom's consent page may still come back.
LINK_GRACE_SECONDS = 60.0
OPENER_GRACE_SECONDS = 2.0
STATE_BYTES = 32  # 256 bits; the issue asks for at least 128
NOBODY_OPENED_HINT = (
    "Nobody opened the sign-in link on this computer. Open it in a browser here (a private "
    "window if your own Zoom account is signed in), then try again."
)


V3_LINK_EXPIRED = "The sign-in link expired before the customer's browser came back with it."
V3_STOPPED_LISTENING = (
    "The tool stopped listening for this link. On Nylas API v3 a consent given with it "
    "afterwards cannot become a grant (only the process that made the link can exchange its "
    "code): make a new link."
)


class OnboardingFlow:
    def __init__(
        self,
        backend: Backend,
        opener: BrowserOpener,
        *,
        on_event: Callable[[FlowEvent], None] = lambda event: None,
        recorder: GrantRecorder | None = None,
        browser_grace: float = 15.0,
        opens_browser: bool = True,
    ) -> None:
        """`opens_browser` False: the operator opens the link themselves (--no-browser), so a
        silent listener means nobody opened it yet, not a browser that failed to start.
        wizard/flow/factory.py builds the backend for a target and its credentials."""
        self.backend: Backend = backend
        self.opener = opener
        self.on_event = on_event
        self.recorder = recorder
        self.browser_grace = browser_grace
        self.opens_browser = opens_browser
        self._links = LinkListeners(backend.parse_callback)

    @property
    def api(self) -> str:
        return self.backend.api.value

    async def aclose(self) -> None:
        await self.stop_listening()
        await self.backend.aclose()

    # -- step 1: connection -----------------------------------------------------------------

    async def check_connection(self) -> None:
        await self.backend.check_credentials()

    async def delete_grant(
        self, grant_id: str, *, recorder: GrantRecorder | None = None
    ) -> str | None:
        """Revoke a grant for good (the wrong Zoom user consented). A recorder that keeps
        deletions (the history's) marks every record of it; returns what it says."""
        await self.backend.delete_grant(grant_id)
        keeper = recorder if recorder is not None else self.recorder
        if isinstance(keeper, DeletionLog):
            return await keeper.grant_deleted(grant_id)
        return None

    # -- step 2: the integration ------------------------------------------------------------

    async def check_redirect_port(self, redirect_uri: LoopbackRedirectUri) -> None:
        """PortInUse now, while the operator can still choose another port (this flow's own
        listener on it is no obstacle)."""
        await self._links.check_port(redirect_uri)

    async def listen(self, redirect_uri: LoopbackRedirectUri) -> None:
        """Bind this flow's listener for `redirect_uri` now (PortInUse), and keep it: a run that
        cannot listen takes no work, and a second copy of the tool finds the port taken."""
        await self._links.listener_for(redirect_uri)

    async def plan_integration(
        self, redirect_uri: LoopbackRedirectUri, zoom_client_id: str | None = None
    ) -> IntegrationPlan:
        """What ensure_integration would do; with the Zoom app's client id, it also finds a
        connector that holds another Zoom app (v3), before any link is made."""
        return await self.backend.plan_integration(redirect_uri, zoom_client_id)

    async def ensure_integration(self, spec: IntegrationSpec) -> IntegrationOutcome:
        outcome = await self.backend.ensure_integration(spec)
        self.on_event(IntegrationReady(outcome.integration, outcome.action))
        return outcome

    # -- steps 3 to 6: one customer account -------------------------------------------------

    async def authorize(
        self,
        account: CustomerAccount,
        redirect_uri: LoopbackRedirectUri,
        *,
        timeout: float = 600.0,
        recorder: GrantRecorder | None = None,
        tag: object = None,
    ) -> OnboardingResult:
        """Create the auth request, catch the redirect, verify the grant.

        Raises CallbackRefused (consent declined, Zoom error), ListenerTimeout, PortInUse or a
        NylasError. `recorder` (default: the flow's) receives the grant before the browser is
        told of success. After a timeout or a cancel the link keeps working while it is valid:
        this flow keeps listening for it, and a late answer is recorded and reported as a
        LateAnswer event carrying `tag`.
        """
        memory.settle()  # what the last account left behind, before this one starts
        record = AuthorizationRecord(recorder or self.recorder)
        state = secrets.token_urlsafe(STATE_BYTES)
        remember_secret(state)  # whoever logs a URL or body with it, the log shows a mask
        auth = await self.backend.start_authorization(account, redirect_uri, state)
        await record.started(account, auth, state)
        listener = await self._links.listener_for(redirect_uri)  # a busy port fails here
        pending = self._expect(listener, auth, account, record, state)
        launch_url = listener.launch_url_for(pending) or auth.url
        self.on_event(AuthUrlReady(auth.url, auth.expires_at, auth.id, launch_url))
        helpers = [
            # Through the listener: its first request proves the browser opened.
            asyncio.create_task(self._open_browser(launch_url)),
            asyncio.create_task(self._watch_browser(pending, auth.url)),
        ]
        late = LateLink(listener, pending, account, record, state, tag)
        try:
            deadline = min(timeout, max(0.0, auth.expires_at - time.time()) + LINK_GRACE_SECONDS)
            captured = await self._wait(late, deadline)
            # A scripted browser may still be reading the success page: let it finish.
            await asyncio.wait(helpers[:1], timeout=OPENER_GRACE_SECONDS)
        finally:
            for task in helpers:
                task.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
        result = await self._result(captured, account, state)
        await record.verified(result)
        self.on_event(GrantVerified(result))
        return result

    def _expect(
        self,
        listener: CallbackListener,
        auth: PendingAuthorization,
        account: CustomerAccount,
        record: AuthorizationRecord,
        state: str,
    ) -> PendingCallback:
        cell: list[PendingCallback] = []  # the resolver and on_grant ask whether it is waited
        pending = listener.expect(
            state,
            expected_provider="zoom",
            resolve=self._resolver(auth, cell),
            on_grant=self._record_capture(account, record, cell),
            launch_target=auth.url,
            silent_hint=None if self.opens_browser else NOBODY_OPENED_HINT,
            verify_timeout=self.backend.resolve_timeout,
            expires_at=auth.expires_at + LINK_GRACE_SECONDS,
            unfinished_hint=self.backend.unfinished_hint,
        )
        cell.append(pending)
        return pending

    async def _wait(self, late: LateLink, deadline: float) -> CapturedGrant:
        """The answer to this link; after a timeout or a cancel it is still listened for."""
        listener, pending = late.listener, late.pending
        try:
            captured = await pending.wait(deadline)
        except (ListenerTimeout, asyncio.CancelledError):
            self._links.keep(late, self._watch_late)  # the customer's tab still works: so do we
            raise
        except CallbackRefused as refusal:
            listener.forget(pending)
            await late.record.ended("refused", note=str(refusal))
            raise
        except BaseException:
            listener.forget(pending)
            raise
        listener.forget(pending)
        return captured

    # -- links whose wait ended: still listened for while they work ---------------------

    def open_links(self) -> list[OpenLink]:
        """Earlier links this flow still listens for (valid, nobody waiting on them)."""
        return self._links.open_links()

    async def until_links_close(self) -> None:
        """Until every earlier link has come back or expired."""
        await self._links.until_links_close()

    async def stop_listening(self) -> None:
        """Close every listener: earlier links stop working here (v3: their authorizations
        are recorded as abandoned, with why)."""
        await self._links.close()

    async def _watch_late(self, late: LateLink) -> None:
        pending, v3 = late.pending, self.backend.api is Api.V3
        left = max(0.0, (pending.expires_at or 0) - time.time())
        try:
            async with asyncio.timeout(left):
                outcome = await pending.outcome()
        except TimeoutError:
            late.listener.forget(pending)
            if v3:  # nothing else can finish it; Connect's grant may still be found by state
                await late.record.ended("expired", note=V3_LINK_EXPIRED)
            return
        except asyncio.CancelledError:
            late.listener.forget(pending)
            if v3 and not pending.claimed:
                await asyncio.shield(late.record.ended("abandoned", note=V3_STOPPED_LISTENING))
            raise
        late.listener.forget(pending)
        log.info("an earlier link came back after its wait had ended")
        if isinstance(outcome, CapturedGrant):
            result = await self._result(outcome, late.account, late.state)
            await late.record.verified(result)
            self.on_event(LateAnswer(late.account, late.tag, result=result))
            return
        outcome_word = "refused" if isinstance(outcome, CallbackRefused) else "abandoned"
        await late.record.ended(outcome_word, note=str(outcome))
        self.on_event(LateAnswer(late.account, late.tag, error=outcome))

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

    async def _watch_browser(self, pending: PendingCallback, url: str) -> None:
        try:
            await asyncio.wait_for(pending.reached.wait(), self.browser_grace)
        except TimeoutError:
            self.on_event(BrowserSilent(url, self.browser_grace))
            await pending.reached.wait()
        self.on_event(BrowserReached())

    def _record_capture(
        self,
        account: CustomerAccount,
        record: AuthorizationRecord,
        cell: list[PendingCallback],
    ) -> Callable[[CapturedGrant], Awaitable[None]]:
        async def on_grant(captured: CapturedGrant) -> None:
            await record.captured(captured.grant_id, captured.provider, account)
            if cell and cell[0].attended:  # a late one is told as a LateAnswer, once verified
                self.on_event(GrantCaptured(captured.grant_id))

        return on_grant

    def _resolver(
        self, auth: PendingAuthorization, cell: list[PendingCallback]
    ) -> Callable[[GrantCallback | CodeCallback], Awaitable[Resolution]]:
        async def resolve(callback: GrantCallback | CodeCallback) -> Resolution:
            resolution = await auth.resolve(callback)
            # Only an answer with this request's state, while it is waited for, is worth the
            # operator's attention (the page shows another customer's wait otherwise).
            waited = bool(cell) and cell[0].attended
            if isinstance(resolution, Rejected) and callback.state is not None and waited:
                self.on_event(AnswerRejected(resolution.reason))
            return resolution

        return resolve

    async def _result(
        self, captured: CapturedGrant, account: CustomerAccount, state: str
    ) -> OnboardingResult:
        grant, note, renewed = verified_parts(captured.details)
        if grant is None:
            # The API was away when the callback came: one more try before the result.
            try:
                grant = await self.backend.get_grant(captured.grant_id)
            except NylasError as exc:
                note = note or (
                    f"The grant could not be checked with Nylas: {exc.message} {exc.hint}".strip()
                )
            else:
                note = mismatch(grant, state, account, state_required=False) or status_note(grant)
        return result_of(
            captured.grant_id,
            captured.provider,
            account,
            grant,
            note,
            renewed,
            self.backend.api.value,
        )
