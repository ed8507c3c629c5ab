"""The sandbox's Nylas API v3 against what Nylas documents (docs: "What Nylas documents about
grants"), over real sockets with raw httpx (not our client): grants made only by the code
exchange, renewals, the grants list, soft-deleted callback URIs, faults after processing,
Nylas's error bodies, and the V3Options for what Nylas leaves open."""

from __future__ import annotations

import argparse
import base64
import hashlib
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.helpers.clock import NOW, FakeClock
from tests.helpers.ports import free_port
from tests.helpers.sandbox import BAD_PAGING
from wizard.cli.parser import build_parser
from wizard.cli.sandbox_cmd import _v3_options
from wizard.sandbox import (
    BackgroundSandbox,
    Fault,
    SandboxOptions,
    SandboxServer,
    V3Options,
    v3_error_fault,
)

pytestmark = pytest.mark.anyio

ZOOM_USER = "zoom.user@example.com"
T0 = int(NOW)  # where the clock fixture starts
BROWSER_UA = "SandboxTestBrowser/1.0"


def nylas_challenge(verifier: str) -> str:
    # Written here again on purpose: the test must not trust the sandbox's own rule.
    digest = hashlib.sha256(verifier.encode()).hexdigest().encode()
    return base64.b64encode(digest).decode().rstrip("=")


@dataclass
class App:
    """An application with a Zoom connector and one registered callback URI."""

    sandbox: SandboxServer
    redirect: str

    @property
    def key(self) -> str:
        return self.sandbox.credentials.v3_api_key

    async def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.key}"}
        async with httpx.AsyncClient(base_url=self.sandbox.url, trust_env=False) as http:
            return await http.request(method, path, headers=headers, **kwargs)

    async def grants(self, **params: Any) -> list[dict[str, Any]]:
        answer = await self.api("GET", "/v3/grants", params=params)
        assert answer.status_code == 200, answer.text
        data: list[dict[str, Any]] = answer.json()["data"]
        return data

    def auth_url(
        self, verifier: str, *, state: str | None = "st", login_hint: str | None = None
    ) -> str:
        params = {
            "client_id": self.sandbox.credentials.v3_application_id,
            "redirect_uri": self.redirect,
            "response_type": "code",
            "provider": "zoom",
            "access_type": "offline",
            "code_challenge": nylas_challenge(verifier),
            "code_challenge_method": "S256",
        }
        if state is not None:
            params["state"] = state
        if login_hint is not None:
            params["login_hint"] = login_hint
        return f"{self.sandbox.url}/v3/connect/auth?{urlencode(params)}"

    async def consent(
        self,
        verifier: str,
        *,
        email: str = ZOOM_USER,
        state: str | None = "st",
        login_hint: str | None = None,
    ) -> str:
        """The browser leg: hosted auth, Zoom's Allow as `email`, back to the redirect URI
        (not served); returns the code it carries."""
        url = self.auth_url(verifier, state=state, login_hint=login_hint)
        headers = {"user-agent": BROWSER_UA}
        async with httpx.AsyncClient(trust_env=False, headers=headers) as browser:
            to_zoom = await browser.get(url)
            assert to_zoom.status_code == 302, to_zoom.text
            zoom = to_zoom.headers["location"]
            form = {k: v[0] for k, v in parse_qs(urlsplit(zoom).query).items()}
            allowed = await browser.post(
                zoom.split("?")[0], data=form | {"decision": "allow", "email": email}
            )
            assert allowed.status_code == 302, allowed.text
            back = await browser.get(allowed.headers["location"])
            assert back.status_code == 302, back.text
        location = back.headers["location"]
        assert location.startswith(self.redirect)
        query = parse_qs(urlsplit(location).query)
        assert "grant_id" not in query
        return query["code"][0]

    async def exchange(
        self,
        code: str,
        verifier: str,
        *,
        key: str | None = None,
        timeout: float = 10.0,
    ) -> httpx.Response:
        body = {
            "client_id": self.sandbox.credentials.v3_application_id,
            "client_secret": key or self.key,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect,
            "code_verifier": verifier,
        }
        async with httpx.AsyncClient(trust_env=False, timeout=timeout) as http:
            return await http.post(f"{self.sandbox.url}/v3/connect/token", json=body)

    async def connect(
        self, *, email: str = ZOOM_USER, state: str | None = "st", login_hint: str | None = None
    ) -> dict[str, Any]:
        """Consent and exchange; the token answer."""
        verifier = secrets.token_urlsafe(32)
        code = await self.consent(verifier, email=email, state=state, login_hint=login_hint)
        answer = await self.exchange(code, verifier)
        assert answer.status_code == 200, answer.text
        token: dict[str, Any] = answer.json()
        return token


