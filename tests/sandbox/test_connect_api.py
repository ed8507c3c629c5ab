"""The sandbox's JSON API over real sockets: endpoints, envelopes, validation, auth, faults."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.helpers.clock import NOW, FakeClock
from tests.helpers.sandbox import BAD_PAGING
from wizard.sandbox import (
    DEMO_CREDENTIALS,
    ZOOM_APP_SCOPES,
    DemoCredentials,
    Fault,
    SandboxOptions,
    SandboxServer,
)

pytestmark = pytest.mark.anyio

REDIRECT = "http://127.0.0.1:53682/callback"


@pytest.fixture
async def sandbox(clock: FakeClock) -> AsyncIterator[SandboxServer]:
    async with SandboxServer(SandboxOptions(clock=clock, login_ttl=600)) as server:
        yield server


def integration_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Zoom for Acme",
        "provider": "zoom",
        "settings": {
            "client_id": DEMO_CREDENTIALS.zoom_client_id,
            "client_secret": DEMO_CREDENTIALS.zoom_client_secret,
        },
        "redirect_uris": [REDIRECT],
    }
    body.update(overrides)
    return body


def assert_error(
    response: httpx.Response, status: int, type_: str, event_code: int | None = None
) -> str:
    """Checks the whole error envelope; returns the message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    payload = response.json()
    assert payload["success"] is False
    error = payload["error"]
    assert set(error) == {"type", "http_code", "event_code", "message", "request_id"}
    assert error["type"] == type_
    assert error["http_code"] == status
    assert isinstance(error["event_code"], int)
    if event_code is not None:
        assert error["event_code"] == event_code
    assert error["request_id"] == response.headers["x-request-id"]
    message: str = error["message"]
    assert message[0].isupper(), message  # a sentence
    assert message.endswith("."), message
    return message


async def create_integration(api: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await api.post("/connect/integrations", json=integration_body(**overrides))
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


# Integrations


async def test_create_integration_answers_without_the_secret(
    api: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    response = await api.post("/connect/integrations", json=integration_body())
    assert response.status_code == 200
    assert response.headers["x-request-id"]
    payload = response.json()
    assert payload["success"] is True
    data = payload["data"]
    assert set(data) == {"id", "name", "provider", "redirect_uris", "expires_in"}
    uuid.UUID(data["id"])
    assert data["name"] == "Zoom for Acme"
    assert data["provider"] == "zoom"
    assert data["redirect_uris"] == [REDIRECT]
    assert data["expires_in"] == 1_209_600
    assert DEMO_CREDENTIALS.zoom_client_secret not in response.text
    stored = sandbox.integrations["zoom"]
    assert stored["settings"]["client_secret"] == DEMO_CREDENTIALS.zoom_client_secret


async def test_create_integration_with_scope_and_expiry(api: httpx.AsyncClient) -> None:
    data = await create_integration(api, scope=["user:read:user"], expires_in=60)
    assert data["scope"] == ["user:read:user"]
    assert data["expires_in"] == 60


async def test_expires_in_upper_bound_is_accepted(api: httpx.AsyncClient) -> None:
    data = await create_integration(api, expires_in=315_360_000)
    assert data["expires_in"] == 315_360_000


async def test_second_integration_for_zoom_is_refused(api: httpx.AsyncClient) -> None:
    await create_integration(api)
    response = await api.post("/connect/integrations", json=integration_body(name="Again"))
    message = assert_error(response, 400, "integration_already_exists", 25001)
    assert "already exists" in message
    listed = (await api.get("/connect/integrations")).json()["data"]
    assert [i["name"] for i in listed] == ["Zoom for Acme"]


async def test_unsupported_provider_is_refused(api: httpx.AsyncClient) -> None:
    response = await api.post("/connect/integrations", json=integration_body(provider="google"))
    message = assert_error(response, 400, "provider_not_supported")
    assert "'google'" in message


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"name": ""}, "'name'"),
        ({"name": "   "}, "'name'"),
        ({"name": 7}, "'name'"),
        ({"name": None}, "'name'"),
        ({"provider": 1}, "'provider'"),
        ({"settings": None}, "'settings'"),
        ({"settings": "secret"}, "'settings'"),
        ({"settings": {"client_id": "x"}}, "'settings.client_secret'"),
        ({"settings": {"client_id": "", "client_secret": "y"}}, "'settings.client_id'"),
        ({"redirect_uris": []}, "'redirect_uris'"),
        ({"redirect_uris": REDIRECT}, "'redirect_uris'"),
        ({"redirect_uris": [REDIRECT, 5]}, "'redirect_uris'"),
        ({"redirect_uris": ["/callback"]}, "absolute"),
        ({"redirect_uris": ["ftp://example.com/cb"]}, "absolute"),
        ({"redirect_uris": ["http:///cb"]}, "absolute"),
        ({"redirect_uris": ["http://127.0.0.1/cb#frag"]}, "fragment"),
        ({"expires_in": 59}, "'expires_in'"),
        ({"expires_in": 315_360_001}, "'expires_in'"),
        ({"expires_in": "3600"}, "'expires_in'"),
        ({"expires_in": True}, "'expires_in'"),
        ({"expires_in": 3600.5}, "'expires_in'"),
        ({"scope": "user:read:user"}, "'scope'"),
        ({"scope": [""]}, "'scope'"),
        ({"redirect_uri": REDIRECT}, "Unknown field 'redirect_uri'"),
    ],
)
async def test_create_integration_validation(
    api: httpx.AsyncClient, change: dict[str, Any], named: str
) -> None:
    response = await api.post("/connect/integrations", json=integration_body(**change))
    assert named in assert_error(response, 400, "invalid_request")
    assert_error(await api.get("/connect/integrations/zoom"), 404, "not_found")


