"""The product on Nylas v3 as Nylas documents it (the sandbox imitates each behaviour; where
Nylas is silent it answers both ways, and the product is tested under each): renewals, slow
or failed exchanges that made the grant all the same, soft-deleted callback URIs, grants
without a status or with a null scope, a connector holding another Zoom app, a callback with
this request's state but a code Nylas refuses, and Nylas's own error types."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import SecretStr

from tests.helpers.flows import EMAIL, AllowsAgainWhenRefused, Recorder, spec, v3_flow
from wizard.flow import AnswerRejected, AuthUrlReady, CustomerAccount, IntegrationAction
from wizard.flow.backend import OnboardingResult
from wizard.flow.explain import explain
from wizard.flow.inputs import IntegrationSpec, ZoomApp
from wizard.flow.v3_backend import V3Backend, ZoomAppMismatch
from wizard.nylas.errors import (
    AccessDenied,
    ApiKeyRefusedAtExchange,
    NylasApiError,
    ResourceBlocked,
)
from wizard.outcome import Outcome
from wizard.sandbox import Fault, SandboxOptions, SandboxServer, V3Options, v3_error_fault
from wizard.sandbox.consent_bot import ConsentBot

pytestmark = pytest.mark.anyio
TOKEN = "/v3/connect/token"


async def onboard(
    sandbox: SandboxServer,
    opener: Any = None,
    *,
    exchange_timeout: float | None = None,
    events: list[object] | None = None,
    **kw: Any,
) -> OnboardingResult:
    seen = events if events is not None else []
    flow = v3_flow(sandbox, opener or ConsentBot("allow"), on_event=seen.append, **kw)
    if exchange_timeout is not None:
        assert isinstance(flow.backend, V3Backend)
        flow.backend.exchange_timeout = exchange_timeout
    try:
        s = spec(sandbox)
        await flow.ensure_integration(s)
        account = CustomerAccount(customer="Acme #123", login_hint=EMAIL)
        return await flow.authorize(account, s.redirect_uri, timeout=30)
    finally:
        await flow.aclose()


# -- renewals ------------------------------------------------------------------------------


@pytest.mark.parametrize("renewal_state", ["initial", "overwritten"])
async def test_a_renewal_is_a_verified_success_whatever_state_nylas_keeps(
    renewal_state: str,
) -> None:
    options = V3Options(renewal_state=renewal_state)  # type: ignore[arg-type]
    async with SandboxServer(SandboxOptions(v3_options=options)) as sandbox:
        first = sandbox.add_v3_grant(email=EMAIL, state="state-of-the-first-consent", at=1_000)
        recorder = Recorder()
        result = await onboard(sandbox, recorder=recorder)
        grant = sandbox.v3_grants[first["id"]]
    assert result.grant_id == first["id"] and result.renewed
    assert result.verified and result.verification_note is None
    assert grant["created_at"] == 1_000 and grant["updated_at"] > 1_000
    kept = grant["state"] == "state-of-the-first-consent"
    assert kept is (renewal_state == "initial")
    assert ("ended", (1, "connected", first["id"])) in recorder.calls


async def test_a_renewal_without_a_login_hint_is_still_said() -> None:
    # No email to list by beforehand: the grant's own created_at tells.
    async with SandboxServer() as sandbox:
        first = sandbox.add_v3_grant(email=EMAIL, at=1_000)
        flow = v3_flow(sandbox, ConsentBot("allow"))
        try:
            s = spec(sandbox)
            await flow.ensure_integration(s)
            result = await flow.authorize(CustomerAccount(customer="No hint"), s.redirect_uri)
        finally:
            await flow.aclose()
    assert result.grant_id == first["id"] and result.renewed and result.verified


async def test_a_first_consent_is_not_a_renewal() -> None:
    async with SandboxServer() as sandbox:
        result = await onboard(sandbox)
        assert list(sandbox.v3_grants) == [result.grant_id]
    assert result.verified and not result.renewed


# -- the exchange takes long, or its answer is lost -----------------------------------------


async def test_a_slow_exchange_within_nylas_time_succeeds() -> None:
    # Longer than the old 15 s client timeout would allow, scaled down: the exchange's own
    # timeout (90 s in the product) is what counts, not the client's default.
    async with SandboxServer() as sandbox:
        sandbox.faults.add(Fault("POST", TOKEN, kind="slow", delay=1.5, after=True))
        result = await onboard(sandbox, exchange_timeout=5.0)
    assert result.verified and not result.renewed


@pytest.mark.parametrize(
    "fault",
    [
        Fault("POST", TOKEN, kind="slow", delay=3.0, after=True),  # the client gives up first
        Fault("POST", TOKEN, kind="status", status=503, after=True),
        Fault("POST", TOKEN, kind="drop", after=True),
    ],
    ids=["timeout", "503", "dropped"],
)
async def test_an_exchange_that_made_the_grant_but_lost_its_answer_still_ends_with_it(
    fault: Fault,
) -> None:
    async with SandboxServer() as sandbox:
        sandbox.faults.add(fault)
        recorder = Recorder()
        result = await onboard(sandbox, exchange_timeout=0.5, recorder=recorder)
        assert list(sandbox.v3_grants) == [result.grant_id]
    assert result.email == EMAIL and not result.verified
    assert result.verification_note is not None
    assert "did not answer" in result.verification_note
    assert ("captured", result.grant_id) in recorder.calls  # recorded, not lost


async def test_a_failed_exchange_with_no_grant_behind_it_ends_the_wait_with_its_reason() -> None:
    async with SandboxServer() as sandbox:
        sandbox.faults.add(Fault("POST", TOKEN, kind="status", status=503))  # before: nothing
        with pytest.raises(NylasApiError) as failure:
            await onboard(sandbox)
        assert sandbox.v3_grants == {}
    assert failure.value.http_status == 503


# -- callback URIs, grants' optional fields ------------------------------------------------


async def test_a_soft_deleted_callback_uri_is_registered_again() -> None:
    async with SandboxServer() as sandbox:
        s = spec(sandbox)
        sandbox.add_v3_connector()
        sandbox.add_v3_callback_uri(str(s.redirect_uri), deleted=True)
        flow = v3_flow(sandbox, ConsentBot("allow"))
        try:
            plan = await flow.plan_integration(s.redirect_uri, s.zoom.client_id)
            outcome = await flow.ensure_integration(s)
            account = CustomerAccount(customer="Acme #9", login_hint=EMAIL)
            result = await flow.authorize(account, s.redirect_uri, timeout=20)
        finally:
            await flow.aclose()
        entries = sandbox.v3_callback_uri_entries
    assert plan.action is IntegrationAction.ADD_REDIRECT_URI and plan.registers_redirect_uri
    assert outcome.action is IntegrationAction.ADD_REDIRECT_URI
    assert outcome.integration.redirect_uris == (str(s.redirect_uri),)
    assert [bool(e.get("deleted_at")) for e in entries] == [True, False]
    assert result.verified


@pytest.mark.parametrize(
    "options",
    [V3Options(grant_status_field=False), V3Options(scope_null=True)],
    ids=["no-grant-status", "null-scope"],
)
async def test_grants_without_status_or_with_null_scope_are_accepted(options: V3Options) -> None:
    async with SandboxServer(SandboxOptions(v3_options=options)) as sandbox:
        result = await onboard(sandbox)
    assert result.verified and result.verification_note is None
    assert result.grant_status == (None if not options.grant_status_field else "valid")


def test_an_unknown_status_is_not_a_call_to_re_authenticate() -> None:
    from wizard.flow.backend import GrantInfo, status_note

    def grant(status: str | None) -> GrantInfo:
        return GrantInfo("g", "zoom", EMAIL, status, None)

    assert status_note(grant(None)) is None
    assert status_note(grant("valid")) is None
    invalid = status_note(grant("invalid"))
    assert invalid is not None and "re-authentication" in invalid
    unknown = status_note(grant("paused"))
    assert unknown is not None and "re-authentication" not in unknown and "paused" in unknown


# -- a connector that holds another Zoom app -----------------------------------------------


async def test_a_connector_with_another_zoom_app_stops_and_names_both() -> None:
    async with SandboxServer() as sandbox:
        sandbox.add_v3_connector(client_id="zoom-app-of-last-year", client_secret="old")
        s = spec(sandbox)
        flow = v3_flow(sandbox, ConsentBot("allow"))
        try:
            plan = await flow.plan_integration(s.redirect_uri, s.zoom.client_id)
            with pytest.raises(ZoomAppMismatch) as stop:
                await flow.ensure_integration(s)
        finally:
            await flow.aclose()
        connector = sandbox.v3_connectors["zoom"]
        seen = sandbox.requests_seen
    assert plan.zoom_app_conflict is not None
    assert plan.action is IntegrationAction.REPLACE_ZOOM_APP
    words = explain(stop.value)
    assert "zoom-app-of-last-year" in words.message and s.zoom.client_id in words.message
    assert "existing Zoom grants" in words.message and "--replace-zoom-app" in words.hint
    assert words.outcome is Outcome.BAD_INPUT
    assert connector["settings"]["client_id"] == "zoom-app-of-last-year"  # untouched
    assert not [m for m, _ in seen if m in ("PATCH", "DELETE")]


async def test_replacing_the_connectors_zoom_app_is_a_patch_of_the_whole_settings() -> None:
    async with SandboxServer() as sandbox:
        sandbox.add_v3_connector(client_id="zoom-app-of-last-year", client_secret="old")
        creds = sandbox.credentials
        s = IntegrationSpec(
            zoom=ZoomApp(creds.zoom_client_id, SecretStr(creds.zoom_client_secret)),
            redirect_uri=spec(sandbox).redirect_uri,
            replace_zoom_app=True,
        )
        flow = v3_flow(sandbox, ConsentBot("allow"))
        try:
            outcome = await flow.ensure_integration(s)
            account = CustomerAccount(customer="Acme #9", login_hint=EMAIL)
            result = await flow.authorize(account, s.redirect_uri, timeout=20)
        finally:
            await flow.aclose()
        connector = sandbox.v3_connectors["zoom"]
        seen = sandbox.requests_seen
    assert outcome.action is IntegrationAction.REPLACE_ZOOM_APP
    assert "replaced" in outcome.action.describe(outcome.integration.api, done=True)
    assert connector["settings"]["client_id"] == creds.zoom_client_id
    assert connector["client_secret"] == creds.zoom_client_secret
    assert ("PATCH", "/v3/connectors/zoom") in seen and not [m for m, _ in seen if m == "DELETE"]
    assert result.verified


# -- this request's state with a code Nylas refuses ------------------------------------------


async def forged_then_genuine(url: str, redirect: str) -> httpx.Response:
    """A callback with this request's state and a code that is not its own, then the real
    consent."""
    state = parse_qs(urlsplit(url).query)["state"][0]
    async with httpx.AsyncClient() as client:
        forged = await client.get(redirect, params={"code": "a-foreign-code", "state": state})
    await ConsentBot("allow").visit(url)
    return forged


async def test_a_foreign_code_with_the_right_state_is_refused_and_the_wait_goes_on() -> None:
    async with SandboxServer() as sandbox:
        events: list[object] = []
        forged: list[asyncio.Task[httpx.Response]] = []
        s = spec(sandbox)  # a free port of its own: built once
        redirect = str(s.redirect_uri)

        async def opener(launch_url: str) -> bool:
            link = next(e.url for e in events if isinstance(e, AuthUrlReady))
            forged.append(asyncio.ensure_future(forged_then_genuine(link, redirect)))
            return True

        flow = v3_flow(sandbox, opener, on_event=events.append)
        try:
            await flow.ensure_integration(s)
            account = CustomerAccount(customer="Acme #9", login_hint=EMAIL)
            result = await flow.authorize(account, s.redirect_uri, timeout=20)
            answer = await forged[0]
        finally:
            await flow.aclose()
    assert answer.status_code == 400 and "sign-in code" in answer.text
    rejected = [e for e in events if isinstance(e, AnswerRejected)]
    assert len(rejected) == 1 and "refused the sign-in code" in rejected[0].reason
    assert result.verified


async def test_a_reauth_email_refusal_lets_the_customer_sign_in_again() -> None:
    async with SandboxServer() as sandbox:
        sandbox.faults.add(v3_error_fault("grant.reauth_email_invalid", 400, path_prefix=TOKEN))
        customer = AllowsAgainWhenRefused()
        flow = v3_flow(sandbox, ConsentBot("allow"), on_event=customer)
        try:
            s = spec(sandbox)
            await flow.ensure_integration(s)
            account = CustomerAccount(customer="Acme #9", login_hint=EMAIL)
            result = await flow.authorize(account, s.redirect_uri, timeout=20)
            await customer.done()
        finally:
            await flow.aclose()
    (rejected,) = customer.rejected
    assert "not the one whose grant is being renewed" in rejected.reason
    assert result.verified


# -- Nylas's error types, each with its own words -------------------------------------------


async def test_an_api_key_refused_at_the_exchange_ends_the_wait_and_says_so() -> None:
    async with SandboxServer() as sandbox:
        sandbox.faults.add(v3_error_fault("token.unauthorized_access", 400, path_prefix=TOKEN))
        with pytest.raises(ApiKeyRefusedAtExchange) as failure:
            await onboard(sandbox)
    assert "API key" in explain(failure.value).hint


@pytest.mark.parametrize(
    ("error_type", "status", "cls", "words"),
    [
        ("grant.access_denied", 403, AccessDenied, "HTTP 403"),
        ("api.resource_blocked", 423, ResourceBlocked, "blocked"),
    ],
)
async def test_403_and_423_are_not_called_a_wrong_api_key(
    error_type: str, status: int, cls: type[NylasApiError], words: str
) -> None:
    async with SandboxServer() as sandbox:
        sandbox.faults.add(v3_error_fault(error_type, status, path_prefix="/v3/connectors"))
        flow = v3_flow(sandbox, ConsentBot("allow"))
        try:
            with pytest.raises(cls) as failure:
                await flow.ensure_integration(spec(sandbox))
        finally:
            await flow.aclose()
    said = explain(failure.value)
    assert words in said.hint and "API key" not in said.hint


# -- what the customer granted at Zoom -------------------------------------------------------


async def test_a_zoom_app_without_a_scope_is_named_after_the_exchange() -> None:
    async with SandboxServer() as sandbox:
        sandbox.zoom_app_scopes = ("meeting:write:meeting", "user:read:user")
        result = await onboard(sandbox)
    assert result.verified
    assert result.missing_scopes == ("meeting:update:meeting", "meeting:delete:meeting")


async def test_all_four_scopes_or_none_listed_name_nothing() -> None:
    async with SandboxServer() as sandbox:
        full = await onboard(sandbox)
    async with SandboxServer(SandboxOptions(v3_options=V3Options(scope_null=True))) as sandbox:
        unknown = await onboard(sandbox)
    assert full.missing_scopes == () and unknown.missing_scopes == ()


async def test_a_wait_without_an_answer_after_the_browser_came_says_what_the_customer_saw() -> None:
    from wizard.listener.listener import ListenerTimeout

    async def opens_but_never_finishes(launch_url: str) -> bool:
        async with httpx.AsyncClient() as browser:  # reaches the listener, stops at Nylas
            await browser.get(launch_url)
        return True

    async with SandboxServer() as sandbox:
        flow = v3_flow(sandbox, opens_but_never_finishes)
        try:
            s = spec(sandbox)
            await flow.ensure_integration(s)
            account = CustomerAccount(customer="Acme #9", login_hint=EMAIL)
            with pytest.raises(ListenerTimeout) as waited:
                await flow.authorize(account, s.redirect_uri, timeout=1)
        finally:
            await flow.aclose()
    said = str(waited.value)
    assert "error 701" in said and "not published" in said and "4700" in said
    assert f"{sandbox.url}/v3/connect/callback" in said


async def test_the_history_says_renewed_and_names_missing_scopes(tmp_path: Path) -> None:
    from wizard.store.history import History
    from wizard.store.recorder import HistoryRecorder

    history = History(tmp_path / "history.sqlite3", tmp_path / "fallback.jsonl")
    recorder = HistoryRecorder(
        history, profile="", region="sandbox", integration_id=None, api="v3", practice=True
    )
    async with SandboxServer() as sandbox:
        sandbox.add_v3_grant(email=EMAIL, at=1_000)
        sandbox.zoom_app_scopes = ("meeting:write:meeting", "user:read:user")
        result = await onboard(sandbox, recorder=recorder)
    (record,) = history.records()
    assert result.renewed and record.grant_id == result.grant_id and record.verified
    assert record.note is not None and record.note.startswith("renewed:")
    assert "missing Zoom scopes: meeting:update:meeting, meeting:delete:meeting" in record.note