@pytest.fixture
async def sandbox(clock: FakeClock) -> AsyncIterator[SandboxServer]:
    async with SandboxServer(SandboxOptions(clock=clock)) as running:
        yield running


@pytest.fixture
def app(sandbox: SandboxServer) -> App:
    sandbox.add_v3_connector()
    redirect = f"http://localhost:{free_port()}/callback"
    sandbox.add_v3_callback_uri(redirect)
    return App(sandbox, redirect)


# -- grants are made by the code exchange --------------------------------------------------------


async def test_a_consent_whose_code_is_never_exchanged_leaves_no_grant(app: App) -> None:
    await app.consent(secrets.token_urlsafe(32))
    assert await app.grants() == []
    assert app.sandbox.v3_grants == {}


async def test_the_exchange_makes_the_grant(app: App, clock: FakeClock) -> None:
    verifier = secrets.token_urlsafe(32)
    code = await app.consent(verifier, state="first-state")
    assert app.sandbox.v3_grants == {}
    clock.now = T0 + 5  # the grant's time is the exchange's, not the consent's
    answer = await app.exchange(code, verifier)
    assert answer.status_code == 200, answer.text
    token = answer.json()
    assert token["email"] == ZOOM_USER and token["provider"] == "zoom"
    assert token["scope"].split() == list(app.sandbox.v3_grants[token["grant_id"]]["scope"])
    assert token["access_token"] and token["refresh_token"]  # access_type=offline
    got = await app.api("GET", f"/v3/grants/{token['grant_id']}")
    grant = got.json()["data"]
    assert grant["id"] == token["grant_id"] and grant["grant_status"] == "valid"
    assert grant["created_at"] == grant["updated_at"] == T0 + 5
    assert grant["state"] == "first-state" and grant["email"] == ZOOM_USER
    assert grant["user_agent"] == BROWSER_UA and grant["ip"] == "127.0.0.1"
    assert [g["id"] for g in await app.grants()] == [token["grant_id"]]
    again = await app.exchange(code, verifier)  # a code works once
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


async def test_a_refused_exchange_spends_the_code_and_makes_nothing(app: App) -> None:
    verifier = secrets.token_urlsafe(32)
    code = await app.consent(verifier)
    wrong = await app.exchange(code, secrets.token_urlsafe(32))
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    assert app.sandbox.v3_grants == {}
    assert (await app.exchange(code, verifier)).status_code == 400


async def test_a_renewal_keeps_id_and_created_at_and_moves_updated_at(
    app: App, clock: FakeClock
) -> None:
    seeded = app.sandbox.add_v3_grant(
        email="Zoom.User@example.com", scope=["user:read:user"], grant_status="invalid"
    )
    token = await app.connect()  # same second as the seed: updated_at must still move
    assert token["grant_id"] == seeded["id"]
    grant = app.sandbox.v3_grants[seeded["id"]]
    assert grant["created_at"] == T0 and grant["updated_at"] == T0 + 1
    assert grant["grant_status"] == "valid"
    assert grant["scope"] == token["scope"].split() and len(grant["scope"]) > 1
    clock.now = T0 + 100
    await app.consent(secrets.token_urlsafe(32))  # consent alone renews nothing
    assert app.sandbox.v3_grants[seeded["id"]]["updated_at"] == T0 + 1
    assert (await app.connect())["grant_id"] == seeded["id"]
    assert app.sandbox.v3_grants[seeded["id"]]["updated_at"] == T0 + 100
    assert len(app.sandbox.v3_grants) == 1


