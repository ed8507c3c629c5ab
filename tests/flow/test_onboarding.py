"""The onboarding flow end to end against the sandbox over real sockets, with a scripted browser."""

from __future__ import annotations

import asyncio
import re
import socket
import time

import pytest
from pydantic import SecretStr

from tests.helpers.flows import sandbox_flow
from tests.helpers.ports import free_port, loopback_uri
from wizard.flow import (
    AuthUrlReady,
    BrowserReached,
    BrowserSilent,
    CustomerAccount,
    FlowEvent,
    GrantCaptured,
    GrantVerified,
    IntegrationAction,
    IntegrationReady,
    IntegrationSpec,
    OnboardingResult,
    ZoomApp,
)
from wizard.flow.browser import no_browser
from wizard.listener.listener import CallbackRefused, ListenerTimeout, PortInUse
from wizard.nylas.errors import AuthenticationFailed
from wizard.sandbox import SandboxOptions, SandboxServer
from wizard.sandbox.consent_bot import ConsentBot

pytestmark = pytest.mark.anyio


def spec_for(
    sandbox: SandboxServer,
    port: int | None = None,
    *,
    secret: str | None = None,
) -> IntegrationSpec:
    creds = sandbox.credentials
    return IntegrationSpec(
        zoom=ZoomApp(creds.zoom_client_id, SecretStr(secret or creds.zoom_client_secret)),
        redirect_uri=loopback_uri(port),
        name="Zoom",
    )


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def grant_captured(self, grant_id: str, provider: str, account_id: str) -> None:
        self.calls.append(("captured", grant_id))

    async def grant_verified(self, result: OnboardingResult) -> None:
        self.calls.append(("verified", result.grant_id))


async def test_allow_gives_a_verified_grant_recorded_before_success() -> None:
    events: list[FlowEvent] = []
    recorder = Recorder()
    bot = ConsentBot("allow")
    async with SandboxServer() as sandbox:
        flow = sandbox_flow(sandbox, bot, on_event=events.append, recorder=recorder)
        async with asyncio.timeout(20):
            result = await flow.run(spec_for(sandbox), CustomerAccount("acct-1"))
        await flow.aclose()
        grants = sandbox.grants
    assert result.verified, result.verification_note
    assert result.grant_id in grants
    assert result.email == "zoom.user@example.com"
    assert result.grant_status == "valid"
    assert grants[result.grant_id]["account_id"] == "acct-1"
    assert recorder.calls == [("captured", result.grant_id), ("verified", result.grant_id)]
    kinds = [type(e) for e in events]
    assert kinds.index(IntegrationReady) < kinds.index(AuthUrlReady) < kinds.index(GrantCaptured)
    assert kinds[-1] is GrantVerified
    # The browser ended on the listener's success page.
    assert bot.visits[-1].status == 200
    assert "Zoom is connected" in bot.visits[-1].text


async def test_decline_is_a_refusal_with_the_description() -> None:
    async with SandboxServer() as sandbox:
        flow = sandbox_flow(sandbox, ConsentBot("deny"))
        with pytest.raises(CallbackRefused) as refused:
            await flow.run(spec_for(sandbox), CustomerAccount("acct-1"), timeout=10)
        await flow.aclose()
        assert not sandbox.grants
    assert "declined" in refused.value.description.lower()


async def test_wrong_zoom_secret_fails_at_the_callback_like_zoom() -> None:
    async with SandboxServer() as sandbox:
        flow = sandbox_flow(sandbox, ConsentBot("allow"))
        with pytest.raises(CallbackRefused) as refused:
            await flow.run(
                spec_for(sandbox, secret="not-the-zoom-secret"),
                CustomerAccount("acct-1"),
                timeout=10,
            )
        await flow.aclose()
    assert "4702" in refused.value.description or "4,702" in refused.value.description


async def test_expired_login_link_ends_in_a_timeout_not_a_grant() -> None:
    skew = [0.0]
    bot = ConsentBot("allow")

    async def late_browser(url: str) -> bool:
        skew[0] = 3600.0  # the operator sent the link an hour too late
        return await bot(url)

    async with SandboxServer(SandboxOptions(clock=lambda: time.time() + skew[0])) as sandbox:
        flow = sandbox_flow(sandbox, late_browser)
        with pytest.raises(ListenerTimeout):
            await flow.run(spec_for(sandbox), CustomerAccount("acct-1"), timeout=1.5)
        await flow.aclose()
        assert not sandbox.grants
    assert bot.visits[-1].status == 410


async def test_existing_integration_gets_our_redirect_uri_added_and_keeps_the_others() -> None:
    events: list[FlowEvent] = []
    async with SandboxServer() as sandbox:
        sandbox.add_integration(redirect_uris=["https://app.example.com/cb"])
        flow = sandbox_flow(sandbox, ConsentBot("allow"), on_event=events.append)
        spec = spec_for(sandbox)
        result = await flow.run(spec, CustomerAccount("acct-1"), timeout=10)
        await flow.aclose()
        uris = sandbox.integrations["zoom"]["redirect_uris"]
        posts = [r for r in sandbox.requests_seen if r == ("POST", "/connect/integrations")]
    assert result.verified
    assert uris == ["https://app.example.com/cb", str(spec.redirect_uri)]
    assert posts == []
    ready = next(e for e in events if isinstance(e, IntegrationReady))
    assert ready.action is IntegrationAction.ADD_REDIRECT_URI