@pytest.mark.parametrize("missing", ["name", "provider", "settings", "redirect_uris"])
async def test_create_integration_requires_fields(api: httpx.AsyncClient, missing: str) -> None:
    body = integration_body()
    del body[missing]
    response = await api.post("/connect/integrations", json=body)
    assert f"'{missing}'" in assert_error(response, 400, "invalid_request")


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"{", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"[]", "must be a JSON object"),
        (b'"zoom"', "must be a JSON object"),
    ],
)
async def test_malformed_bodies(api: httpx.AsyncClient, content: bytes, says: str) -> None:
    response = await api.post("/connect/integrations", content=content)
    assert says in assert_error(response, 400, "invalid_request")


async def test_list_integrations_shape_and_paging(api: httpx.AsyncClient) -> None:
    empty = (await api.get("/connect/integrations")).json()
    assert empty == {"success": True, "data": [], "limit": 100, "offset": 0}
    created = await create_integration(api)
    listed = (await api.get("/connect/integrations", params={"limit": 5})).json()
    assert listed == {"success": True, "data": [created], "limit": 5, "offset": 0}
    paged = (await api.get("/connect/integrations", params={"offset": 1})).json()
    assert paged["data"] == []
    assert paged["offset"] == 1


@pytest.mark.parametrize(
    ("name", "value"), [*BAD_PAGING, ("limit", "1.5"), ("limit", ""), ("offset", "²")]
)
@pytest.mark.parametrize("path", ["/connect/integrations", "/connect/grants"])
async def test_list_paging_is_validated(
    api: httpx.AsyncClient, path: str, name: str, value: str
) -> None:
    response = await api.get(path, params={name: value})
    assert f"'{name}'" in assert_error(response, 400, "invalid_request")


async def test_get_integration(api: httpx.AsyncClient) -> None:
    created = await create_integration(api)
    response = await api.get("/connect/integrations/zoom")
    assert response.json() == {"success": True, "data": created}
    message = assert_error(await api.get("/connect/integrations/google"), 404, "not_found")
    assert "POST /connect/integrations" in message