@pytest.mark.parametrize(
    ("renewal_state", "expected"), [("initial", "first"), ("overwritten", "second")]
)
async def test_the_renewal_state_option(
    clock: FakeClock, renewal_state: str, expected: str
) -> None:
    options = V3Options(renewal_state=renewal_state)  # type: ignore[arg-type]
    async with SandboxServer(SandboxOptions(clock=clock, v3_options=options)) as sandbox:
        sandbox.add_v3_connector()
        app = App(sandbox, f"http://localhost:{free_port()}/callback")
        sandbox.add_v3_callback_uri(app.redirect)
        first = await app.connect(state="first")
        second = await app.connect(state="second")
        assert first["grant_id"] == second["grant_id"]
        got = await app.api("GET", f"/v3/grants/{first['grant_id']}")
        assert got.json()["data"]["state"] == expected
        # Switched mid-run, the next renewal follows the new option.
        sandbox.v3_options = V3Options(renewal_state="overwritten")
        await app.connect(state="third")
        assert sandbox.v3_grants[first["grant_id"]]["state"] == "third"


async def test_a_deleted_grant_is_not_renewed_a_new_consent_makes_a_new_id(app: App) -> None:
    first = await app.connect()
    deleted = await app.api("DELETE", f"/v3/grants/{first['grant_id']}")
    assert deleted.status_code == 200
    second = await app.connect()
    assert second["grant_id"] != first["grant_id"]
    assert list(app.sandbox.v3_grants) == [second["grant_id"]]


# -- GET /v3/grants --------------------------------------------------------------------------------


def _seed(sandbox: SandboxServer, count: int) -> list[str]:
    """`count` grants created one minute apart, the first at T0; their ids, oldest first."""
    return [
        sandbox.add_v3_grant(email=f"user{i}@example.com", at=T0 + 60 * i)["id"]
        for i in range(count)
    ]


async def test_grants_list_newest_first_limit_10_offset_and_no_cursor(app: App) -> None:
    ids = _seed(app.sandbox, 12)
    answer = await app.api("GET", "/v3/grants")
    page = answer.json()
    assert set(page) == {"request_id", "data", "limit", "offset"}  # no next_cursor
    assert page["limit"] == 10 and page["offset"] == 0
    assert [g["id"] for g in page["data"]] == ids[::-1][:10]
    rest = (await app.api("GET", "/v3/grants", params={"offset": 10})).json()
    assert [g["id"] for g in rest["data"]] == ids[1::-1] and rest["offset"] == 10
    asc = await app.grants(order_by="asc", limit=3, offset=1)
    assert [g["id"] for g in asc] == ids[1:4]
    assert len(await app.grants(limit=200)) == 12


async def test_grants_list_filters(app: App) -> None:
    ids = _seed(app.sandbox, 4)
    app.sandbox.add_v3_grant(email="gone@example.com", at=T0 + 30, grant_status="invalid")
    assert [g["id"] for g in await app.grants(email="USER2@Example.COM")] == [ids[2]]
    assert await app.grants(provider="google") == []
    assert len(await app.grants(provider="zoom")) == 5
    invalid = await app.grants(grant_status="invalid")
    assert [g["email"] for g in invalid] == ["gone@example.com"]
    assert len(await app.grants(grant_status="valid")) == 4
    # since is inclusive, before exclusive, both on created_at.
    assert [g["id"] for g in await app.grants(since=T0 + 60)] == [ids[3], ids[2], ids[1]]
    window = await app.grants(since=T0 + 60, before=T0 + 180, order_by="asc")
    assert [g["id"] for g in window] == [ids[1], ids[2]]
    assert [g["id"] for g in await app.grants(before=T0 + 1)] == [ids[0]]