async def test_second_account_reuses_the_integration() -> None:
    async with SandboxServer() as sandbox:
        flow = sandbox_flow(sandbox, ConsentBot("allow"))
        spec = spec_for(sandbox)
        first = await flow.run(spec, CustomerAccount("acct-1"), timeout=10)
        outcome = await flow.ensure_integration(spec)
        second = await flow.authorize(CustomerAccount("acct-2"), spec.redirect_uri, timeout=10)
        await flow.aclose()
        posts = [r for r in sandbox.requests_seen if r == ("POST", "/connect/integrations")]
    assert outcome.action is IntegrationAction.REUSE
    assert first.grant_id != second.grant_id
    assert len(posts) == 1


async def test_stateless_success_is_verified_through_the_api_once() -> None:
    async with SandboxServer(SandboxOptions(state_on_success=False)) as sandbox:
        flow = sandbox_flow(sandbox, ConsentBot("allow"))
        result = await flow.run(spec_for(sandbox), CustomerAccount("acct-1"), timeout=10)
        await flow.aclose()
        lookups = sandbox.requests_seen.count(("GET", f"/connect/grants/{result.grant_id}"))
    assert result.verified
    assert lookups == 1  # the listener's check serves as the verification too


async def test_busy_port_is_reported_before_any_browser_opens() -> None:
    opened: list[str] = []

    async def opener(url: str) -> bool:
        opened.append(url)
        return True

    port = free_port()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        async with SandboxServer() as sandbox:
            flow = sandbox_flow(sandbox, opener)
            with pytest.raises(PortInUse) as busy:
                await flow.run(spec_for(sandbox, port), CustomerAccount("acct-1"), timeout=5)
            await flow.aclose()
    assert str(port) in str(busy.value)
    assert opened == []


async def test_cancel_frees_the_port_at_once() -> None:
    port = free_port()
    async with SandboxServer() as sandbox:
        flow = sandbox_flow(sandbox, no_browser)
        task = asyncio.create_task(
            flow.run(spec_for(sandbox, port), CustomerAccount("acct-1"), timeout=60)
        )
        for _ in range(200):
            await asyncio.sleep(0.01)
            if ("POST", "/connect/auth") in sandbox.requests_seen:
                break
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await flow.aclose()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # would raise EADDRINUSE if the listener still held it


async def test_silent_browser_is_reported_and_a_copied_link_still_works() -> None:
    events: list[FlowEvent] = []
    bot = ConsentBot("allow")

    def on_event(event: FlowEvent) -> None:
        events.append(event)
        if isinstance(event, BrowserSilent):
            # The operator copies the link into another browser.
            asyncio.get_running_loop().create_task(bot(event.url))

    async with SandboxServer() as sandbox:
        flow = sandbox_flow(sandbox, no_browser, on_event=on_event, browser_grace=0.2)
        result = await flow.run(spec_for(sandbox), CustomerAccount("acct-1"), timeout=10)
        await flow.aclose()
    assert result.verified
    assert any(isinstance(e, BrowserSilent) for e in events)


async def test_wrong_nylas_secret_is_an_authentication_error() -> None:
    async with SandboxServer() as sandbox:
        flow = sandbox_flow(sandbox, no_browser, secret="wrong")
        with pytest.raises(AuthenticationFailed):
            await flow.check_connection()
        await flow.aclose()


async def test_browser_is_opened_on_the_listener_and_a_slow_consent_is_not_silence() -> None:
    events: list[FlowEvent] = []
    opened: list[str] = []
    bot = ConsentBot("allow", pause=0.5)  # reads Zoom's page for longer than browser_grace

    async def slow_person(url: str) -> bool:
        opened.append(url)
        return await bot(url)

    async with SandboxServer() as sandbox:
        flow = sandbox_flow(sandbox, slow_person, on_event=events.append, browser_grace=0.2)
        spec = spec_for(sandbox)
        result = await flow.run(spec, CustomerAccount("acct-1"), timeout=10)
        await flow.aclose()
    assert result.verified
    ready = next(e for e in events if isinstance(e, AuthUrlReady))
    assert opened == [ready.launch_url]
    # An address of its own under /start: an old tab reloaded never lands on another link.
    assert re.fullmatch(re.escape(f"{spec.redirect_uri}/start/") + r"[\w-]{11}", ready.launch_url)
    assert ready.url.startswith(f"{sandbox.url}/connect/login")
    assert not any(isinstance(e, BrowserSilent) for e in events)
    kinds = [type(e) for e in events]
    assert kinds.index(BrowserReached) < kinds.index(GrantCaptured)


async def test_check_redirect_port_names_a_busy_port_and_frees_a_free_one() -> None:
    port = free_port()
    async with SandboxServer() as sandbox:
        flow = sandbox_flow(sandbox, no_browser)
        await flow.check_redirect_port(loopback_uri(port))
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))  # the check released it
            probe.listen()
            with pytest.raises(PortInUse, match=str(port)):
                await flow.check_redirect_port(loopback_uri(port))
        await flow.aclose()