async def test_patch_integration_changes_only_what_is_sent(
    api: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    created = await create_integration(api)
    response = await api.patch("/connect/integrations/zoom", json={"name": "Renamed"})
    assert response.status_code == 200
    assert response.json()["data"] == {**created, "name": "Renamed"}

    new_settings = {"client_id": "zoom-id-2", "client_secret": "zoom-secret-2"}
    patch = {
        "settings": new_settings,
        "redirect_uris": ["http://127.0.0.1:1/a", REDIRECT],
        "expires_in": 3600,
        "scope": ["user:read:user"],
    }
    response = await api.patch("/connect/integrations/zoom", json=patch)
    data = response.json()["data"]
    assert data["redirect_uris"] == patch["redirect_uris"]
    assert data["expires_in"] == 3600
    assert data["scope"] == ["user:read:user"]
    assert "zoom-secret-2" not in response.text
    assert sandbox.integrations["zoom"]["settings"] == new_settings
    assert (await api.get("/connect/integrations/zoom")).json()["data"] == data


@pytest.mark.parametrize(
    ("patch", "named"),
    [
        ({"name": ""}, "'name'"),
        ({"settings": {"client_secret": "only-the-secret"}}, "'settings.client_id'"),
        ({"redirect_uris": []}, "'redirect_uris'"),
        ({"expires_in": 10}, "'expires_in'"),
        ({"scope": [1]}, "'scope'"),
        ({"provider": "zoom"}, "Unknown field 'provider'"),
    ],
)
async def test_rejected_patch_changes_nothing(
    api: httpx.AsyncClient, patch: dict[str, Any], named: str
) -> None:
    created = await create_integration(api)
    # A valid change beside the bad one must not be applied either.
    response = await api.patch("/connect/integrations/zoom", json={"name": "New", **patch})
    assert named in assert_error(response, 400, "invalid_request")
    assert (await api.get("/connect/integrations/zoom")).json()["data"] == created


async def test_patch_missing_integration(api: httpx.AsyncClient) -> None:
    response = await api.patch("/connect/integrations/zoom", json={"name": "x"})
    assert_error(response, 404, "not_found")


async def test_delete_integration(api: httpx.AsyncClient) -> None:
    await create_integration(api)
    response = await api.delete("/connect/integrations/zoom")
    assert response.status_code == 200
    assert response.json() == {"success": True, "data": {"success": True}}
    assert_error(await api.get("/connect/integrations/zoom"), 404, "not_found")
    assert_error(await api.delete("/connect/integrations/zoom"), 404, "not_found")
    await create_integration(api)  # the provider is free again


async def test_add_integration_helper_seeds_without_validation(
    api: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    seeded = sandbox.add_integration(redirect_uris=["https://elsewhere.example/cb"])
    data = (await api.get("/connect/integrations/zoom")).json()["data"]
    assert data["id"] == seeded["id"]
    assert data["redirect_uris"] == ["https://elsewhere.example/cb"]
    with pytest.raises(ValueError, match="already exists"):
        sandbox.add_integration()


# Auth requests


async def test_create_auth(api: httpx.AsyncClient, sandbox: SandboxServer) -> None:
    await create_integration(api)
    body = {
        "provider": "zoom",
        "redirect_uri": REDIRECT,
        "state": "s-123",
        "account_id": "acct-1",
        "login_hint": "someone@example.com",
        "expires_in": 3600,
        "scope": ["user:read:user"],
        "settings": {"a": 1},
        "metadata": {"customer": "Acme"},
    }
    response = await api.post("/connect/auth", json=body)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert set(data) == {"url", "id", "expires_at", "request"}
    assert data["url"] == f"{sandbox.url}/connect/login?id={data['id']}"
    assert data["expires_at"] == int(NOW) + 600
    assert isinstance(data["expires_at"], int)
    assert data["request"] == body
    assert sandbox.auth_requests[data["id"]]["scope"] == ["user:read:user"]


async def test_auth_needs_an_integration(api: httpx.AsyncClient) -> None:
    response = await api.post("/connect/auth", json={"provider": "zoom", "redirect_uri": REDIRECT})
    message = assert_error(response, 404, "not_found")
    assert "POST /connect/integrations" in message


async def test_auth_redirect_uri_must_be_registered(
    api: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    sandbox.add_integration(redirect_uris=["https://elsewhere.example/cb"])
    response = await api.post("/connect/auth", json={"provider": "zoom", "redirect_uri": REDIRECT})
    message = assert_error(response, 400, "redirect_uri_not_allowed", 25003)
    assert REDIRECT in message
    assert "https://elsewhere.example/cb" in message


async def test_auth_redirect_uri_must_match_exactly(api: httpx.AsyncClient) -> None:
    await create_integration(api)
    response = await api.post(
        "/connect/auth", json={"provider": "zoom", "redirect_uri": REDIRECT + "/"}
    )
    assert_error(response, 400, "redirect_uri_not_allowed", 25003)


async def test_auth_scope_outside_the_zoom_app(api: httpx.AsyncClient) -> None:
    await create_integration(api)
    body = {"provider": "zoom", "redirect_uri": REDIRECT, "scope": ["user:read:user", "recording"]}
    message = assert_error(
        await api.post("/connect/auth", json=body), 400, "scopes_conflict", 25016
    )
    assert "recording" in message


async def test_integration_scope_outside_the_zoom_app_conflicts_at_auth(
    api: httpx.AsyncClient,
) -> None:
    await create_integration(api, scope=["calendar"])
    body = {"provider": "zoom", "redirect_uri": REDIRECT}
    assert_error(await api.post("/connect/auth", json=body), 400, "scopes_conflict", 25016)


async def test_auth_scope_defaults(api: httpx.AsyncClient, sandbox: SandboxServer) -> None:
    await create_integration(api)
    body = {"provider": "zoom", "redirect_uri": REDIRECT}
    login_id = (await api.post("/connect/auth", json=body)).json()["data"]["id"]
    assert sandbox.auth_requests[login_id]["scope"] == list(ZOOM_APP_SCOPES)
    await api.patch("/connect/integrations/zoom", json={"scope": ["user:read:user"]})
    login_id = (await api.post("/connect/auth", json=body)).json()["data"]["id"]
    assert sandbox.auth_requests[login_id]["scope"] == ["user:read:user"]


@pytest.mark.parametrize(
    ("change", "type_", "named"),
    [
        ({"provider": None}, "invalid_request", "'provider'"),
        ({"redirect_uri": None}, "invalid_request", "'redirect_uri'"),
        ({"redirect_uri": ""}, "invalid_request", "'redirect_uri'"),
        ({"provider": "google"}, "provider_not_supported", "'google'"),
        ({"state": 5}, "invalid_request", "'state'"),
        ({"account_id": ["a"]}, "invalid_request", "'account_id'"),
        ({"login_hint": 1}, "invalid_request", "'login_hint'"),
        ({"expires_in": 1}, "invalid_request", "'expires_in'"),
        ({"scope": "user:read:user"}, "invalid_request", "'scope'"),
        ({"scope": []}, "invalid_request", "'scope'"),
        ({"settings": []}, "invalid_request", "'settings'"),
        ({"metadata": "x"}, "invalid_request", "'metadata'"),
        ({"grant_id": 3}, "invalid_request", "'grant_id'"),
        ({"redirect_uris": [REDIRECT]}, "invalid_request", "Unknown field 'redirect_uris'"),
    ],
)
async def test_auth_validation(
    api: httpx.AsyncClient, sandbox: SandboxServer, change: dict[str, Any], type_: str, named: str
) -> None:
    await create_integration(api)
    body = {"provider": "zoom", "redirect_uri": REDIRECT, **change}
    body = {key: value for key, value in body.items() if value is not None}
    assert named in assert_error(await api.post("/connect/auth", json=body), 400, type_)
    assert sandbox.auth_requests == {}


async def test_auth_reauthentication_needs_an_existing_grant(
    api: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    await create_integration(api)
    body = {"provider": "zoom", "redirect_uri": REDIRECT, "grant_id": "nope"}
    assert "'nope'" in assert_error(await api.post("/connect/auth", json=body), 404, "not_found")
    grant = sandbox.add_grant()
    body["grant_id"] = grant["id"]
    assert (await api.post("/connect/auth", json=body)).status_code == 200


# Grants


async def test_grants(api: httpx.AsyncClient, sandbox: SandboxServer) -> None:
    assert (await api.get("/connect/grants")).json() == {
        "success": True,
        "data": [],
        "limit": 100,
        "offset": 0,
    }
    grant = sandbox.add_grant(email="a@example.com", state="st", account_id="acct")
    response = await api.get(f"/connect/grants/{grant['id']}")
    data = response.json()["data"]
    assert set(data) == {
        "id",
        "provider",
        "grant_status",
        "email",
        "scope",
        "state",
        "settings",
        "metadata",
        "ip",
        "user_agent",
        "created_at",
        "updated_at",
        "account_id",
    }
    assert data["grant_status"] == "valid"
    assert (data["provider"], data["email"], data["state"]) == ("zoom", "a@example.com", "st")
    assert data["account_id"] == "acct"
    assert data["created_at"] == int(NOW)
    listed = (await api.get("/connect/grants", params={"limit": 1, "offset": 0})).json()
    assert listed == {"success": True, "data": [data], "limit": 1, "offset": 0}

    response = await api.delete(f"/connect/grants/{grant['id']}")
    assert response.json() == {"success": True, "data": {"success": True}}
    assert_error(await api.get(f"/connect/grants/{grant['id']}"), 404, "not_found")
    assert_error(await api.delete(f"/connect/grants/{grant['id']}"), 404, "not_found")
    assert sandbox.grants == {}


# Authentication


ENDPOINTS = [
    ("GET", "/connect/integrations"),
    ("POST", "/connect/integrations"),
    ("GET", "/connect/integrations/zoom"),
    ("PATCH", "/connect/integrations/zoom"),
    ("DELETE", "/connect/integrations/zoom"),
    ("POST", "/connect/auth"),
    ("GET", "/connect/grants"),
    ("GET", "/connect/grants/some-id"),
    ("DELETE", "/connect/grants/some-id"),
]


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


ID, SECRET = DEMO_CREDENTIALS.nylas_client_id, DEMO_CREDENTIALS.nylas_client_secret
BAD_AUTH = {
    "missing": None,
    "wrong secret": basic(ID, "wrong"),
    "wrong id": basic("wrong", SECRET),
    # What `echo '...' | base64` in the public guide gives: quotes and a newline included.
    "trailing newline": basic(ID, SECRET + "\n"),
    "typographic quotes": basic(f"\u2018{ID}", f"{SECRET}\u2019"),
    "bearer": f"Bearer {SECRET}",
    "not base64": "Basic %%%",
    "no colon": "Basic " + base64.b64encode(ID.encode()).decode(),
}


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize("header", BAD_AUTH.values(), ids=BAD_AUTH.keys())
async def test_every_endpoint_needs_basic_auth(
    sandbox: SandboxServer, method: str, path: str, header: str | None
) -> None:
    headers = {} if header is None else {"authorization": header}
    async with httpx.AsyncClient(base_url=sandbox.url) as client:
        response = await client.request(method, path, headers=headers, json=integration_body())
    assert_error(response, 401, "unauthorized")
    assert sandbox.integrations == {}


async def test_basic_auth_scheme_is_case_insensitive(sandbox: SandboxServer) -> None:
    header = basic(ID, SECRET).replace("Basic", "basic")
    async with httpx.AsyncClient(base_url=sandbox.url) as client:
        response = await client.get("/connect/integrations", headers={"authorization": header})
    assert response.status_code == 200


async def test_custom_credentials() -> None:
    creds = DemoCredentials("my-id", "my-secret", "z-id", "z-secret")
    async with (
        SandboxServer(SandboxOptions(credentials=creds)) as other,
        httpx.AsyncClient(base_url=other.url) as client,
    ):
        good = await client.get("/connect/grants", auth=("my-id", "my-secret"))
        demo = await client.get("/connect/grants", auth=(ID, SECRET))
    assert good.status_code == 200
    assert_error(demo, 401, "unauthorized")


# Routing


@pytest.mark.parametrize(
    "path",
    [
        "/connect",
        "/connect/",
        "/connect/nothing",
        "/connect/integrations/zoom/extra",
        "/connect/integrations/",
        "/connect/grants/",
    ],
)
async def test_unknown_api_path(api: httpx.AsyncClient, path: str) -> None:
    assert path in assert_error(await api.get(path), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/connect/integrations", "GET, POST"),
        ("POST", "/connect/integrations/zoom", "GET, PATCH, DELETE"),
        ("GET", "/connect/auth", "POST"),
        ("DELETE", "/connect/grants", "GET"),
        ("PATCH", "/connect/grants/x", "GET, DELETE"),
        ("POST", "/connect/login", "GET"),
        ("POST", "/connect/callback", "GET"),
    ],
)
async def test_wrong_method(api: httpx.AsyncClient, method: str, path: str, allowed: str) -> None:
    response = await api.request(method, path)
    message = assert_error(response, 405, "method_not_allowed")
    assert method in message
    assert response.headers["allow"] == allowed


async def test_paths_outside_the_api(sandbox: SandboxServer) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url) as client:
        health = await client.get("/healthz")
        missing = await client.get("/favicon.ico")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert missing.status_code == 404


async def test_a_bug_in_the_sandbox_answers_500(
    api: httpx.AsyncClient, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(sandbox._connect, "handle", broken)
    assert_error(await api.get("/connect/grants"), 500, "internal_error")


# Faults


async def test_status_fault(api: httpx.AsyncClient, sandbox: SandboxServer) -> None:
    sandbox.faults.add(Fault(method="POST", times=2))
    for _ in range(2):
        response = await api.post("/connect/integrations", json=integration_body())
        assert "injected" in assert_error(response, 503, "service_unavailable")
    assert sandbox.integrations == {}  # applied before processing
    await create_integration(api)  # used up: the third attempt goes through
    assert sandbox.requests_seen.count(("POST", "/connect/integrations")) == 3


@pytest.mark.parametrize(
    ("status", "type_"),
    [
        (500, "internal_error"),
        (502, "bad_gateway"),
        (504, "gateway_timeout"),
        (404, "not_found"),
        (418, "invalid_request"),
        (599, "internal_error"),
    ],
)
async def test_status_fault_types(
    api: httpx.AsyncClient, sandbox: SandboxServer, status: int, type_: str
) -> None:
    sandbox.faults.add(Fault(status=status))
    assert_error(await api.get("/connect/grants"), status, type_)


async def test_fault_matching(api: httpx.AsyncClient, sandbox: SandboxServer) -> None:
    sandbox.faults.add(Fault(method="post", path_prefix="/connect/auth"))
    assert (await api.get("/connect/grants")).status_code == 200
    assert (await api.post("/connect/integrations", json=integration_body())).status_code == 200
    body = {"provider": "zoom", "redirect_uri": REDIRECT}
    assert_error(await api.post("/connect/auth", json=body), 503, "service_unavailable")
    assert sandbox.faults.pending == []
    assert (await api.post("/connect/auth", json=body)).status_code == 200


async def test_faults_act_before_authentication(sandbox: SandboxServer) -> None:
    sandbox.faults.add(Fault(status=502))
    async with httpx.AsyncClient(base_url=sandbox.url) as client:
        assert_error(await client.get("/connect/grants"), 502, "bad_gateway")
        assert_error(await client.get("/connect/grants"), 401, "unauthorized")


async def test_retry_after_fault(api: httpx.AsyncClient, sandbox: SandboxServer) -> None:
    sandbox.faults.add(Fault(kind="retry_after", retry_after=2.0))
    sandbox.faults.add(Fault(kind="retry_after", retry_after=0.25))
    first = await api.get("/connect/integrations")
    assert_error(first, 429, "rate_limit_exceeded")
    assert first.headers["retry-after"] == "2"
    second = await api.get("/connect/integrations")
    assert second.headers["retry-after"] == "0.25"
    assert (await api.get("/connect/integrations")).status_code == 200


async def test_slow_fault(api: httpx.AsyncClient, sandbox: SandboxServer) -> None:
    sandbox.faults.add(Fault(kind="slow", delay=0.3))
    response = await api.post("/connect/integrations", json=integration_body())
    assert response.status_code == 200  # answered normally, after the wait
    sandbox.faults.add(Fault(kind="slow", delay=1.0))
    with pytest.raises(httpx.ReadTimeout):
        await api.get("/connect/integrations", timeout=0.1)


async def test_dropped_post_creates_nothing(api: httpx.AsyncClient, sandbox: SandboxServer) -> None:
    sandbox.faults.add(Fault(method="POST", kind="drop"))
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        await api.post("/connect/integrations", json=integration_body())
    assert sandbox.integrations == {}
    assert sandbox.requests_seen == [("POST", "/connect/integrations")]
    await create_integration(api)
    assert sandbox.requests_seen.count(("POST", "/connect/integrations")) == 2


@pytest.mark.parametrize(
    ("body", "status"), [(b'{"success": tr', 200), (b"<html>Bad gateway</html>", 502), (b"", 200)]
)
async def test_body_fault(
    api: httpx.AsyncClient, sandbox: SandboxServer, body: bytes, status: int
) -> None:
    sandbox.faults.add(Fault(kind="body", body=body, status=status))
    response = await api.post("/connect/integrations", json=integration_body())
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.content == body
    assert sandbox.integrations == {}


async def test_fault_injector_bookkeeping(api: httpx.AsyncClient, sandbox: SandboxServer) -> None:
    fault = Fault(times=3)
    sandbox.faults.add(fault)
    await api.get("/connect/grants")
    assert fault.times == 3  # the caller's object is not counted down
    assert sandbox.faults.pending[0].times == 2
    sandbox.faults.clear()
    assert (await api.get("/connect/grants")).status_code == 200
    with pytest.raises(ValueError, match="at least 1"):
        sandbox.faults.add(Fault(times=0))
