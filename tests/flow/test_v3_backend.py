"""The v3 backend through the whole flow, against the sandbox's v3 half over real sockets."""

from __future__ import annotations

import asyncio
import hashlib
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.helpers.flows import EMAIL, AllowsAgainWhenRefused, Recorder, spec, v3_flow
from wizard.flow import (
    AuthUrlReady,
    CustomerAccount,
    IntegrationAction,
    OnboardingResult,
)
from wizard.flow.onboarding import OnboardingFlow
from wizard.flow.reconcile import find_late_grants
from wizard.flow.v3_backend import ApplicationMismatch, V3Backend
from wizard.listener.listener import CallbackRefused
from wizard.nylas.errors import AuthenticationFailed
from wizard.sandbox import SandboxServer
from wizard.sandbox.consent_bot import ConsentBot

pytestmark = pytest.mark.anyio


async def test_allow_creates_connector_registers_uri_and_gives_a_verified_grant() -> None:
    async with SandboxServer() as sandbox:
        bot = ConsentBot("allow")
        recorder = Recorder()
        flow = v3_flow(sandbox, bot, recorder=recorder)
        try:
            await flow.check_connection()
            backend = flow.backend
            assert isinstance(backend, V3Backend)
            assert await backend.application_id() == sandbox.credentials.v3_application_id
            s = spec(sandbox)
            plan = await flow.plan_integration(s.redirect_uri)
            assert plan.action is IntegrationAction.CREATE and plan.registers_redirect_uri
            outcome = await flow.ensure_integration(s)
            assert outcome.action is IntegrationAction.CREATE
            assert str(s.redirect_uri) in outcome.integration.redirect_uris
            account = CustomerAccount(customer="Acme #123", login_hint=EMAIL)
            result = await flow.authorize(account, s.redirect_uri, timeout=20)
        finally:
            await flow.aclose()
        assert result.verified, result.verification_note
        assert result.api == "v3" and result.customer == "Acme #123" and result.email == EMAIL
        assert not result.renewed
        assert result.grant_id in sandbox.v3_grants
        kinds = [c[0] for c in recorder.calls]
        assert kinds == ["started", "captured", "ended", "verified"]
        assert recorder.calls[2][1] == (1, "connected", result.grant_id)
        # The browser came back with a code and the state, never a grant id.
        back = parse_qs(urlsplit(bot.visits[-1].final_url).query)
        assert set(back) >= {"code", "state"} and "grant_id" not in back


async def test_connector_already_there_and_a_second_consent_renews_the_grant() -> None:
    async with SandboxServer() as sandbox:
        first = await _onboard(sandbox, "allow")
        flow = v3_flow(sandbox, ConsentBot("allow"))
        try:
            s = spec(sandbox)
            plan = await flow.plan_integration(s.redirect_uri)
            assert plan.action is IntegrationAction.ADD_REDIRECT_URI  # a new port
            await flow.ensure_integration(s)
            again = await flow.authorize(
                CustomerAccount(customer="Acme #123", login_hint=EMAIL), s.redirect_uri, timeout=20
            )
        finally:
            await flow.aclose()
        assert again.grant_id == first.grant_id and again.renewed and again.verified


async def test_decline_is_refused_and_recorded_as_refused() -> None:
    async with SandboxServer() as sandbox:
        recorder = Recorder()
        with pytest.raises(CallbackRefused):
            await _onboard(sandbox, "deny", recorder=recorder)
        assert recorder.calls[-1][0] == "ended" and recorder.calls[-1][1][1] == "refused"


async def test_wrong_api_key_and_wrong_application_id_say_what_to_do() -> None:
    async with SandboxServer() as sandbox:
        flow = v3_flow(sandbox, ConsentBot(), key="nyk_not_the_key")
        try:
            with pytest.raises(AuthenticationFailed):
                await flow.check_connection()
        finally:
            await flow.aclose()
        flow = v3_flow(sandbox, ConsentBot(), app_id="another-application")
        try:
            with pytest.raises(ApplicationMismatch, match="belongs to the application"):
                await flow.check_connection()
        finally:
            await flow.aclose()