async def test_a_renewed_grant_is_not_found_by_since_but_sorts_first_by_updated_at(
    app: App, clock: FakeClock
) -> None:
    ids = _seed(app.sandbox, 3)  # user0 is the oldest
    clock.now = T0 + 3600
    assert (await app.connect(email="user0@example.com"))["grant_id"] == ids[0]
    assert [g["id"] for g in await app.grants(since=T0 + 3000)] == []
    by_updated = await app.grants(sort_by="updated_at")
    assert [g["id"] for g in by_updated] == [ids[0], ids[2], ids[1]]
    by_created = await app.grants(sort_by="created_at", order_by="desc")
    assert [g["id"] for g in by_created] == [ids[2], ids[1], ids[0]]
    assert [g["id"] for g in await app.grants(sort_by="updated_at", order_by="asc")] == [
        ids[1],
        ids[2],
        ids[0],
    ]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        *BAD_PAGING,
        ("since", "yesterday"),
        ("before", "1.5"),
        ("sort_by", "email"),
        ("order_by", "up"),
        ("grant_status", "revoked"),
    ],
)
async def test_bad_grants_list_parameters_are_400_invalid_request(
    app: App, name: str, value: str
) -> None:
    answer = await app.api("GET", "/v3/grants", params={name: value})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["type"] == "api.invalid_request_error" and name in error["message"]


async def test_other_lists_keep_their_cursor(app: App) -> None:
    assert "next_cursor" in (await app.api("GET", "/v3/connectors")).json()
    assert "next_cursor" in (await app.api("GET", "/v3/applications/redirect-uris")).json()


# -- callback URIs ---------------------------------------------------------------------------------

URIS = "/v3/applications/redirect-uris"


async def test_adding_a_callback_uri_answers_200_and_a_duplicate_400(app: App) -> None:
    url = f"http://localhost:{free_port()}/callback"
    added = await app.api("POST", URIS, json={"url": url, "platform": "web"})
    assert added.status_code == 200
    entry = added.json()["data"]
    assert entry["url"] == url and entry["platform"] == "web" and "deleted_at" not in entry
    again = await app.api("POST", URIS, json={"url": url, "platform": "web"})
    assert again.status_code == 400 and again.json()["error"]["type"] == "api.invalid_request_error"


async def test_soft_delete_unregisters_the_uri_and_it_can_be_added_again(
    app: App, clock: FakeClock
) -> None:
    [entry] = (await app.api("GET", URIS)).json()["data"]
    clock.now = T0 + 42
    deleted = await app.api("DELETE", f"{URIS}/{entry['id']}")
    assert deleted.status_code == 200
    [listed] = (await app.api("GET", URIS)).json()["data"]
    assert listed["id"] == entry["id"] and listed["deleted_at"] == T0 + 42
    assert app.sandbox.v3_callback_uris == []
    assert app.sandbox.v3_callback_uri_entries == [listed]
    # Hosted auth with a deleted URI stops on Nylas's own page, as an unregistered one does.
    async with httpx.AsyncClient(trust_env=False) as browser:
        page = await browser.get(app.auth_url(secrets.token_urlsafe(32)))
    assert page.status_code == 400 and "callback_uri_not_allowed" in page.text
    readded = await app.api("POST", URIS, json={"url": app.redirect, "platform": "web"})
    assert readded.status_code == 200 and readded.json()["data"]["id"] != entry["id"]
    listing = (await app.api("GET", URIS)).json()["data"]
    assert [("deleted_at" in e) for e in listing] == [True, False]
    assert app.sandbox.v3_callback_uris == [app.redirect]
    assert (await app.connect())["grant_id"]  # registered again: hosted auth works
    missing = await app.api("DELETE", f"{URIS}/no-such-id")
    assert missing.status_code == 404


