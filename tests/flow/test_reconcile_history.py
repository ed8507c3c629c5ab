"""Late grants found and recorded: the flow's reconciliation against the sandbox (both APIs)
and a real history database. The lost redirect is real: the listener is gone when the customer
clicks Allow, and the browser lands on a dead localhost page.

Connect makes the grant at consent, so a late consent is found by its state. Nylas v3 makes
it at the code exchange, which needs the PKCE verifier of the process that made the link: a
late consent leaves nothing to find, and what a v3 reconcile can find is an exchange that
completed on Nylas's side after its process died."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from tests.helpers.ports import loopback_uri
from wizard.flow import AuthUrlReady, CustomerAccount, IntegrationSpec, ZoomApp
from wizard.flow.factory import NylasCredentials, history_recorder, open_flow
from wizard.flow.onboarding import V3_STOPPED_LISTENING, OnboardingFlow, state_digest
from wizard.flow.reconcile import UNCONFIRMED, V3_ABANDONED_NOTE, reconcile_history
from wizard.sandbox import SandboxServer
from wizard.sandbox.consent_bot import ConsentBot
from wizard.store.history import History
from wizard.store.recorder import HistoryRecorder
from wizard.target import Target

pytestmark = pytest.mark.anyio
EMAIL = "zoom.user@example.com"


def flow_for(api: str, sandbox: SandboxServer, links: list[str]) -> OnboardingFlow:
    creds = sandbox.credentials
    secret, client_id = (
        (creds.v3_api_key, None)
        if api == "v3"
        else (creds.nylas_client_secret, creds.nylas_client_id)
    )

    def on_event(event: object) -> None:
        if isinstance(event, AuthUrlReady):
            links.append(event.url)

    async def nobody(url: str) -> bool:
        return True  # the operator will open the link by hand, later

    return open_flow(
        Target.of(api, "sandbox", sandbox.url),
        NylasCredentials(SecretStr(secret), client_id),
        nobody,
        on_event=on_event,
        browser_grace=60,
    )


def on_sandbox(flow: OnboardingFlow, sandbox: SandboxServer) -> Target:
    """The target `flow` was opened on (flow_for)."""
    return Target.of(flow.backend.api, "sandbox", sandbox.url)


def account_for(api: str, n: int) -> CustomerAccount:
    if api == "v3":
        return CustomerAccount(customer=f"Late #{n}", login_hint=f"late.{n}@example.com")
    return CustomerAccount(f"acct-late-{n}")


async def stopped_authorization(
    sandbox: SandboxServer,
    flow: OnboardingFlow,
    history: History,
    api: str,
    n: int,
    links: list[str],
) -> str:
    """Start an authorization, Stop waiting and close the window's listener: returns the
    sign-in link, whose consent page still works at Nylas and Zoom."""
    creds = sandbox.credentials
    spec = IntegrationSpec(
        zoom=ZoomApp(creds.zoom_client_id, SecretStr(creds.zoom_client_secret)),
        redirect_uri=loopback_uri(host="localhost"),
    )
    outcome = await flow.ensure_integration(spec)
    target = Target.of(api, "sandbox", sandbox.url)
    recorder = history_recorder(history, target, outcome.integration.id, None)
    before = len(links)
    task = asyncio.create_task(
        flow.authorize(account_for(api, n), spec.redirect_uri, timeout=30, recorder=recorder)
    )
    for _ in range(1000):
        if len(links) > before:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await flow.stop_listening()  # the window closed: nothing listens for the link any more
    return links[-1]


async def allow_late(url: str, email: str | None = None) -> None:
    with pytest.raises(httpx.ConnectError):  # the listener is gone: a dead localhost page
        await ConsentBot("allow", email=email).visit(url)


@pytest.fixture
def history(tmp_path: Path) -> History:
    return History(tmp_path / "history.sqlite3", tmp_path / "fallback.jsonl")


async def killed_authorization(history: History, n: int, state: str) -> None:
    """The row a v3 process leaves when it dies while Nylas is exchanging the code."""
    recorder = HistoryRecorder(
        history, profile="", region="sandbox", integration_id=None, api="v3", practice=True
    )
    await recorder.authorization_started(
        account_for("v3", n), expires_at=int(time.time()) + 900, state_sha256=state_digest(state)
    )


@contextlib.asynccontextmanager
async def killed_v3(
    history: History, n: int
) -> AsyncIterator[tuple[SandboxServer, OnboardingFlow]]:
    """The sandbox, a checked v3 flow, and the open sign-in `state-of-killed-N` of a v3 process
    that died (the flow is closed by the caller's `finally`)."""
    async with SandboxServer() as sandbox:
        flow = flow_for("v3", sandbox, [])
        await flow.check_connection()
        await killed_authorization(history, n, f"state-of-killed-{n}")
        yield sandbox, flow


async def test_v3_a_closed_window_closes_the_authorization_and_a_late_allow_makes_no_grant(
    history: History,
) -> None:
    async with SandboxServer() as sandbox:
        links: list[str] = []
        flow = flow_for("v3", sandbox, links)
        try:
            first = await stopped_authorization(sandbox, flow, history, "v3", 1, links)
            # Said at once: nothing can finish this link any more.
            assert history.open_authorizations() == []
            await allow_late(first)
            report = await reconcile_history(flow.backend, history, on_sandbox(flow, sandbox))
        finally:
            await flow.aclose()
    assert sandbox.v3_grants == {}  # Nylas makes v3 grants at the exchange, never at consent
    assert report.found == [] and report.still_open == 0
    assert history.records() == []
    assert ended(history) == [("abandoned", V3_STOPPED_LISTENING)]


def ended(history: History) -> list[tuple[str, str]]:
    with sqlite3.connect(history.db_path) as db:
        return db.execute("SELECT outcome, note FROM authorizations ORDER BY id").fetchall()


async def test_v3_reconcile_records_an_exchange_its_process_never_saw_and_closes_the_rest(
    history: History,
) -> None:
    async with killed_v3(history, 1) as (sandbox, flow):
        try:
            await killed_authorization(history, 2, "state-of-killed-2")
            # The first process's exchange completed on Nylas's side as it died.
            grant = sandbox.add_v3_grant(email="late.1@example.com", state="state-of-killed-1")
            report = await reconcile_history(flow.backend, history, on_sandbox(flow, sandbox))
            later = await reconcile_history(
                flow.backend, history, on_sandbox(flow, sandbox), now=time.time() + 7200
            )
        finally:
            await flow.aclose()
    assert [f.grant.id for f in report.found] == [grant["id"]] and report.found[0].confirmed
    assert report.still_open == 1
    records = history.records()
    assert [r.grant_id for r in records] == [grant["id"]] and records[0].verified
    assert later.expired == 1 and history.open_authorizations() == []
    assert ended(history) == [
        ("connected", "found later on Nylas (the browser's answer never reached this tool)"),
        ("abandoned", V3_ABANDONED_NOTE),
    ]


@pytest.mark.parametrize("api", ["connect"])
async def test_stop_waiting_then_allow_ends_with_the_grant_in_the_history(
    api: str, history: History
) -> None:
    async with SandboxServer() as sandbox:
        links: list[str] = []
        flow = flow_for(api, sandbox, links)
        try:
            first = await stopped_authorization(sandbox, flow, history, api, 1, links)
            await stopped_authorization(sandbox, flow, history, api, 2, links)  # never consented
            assert len(history.open_authorizations()) == 2
            await allow_late(first)
            report = await reconcile_history(flow.backend, history, on_sandbox(flow, sandbox))
            again = await reconcile_history(flow.backend, history, on_sandbox(flow, sandbox))
            opened = [a.id for a in history.open_authorizations()]
            later = await reconcile_history(
                flow.backend, history, on_sandbox(flow, sandbox), now=time.time() + 7200
            )
        finally:
            await flow.aclose()
    grants = sandbox.v3_grants if api == "v3" else sandbox.grants
    assert len(report.found) == 1 and report.still_open == 1 and report.expired == 0
    found = report.found[0]
    assert found.grant.id in grants
    # The first authorization's grant, never the second's (the one nobody consented to).
    assert found.authorization_id not in opened and len(opened) == 1
    records = history.records()
    assert [r.grant_id for r in records] == [found.grant.id]
    assert records[0].customer == account_for(api, 1).customer
    assert records[0].verified  # Connect grants carry the state
    assert again.found == [] and again.still_open == 1  # never recorded twice
    assert later.expired == 1 and history.open_authorizations() == []
    assert "1 late grant(s) found" in report.summary()


async def test_v3_without_state_on_the_grant_matches_by_email_only_and_says_so(
    history: History,
) -> None:
    async with killed_v3(history, 3) as (sandbox, flow):
        try:
            # Nylas made the grant without keeping the state (UNCONFIRMED in the API notes).
            sandbox.add_v3_grant(email="late.3@example.com")
            # Another Zoom user's grant in the same window is never taken for this one.
            sandbox.add_v3_grant(email="someone.else@example.com")
            report = await reconcile_history(flow.backend, history, on_sandbox(flow, sandbox))
        finally:
            await flow.aclose()
    assert [f.grant.email for f in report.found] == ["late.3@example.com"]
    record = history.records()[0]
    assert record.note == UNCONFIRMED and not record.verified
    assert "matched by Zoom email only" in report.summary()


async def test_an_api_error_closes_nothing(history: History) -> None:
    from wizard.nylas.errors import NylasError
    from wizard.sandbox.faults import Fault

    async with SandboxServer() as sandbox:
        links: list[str] = []
        flow = flow_for("connect", sandbox, links)
        try:
            await stopped_authorization(sandbox, flow, history, "connect", 4, links)
            sandbox.faults.add(
                Fault(method="GET", path_prefix="/connect/grants", kind="status", status=401)
            )
            with pytest.raises(NylasError):
                await reconcile_history(
                    flow.backend, history, on_sandbox(flow, sandbox), now=time.time() + 7200
                )
        finally:
            await flow.aclose()
    assert len(history.open_authorizations()) == 1  # the next check tries again


async def test_two_checks_at_once_record_the_grant_once(history: History) -> None:
    async with killed_v3(history, 5) as (sandbox, flow):
        try:
            sandbox.add_v3_grant(email="late.5@example.com", state="state-of-killed-5")
            reports = await asyncio.gather(
                *(
                    reconcile_history(flow.backend, history, on_sandbox(flow, sandbox))
                    for _ in range(3)
                )
            )
        finally:
            await flow.aclose()
    assert sum(len(r.found) for r in reports) == 1
    assert len(history.records()) == 1


async def test_a_grant_written_before_a_crash_is_not_written_again(history: History) -> None:
    # The process wrote the grant, then died before closing its authorization.
    async with killed_v3(history, 6) as (sandbox, flow):
        try:
            grant = sandbox.add_v3_grant(email="late.6@example.com", state="state-of-killed-6")
            history.record_grant(
                profile="",
                region="sandbox",
                account_id="",
                integration_id=None,
                grant_id=grant["id"],
                api="v3",
                customer="Late #6",
                practice=True,
            )
            report = await reconcile_history(flow.backend, history, on_sandbox(flow, sandbox))
        finally:
            await flow.aclose()
    assert [f.grant.id for f in report.found] == [grant["id"]]
    assert [r.grant_id for r in history.records()] == [grant["id"]]  # one grant, one row
    assert history.open_authorizations() == []


async def test_on_a_custom_url_only_the_sign_ins_made_there_are_checked(history: History) -> None:
    """The wizard and the command alike: a sign-in made on another server is neither looked for
    here nor closed as expired by a check of this one."""
    async with SandboxServer() as sandbox:
        here = Target.of("v3", "custom", sandbox.url)
        elsewhere = Target.of("v3", "custom", "https://nylas.elsewhere.example")
        for n, target in ((6, here), (7, elsewhere)):
            recorder = HistoryRecorder(
                history,
                profile="",
                region="custom",
                integration_id=None,
                api="v3",
                practice=False,
                api_url=target.base_url,
            )
            await recorder.authorization_started(
                account_for("v3", n),
                expires_at=int(time.time()) - 3600,
                state_sha256=state_digest(f"state-of-{n}"),
            )
        flow = open_flow(
            here, NylasCredentials(SecretStr(sandbox.credentials.v3_api_key)), ConsentBot("allow")
        )
        try:
            report = await reconcile_history(flow.backend, history, here)
        finally:
            await flow.aclose()
    assert report.expired == 1  # this server's, long expired
    still_open = history.open_authorizations()
    assert [a.api_url for a in still_open] == [elsewhere.base_url]