async def stopped(
    sandbox: SandboxServer, recorder: Recorder, events: list[object]
) -> tuple[OnboardingFlow, str]:
    """A flow whose wait for a consent was stopped; returns it and the sign-in link."""
    link = asyncio.get_running_loop().create_future()

    def on_event(event: object) -> None:
        events.append(event)
        if isinstance(event, AuthUrlReady) and not link.done():
            link.set_result(event.url)

    async def silent(url: str) -> bool:
        return True  # the operator will open the link later, by hand

    flow = v3_flow(sandbox, silent, recorder=recorder, on_event=on_event, browser_grace=60)
    s = spec(sandbox)
    await flow.ensure_integration(s)
    account = CustomerAccount(customer="Late", login_hint=EMAIL)
    task = asyncio.create_task(flow.authorize(account, s.redirect_uri, timeout=30, tag="t-1"))
    url = await asyncio.wait_for(link, 10)
    task.cancel()  # Stop waiting
    with pytest.raises(asyncio.CancelledError):
        await task
    return flow, url


async def test_a_consent_after_stop_waiting_is_caught_by_the_flow_still_listening() -> None:
    from wizard.flow import LateAnswer

    async with SandboxServer() as sandbox:
        recorder, events = Recorder(), list[object]()
        flow, url = await stopped(sandbox, recorder, events)
        try:
            assert [link.tag for link in flow.open_links()] == ["t-1"]
            page = await ConsentBot("allow").visit(url)  # the customer allows, later
            for _ in range(200):
                if any(isinstance(e, LateAnswer) for e in events):
                    break
                await asyncio.sleep(0.02)
            assert flow.open_links() == []
        finally:
            await flow.aclose()
        (late,) = [e for e in events if isinstance(e, LateAnswer)]
    assert page.status == 200 and "Zoom is connected" in page.text
    assert late.tag == "t-1" and late.error is None and late.result is not None
    assert late.result.verified and late.result.grant_id in sandbox.v3_grants
    assert [c[0] for c in recorder.calls] == ["started", "captured", "ended", "verified"]
    assert recorder.calls[2] == ("ended", (1, "connected", late.result.grant_id))
    assert not [e for e in events if type(e).__name__ == "GrantCaptured"]  # not the page's


async def test_a_consent_after_the_flow_closed_makes_no_grant_and_the_record_says_why() -> None:
    # Nylas makes a v3 grant at the code exchange, with the verifier only this process held.
    async with SandboxServer() as sandbox:
        recorder, events = Recorder(), list[object]()
        flow, url = await stopped(sandbox, recorder, events)
        await flow.aclose()  # the window closed while the link still worked
        with pytest.raises(httpx.ConnectError):  # the customer's browser: a dead local page
            await ConsentBot("allow").visit(url)
        digest = recorder.calls[0][1]

        class Row:
            id = 1
            api = "v3"
            started_at = time.time() - 60
            expires_at = 4_000_000_000.0
            state_sha256 = digest
            login_hint = EMAIL

        check = v3_flow(sandbox, ConsentBot("allow"))
        try:
            late = await find_late_grants(check.backend, [Row()])
        finally:
            await check.aclose()
    assert sandbox.v3_grants == {} and late == []
    assert recorder.calls[1:] == [("ended", (1, "abandoned", None))]


async def _onboard(sandbox: SandboxServer, decision: str, **kw: Any) -> OnboardingResult:
    flow = v3_flow(sandbox, ConsentBot(decision), **kw)  # type: ignore[arg-type]
    try:
        s = spec(sandbox)
        await flow.ensure_integration(s)
        return await flow.authorize(
            CustomerAccount(customer="Acme #123", login_hint=EMAIL), s.redirect_uri, timeout=20
        )
    finally:
        await flow.aclose()


def test_state_digest_is_sha256_hex() -> None:
    from wizard.flow.onboarding import state_digest

    assert state_digest("x") == hashlib.sha256(b"x").hexdigest()


async def test_another_zoom_user_is_refused_said_as_an_event_and_the_wait_goes_on() -> None:
    # The operator's own Zoom session consents first (a common slip); the customer then does.

    async with SandboxServer() as sandbox:
        customer = AllowsAgainWhenRefused()
        wrong = ConsentBot("allow", email="operator@example.com")
        flow = v3_flow(sandbox, wrong, on_event=customer)
        try:
            s = spec(sandbox)
            await flow.ensure_integration(s)
            account = CustomerAccount(customer="Acme #7", login_hint="customer.7@example.com")
            result = await flow.authorize(account, s.redirect_uri, timeout=20)
            await customer.done()
        finally:
            await flow.aclose()
        rejected = customer.rejected
        assert len(rejected) == 1
        assert "operator@example.com" in rejected[0].reason
        assert "customer.7@example.com" in rejected[0].reason
        assert "operator@example.com" in wrong.visits[-1].text  # the browser was told too
        assert result.verified and result.email == "customer.7@example.com"