async def test_seeding_a_deleted_uri_and_deleting_on_the_clis_path(clock: FakeClock) -> None:
    async with SandboxServer(
        SandboxOptions(clock=clock, v3_callback_uri_paths=("callback-uris",))
    ) as sandbox:
        app = App(sandbox, "http://localhost:9007/callback")
        seeded = sandbox.add_v3_callback_uri(app.redirect, deleted=True)
        assert seeded["deleted_at"] == T0 and sandbox.v3_callback_uris == []
        path = "/v3/applications/callback-uris"
        added = await app.api("POST", path, json={"url": app.redirect})
        assert added.status_code == 200
        new_id = added.json()["data"]["id"]
        assert (await app.api("DELETE", f"{path}/{new_id}")).status_code == 200
        assert all(e["deleted_at"] == T0 for e in sandbox.v3_callback_uri_entries)
        assert (await app.api("DELETE", f"{URIS}/{new_id}")).status_code == 404  # not enabled


# -- faults after processing -----------------------------------------------------------------------

TOKEN = "/v3/connect/token"


async def test_slow_after_the_exchange_the_grant_exists_though_the_client_timed_out(
    app: App,
) -> None:
    verifier = secrets.token_urlsafe(32)
    code = await app.consent(verifier)
    app.sandbox.faults.add(
        Fault(method="POST", path_prefix=TOKEN, kind="slow", delay=1.0, after=True)
    )
    with pytest.raises(httpx.ReadTimeout):
        await app.exchange(code, verifier, timeout=0.3)
    assert [g["email"] for g in app.sandbox.v3_grants.values()] == [ZOOM_USER]
    spent = await app.exchange(code, verifier)
    assert spent.status_code == 400 and spent.json()["error"] == "invalid_grant"


async def test_slow_after_sends_the_real_answer_late(app: App) -> None:
    verifier = secrets.token_urlsafe(32)
    code = await app.consent(verifier)
    app.sandbox.faults.add(Fault(path_prefix=TOKEN, kind="slow", delay=0.3, after=True))
    started = time.monotonic()
    answer = await app.exchange(code, verifier)
    assert time.monotonic() - started >= 0.3
    assert answer.status_code == 200 and answer.json()["grant_id"] in app.sandbox.v3_grants


async def test_a_503_after_success_hides_a_made_grant_and_a_spent_code(app: App) -> None:
    verifier = secrets.token_urlsafe(32)
    code = await app.consent(verifier)
    app.sandbox.faults.add(Fault(path_prefix=TOKEN, kind="status", status=503, after=True))
    answer = await app.exchange(code, verifier)
    assert answer.status_code == 503 and "grant_id" not in answer.text
    assert len(app.sandbox.v3_grants) == 1
    assert (await app.exchange(code, verifier)).status_code == 400


async def test_a_dropped_answer_after_success_leaves_the_grant(app: App) -> None:
    verifier = secrets.token_urlsafe(32)
    code = await app.consent(verifier)
    app.sandbox.faults.add(Fault(path_prefix=TOKEN, kind="drop", after=True))
    with pytest.raises(httpx.TransportError):
        await app.exchange(code, verifier)
    assert len(app.sandbox.v3_grants) == 1
    assert (await app.exchange(code, verifier)).status_code == 400


async def test_a_fault_before_processing_still_changes_nothing(app: App) -> None:
    verifier = secrets.token_urlsafe(32)
    code = await app.consent(verifier)
    app.sandbox.faults.add(Fault(path_prefix=TOKEN, kind="status", status=503))
    assert (await app.exchange(code, verifier)).status_code == 503
    assert app.sandbox.v3_grants == {}
    assert (await app.exchange(code, verifier)).status_code == 200  # the code was not spent


async def test_a_503_after_an_admin_write_keeps_the_write(app: App) -> None:
    url = "http://localhost:9007/callback"
    app.sandbox.faults.add(
        Fault(method="POST", path_prefix=URIS, kind="status", status=503, after=True)
    )
    assert (await app.api("POST", URIS, json={"url": url})).status_code == 503
    assert url in app.sandbox.v3_callback_uris


# -- Nylas's error bodies --------------------------------------------------------------------------

NYLAS_ERRORS = pytest.mark.parametrize(
    ("error_type", "status"),
    [
        ("token.unauthorized_access", 400),
        ("grant.reauth_email_invalid", 400),
        ("grant.access_denied", 403),
        ("api.resource_blocked", 423),
    ],
)


@NYLAS_ERRORS
async def test_error_faults_answer_nylas_envelope_on_admin_paths(
    app: App, error_type: str, status: int
) -> None:
    fault = v3_error_fault(error_type, status, path_prefix="/v3/grants", method="GET")
    assert fault.kind == "body" and not fault.after
    app.sandbox.faults.add(fault)
    answer = await app.api("GET", "/v3/grants")
    assert answer.status_code == status
    body = answer.json()
    assert body["request_id"] and body["error"]["type"] == error_type
    assert len(body["error"]["message"]) > 20
    assert (await app.api("GET", "/v3/grants")).status_code == 200  # times=1


@NYLAS_ERRORS
async def test_error_faults_answer_oauth_style_at_the_exchange(
    app: App, error_type: str, status: int
) -> None:
    verifier = secrets.token_urlsafe(32)
    code = await app.consent(verifier)
    app.sandbox.faults.add(v3_error_fault(error_type, status, path_prefix=TOKEN, times=2))
    for _ in range(2):
        answer = await app.exchange(code, verifier)
        assert answer.status_code == status
        body = answer.json()
        assert body["error"] == error_type and body["error_code"] == status
        assert body["error_description"] and "request_id" not in body
    assert app.sandbox.v3_grants == {}  # acted before processing: the code still works
    assert (await app.exchange(code, verifier)).status_code == 200


async def test_a_wrong_api_key_at_the_exchange_is_token_unauthorized_access(app: App) -> None:
    verifier = secrets.token_urlsafe(32)
    code = await app.consent(verifier)
    answer = await app.exchange(code, verifier, key="nyk_not_the_key")
    assert answer.status_code == 400
    body = answer.json()
    assert body["error"] == "token.unauthorized_access" and body["error_code"] == 400
    assert "nyk_not_the_key" not in answer.text
    assert (await app.exchange(code, verifier)).status_code == 200


# -- V3Options: answers where Nylas is silent -----------------------------------------------------


async def test_grants_without_grant_status_and_with_null_scope(app: App) -> None:
    token = await app.connect()
    app.sandbox.v3_options = V3Options(grant_status_field=False)
    one = (await app.api("GET", f"/v3/grants/{token['grant_id']}")).json()["data"]
    assert "grant_status" not in one and isinstance(one["scope"], list)
    [listed] = await app.grants()
    assert "grant_status" not in listed
    app.sandbox.v3_options = V3Options(scope_null=True)
    one = (await app.api("GET", f"/v3/grants/{token['grant_id']}")).json()["data"]
    assert one["scope"] is None and one["grant_status"] == "valid"
    assert (await app.grants())[0]["scope"] is None
    # The token answer and the test view are not shaped by the options.
    assert (await app.connect())["scope"]
    assert app.sandbox.v3_grants[token["grant_id"]]["scope"]


async def test_reauth_email_check(clock: FakeClock) -> None:
    options = V3Options(reauth_email_check=True)
    async with SandboxServer(SandboxOptions(clock=clock, v3_options=options)) as sandbox:
        sandbox.add_v3_connector()
        app = App(sandbox, f"http://localhost:{free_port()}/callback")
        sandbox.add_v3_callback_uri(app.redirect)
        owner = await app.connect(email="owner@example.com")
        before = sandbox.v3_grants
        verifier = secrets.token_urlsafe(32)
        code = await app.consent(
            verifier, email="someone.else@example.com", login_hint="owner@example.com"
        )
        refused = await app.exchange(code, verifier)
        assert refused.status_code == 400
        body = refused.json()
        assert body["error"] == "grant.reauth_email_invalid" and body["error_code"] == 400
        assert sandbox.v3_grants == before  # nothing made or changed
        assert (await app.exchange(code, verifier)).status_code == 400  # the code is spent
        # The same user (any case) renews; a hint naming nobody connected makes a new grant.
        same = await app.connect(email="Owner@Example.com", login_hint="owner@example.com")
        assert same["grant_id"] == owner["grant_id"]
        fresh = await app.connect(email="new@example.com", login_hint="nobody@example.com")
        assert fresh["grant_id"] != owner["grant_id"]
        # Without the check another user's consent simply makes that user's grant.
        sandbox.v3_options = V3Options()
        other = await app.connect(email="someone.else@example.com", login_hint="owner@example.com")
        assert len(sandbox.v3_grants) == 3 and other["email"] == "someone.else@example.com"


async def test_v3_options_default_to_nylas_documented_answers(app: App) -> None:
    assert app.sandbox.v3_options == V3Options()
    grant = await app.connect(state="a")
    await app.connect(state="b")
    [listed] = await app.grants()
    assert listed["id"] == grant["grant_id"]
    assert listed["state"] == "a" and listed["grant_status"] == "valid"
    assert isinstance(listed["scope"], list)


def test_background_sandbox_takes_and_switches_the_options() -> None:
    options = V3Options(scope_null=True)

    def switch(server: SandboxServer) -> None:
        server.v3_options = V3Options(grant_status_field=False)

    with BackgroundSandbox(SandboxOptions(v3_options=options)) as sandbox:
        assert sandbox.call(lambda s: s.v3_options) == options
        seeded = sandbox.call(lambda s: s.add_v3_grant(email="a@example.com"))
        headers = {"Authorization": f"Bearer {sandbox.credentials.v3_api_key}"}
        url = f"{sandbox.url}/v3/grants/{seeded['id']}"
        with httpx.Client(trust_env=False, headers=headers) as http:
            assert http.get(url).json()["data"]["scope"] is None
            sandbox.call(switch)
            data = http.get(url).json()["data"]
        assert data["scope"] and "grant_status" not in data
        assert sandbox.call(lambda s: s.v3_options) == V3Options(grant_status_field=False)
        entry = sandbox.call(lambda s: s.add_v3_callback_uri("http://localhost:1/cb", deleted=True))
        assert sandbox.call(lambda s: (s.v3_callback_uri_entries, s.v3_callback_uris)) == (
            [entry],
            [],
        )


# -- the sandbox command ---------------------------------------------------------------------------


def _sandbox_args(*flags: str) -> argparse.Namespace:
    return build_parser().parse_args(["sandbox", *flags])


def test_the_sandbox_command_flags_become_v3_options() -> None:
    assert _v3_options(_sandbox_args()) == V3Options()
    flags = ("--v3-renewal-state", "overwritten", "--v3-no-grant-status", "--v3-null-scope")
    assert _v3_options(_sandbox_args(*flags, "--v3-reauth-email-check")) == V3Options(
        renewal_state="overwritten",
        grant_status_field=False,
        scope_null=True,
        reauth_email_check=True,
    )
    with pytest.raises(SystemExit):
        _sandbox_args("--v3-renewal-state", "latest")


def test_the_sandbox_help_lists_the_v3_flags(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _sandbox_args("--help")
    text = capsys.readouterr().out
    for flag in ("--v3-renewal-state", "--v3-no-grant-status", "--v3-null-scope"):
        assert flag in text


async def test_grants_list_pages_through_many_grants_without_gaps(app: App) -> None:
    ids = _seed(app.sandbox, 25)
    seen: list[str] = []
    for offset in range(0, 30, 10):
        seen += [g["id"] for g in await app.grants(order_by="asc", offset=offset)]
    assert seen == ids
    full = (await app.api("GET", "/v3/grants", params={"limit": 200})).json()
    assert full["limit"] == 200 and len(full["data"]) == 25


async def test_updated_at_ties_sort_by_the_latest_change(app: App, clock: FakeClock) -> None:
    older = app.sandbox.add_v3_grant(email="older@example.com", at=T0 - 5)["id"]
    newer = app.sandbox.add_v3_grant(email="newer@example.com", at=T0)["id"]
    await app.connect(email="older@example.com")  # renewed at T0: same updated_at as `newer`
    assert app.sandbox.v3_grants[older]["updated_at"] == T0
    assert [g["id"] for g in await app.grants(sort_by="updated_at")] == [older, newer]
    assert [g["id"] for g in await app.grants()] == [newer, older]
