"""The browser leg over real sockets: login link -> Zoom consent form -> Nylas callback -> app.

httpx plays the browser (a plain form needs no JavaScript); the last tests drive real Chromium.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.helpers.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.helpers.clock import NOW, FakeClock
from tests.helpers.sandbox import connect_api
from wizard.http.server import HttpServer, Request, Response
from wizard.sandbox import (
    DEMO_CREDENTIALS,
    ZOOM_APP_SCOPES,
    DemoCredentials,
    SandboxOptions,
    SandboxServer,
)
from wizard.sandbox.consent_bot import Form, parse_page

pytestmark = pytest.mark.anyio

APP_REDIRECT = "http://127.0.0.1:9/app/callback?keep=1"  # never contacted: redirects not followed
USER_AGENT = "sandbox-test-browser/1.0"


def the_form(html: str) -> Form:
    """The page's one form (Zoom's consent page, and the same page again after a bad answer)."""
    [form] = parse_page(html).forms
    return form


@pytest.fixture
async def sandbox(clock: FakeClock) -> AsyncIterator[SandboxServer]:
    async with SandboxServer(SandboxOptions(clock=clock, login_ttl=900)) as server:
        yield server


@pytest.fixture
async def browser() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(headers={"user-agent": USER_AGENT}) as client:
        yield client


async def setup_login(
    api: httpx.AsyncClient,
    *,
    zoom_secret: str | None = None,
    zoom_id: str | None = None,
    **auth: Any,
) -> str:
    """Creates the integration and an auth request; returns the login URL."""
    settings = {
        "client_id": zoom_id or DEMO_CREDENTIALS.zoom_client_id,
        "client_secret": zoom_secret or DEMO_CREDENTIALS.zoom_client_secret,
    }
    body = {
        "name": "Zoom",
        "provider": "zoom",
        "settings": settings,
        "redirect_uris": [APP_REDIRECT],
    }
    assert (await api.post("/connect/integrations", json=body)).status_code == 200
    return await new_login(api, **auth)


async def new_login(api: httpx.AsyncClient, **auth: Any) -> str:
    body = {"provider": "zoom", "redirect_uri": APP_REDIRECT, **auth}
    response = await api.post("/connect/auth", json=body)
    assert response.status_code == 200, response.text
    url: str = response.json()["data"]["url"]
    return url


async def open_consent(browser: httpx.AsyncClient, login_url: str) -> httpx.Response:
    """Follows the login link to Zoom's page, as a browser would."""
    page = await browser.get(login_url, follow_redirects=True)
    assert [r.status_code for r in page.history] == [302]
    return page


async def submit(
    browser: httpx.AsyncClient, page: httpx.Response, button: str, email: str | None = None
) -> httpx.Response:
    """Clicks `button` on the consent form; returns Zoom's answer (not followed)."""
    form = the_form(page.text)
    assert form.method == "post"
    typed = {} if email is None else {"email": email}
    [pressed] = [b for b in form.buttons if b.id == button]
    return await browser.post(page.url.join(form.action), data=form.pressing(pressed, **typed))


async def consent(
    browser: httpx.AsyncClient, login_url: str, button: str = "allow", email: str | None = None
) -> dict[str, list[str]]:
    """The whole browser leg; returns the query of the app redirect the browser lands on."""
    zoom_answer = await submit(browser, await open_consent(browser, login_url), button, email)
    assert zoom_answer.status_code == 302
    callback = zoom_answer.headers["location"]
    final = await browser.get(callback)
    assert final.status_code == 302
    return app_query(final.headers["location"])


def app_query(location: str) -> dict[str, list[str]]:
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == APP_REDIRECT.split("?")[0]
    query = parse_qs(parts.query, keep_blank_values=True)
    assert query.pop("keep") == ["1"]  # the redirect_uri's own query survives
    return query


def single(query: dict[str, list[str]]) -> dict[str, str]:
    assert all(len(values) == 1 for values in query.values()), query
    return {key: values[0] for key, values in query.items()}


async def test_allow_creates_the_grant_and_redirects_to_the_app(
    api: httpx.AsyncClient, browser: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    login_url = await setup_login(
        api, state="app-state-1", account_id="acct-9", metadata={"customer": "Acme"}
    )
    query = single(await consent(browser, login_url))
    assert set(query) == {"success", "provider", "grant_id", "state"}
    assert query["success"] == "true"
    assert query["provider"] == "zoom"
    assert query["state"] == "app-state-1"

    grant = (await api.get(f"/connect/grants/{query['grant_id']}")).json()["data"]
    assert grant["email"] == "zoom.user@example.com"
    assert grant["state"] == "app-state-1"
    assert grant["provider"] == "zoom"
    assert grant["grant_status"] == "valid"
    assert grant["account_id"] == "acct-9"
    assert grant["metadata"] == {"customer": "Acme"}
    assert grant["scope"] == list(ZOOM_APP_SCOPES)
    assert grant["ip"] == "127.0.0.1"
    assert grant["user_agent"] == USER_AGENT
    assert grant["created_at"] == grant["updated_at"] == int(NOW)
    assert list(sandbox.grants) == [query["grant_id"]]


async def test_the_login_link_leads_to_zoom_with_the_integration_client_id(
    api: httpx.AsyncClient, browser: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    login_url = await setup_login(api, state="s")
    response = await browser.get(login_url)
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        f"{sandbox.url}/zoom/oauth/authorize"
    )
    query = single(parse_qs(location.query))
    assert query["response_type"] == "code"
    assert query["client_id"] == DEMO_CREDENTIALS.zoom_client_id
    assert query["redirect_uri"] == f"{sandbox.url}/connect/callback"
    assert query["state"] != "s"  # Nylas's own opaque state, not the app's


async def test_consent_page_content(api: httpx.AsyncClient, browser: httpx.AsyncClient) -> None:
    page = await open_consent(browser, await setup_login(api))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["x-frame-options"] == "DENY"
    parsed = parse_page(page.text)
    assert "Zoom" in parsed.title
    assert "Acme Scheduler" in page.text
    [form] = parsed.forms
    assert form.fields["email"] == "zoom.user@example.com"
    buttons = {b.id: (b.name, b.value) for b in form.buttons}
    assert buttons == {"allow": ("decision", "allow"), "decline": ("decision", "deny")}
    assert form.action == "/zoom/oauth/authorize"
    for scope in ZOOM_APP_SCOPES:
        assert scope in page.text
    assert "<script" not in page.text


async def test_trainer_can_impersonate_another_zoom_user(
    api: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    query = single(await consent(browser, await setup_login(api), email="other@example.org"))
    grant = (await api.get(f"/connect/grants/{query['grant_id']}")).json()["data"]
    assert grant["email"] == "other@example.org"


async def test_narrowed_scope_is_shown_and_granted(
    api: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    login_url = await setup_login(api, scope=["user:read:user"])
    page = await open_consent(browser, login_url)
    assert "user:read:user" in page.text
    assert "meeting:write:meeting" not in page.text
    query = single(await consent(browser, await new_login(api, scope=["user:read:user"])))
    grant = (await api.get(f"/connect/grants/{query['grant_id']}")).json()["data"]
    assert grant["scope"] == ["user:read:user"]


async def test_decline(
    api: httpx.AsyncClient, browser: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    page = await open_consent(browser, await setup_login(api, state="st"))
    zoom_answer = await submit(browser, page, "decline")
    callback = urlsplit(zoom_answer.headers["location"])
    assert single(parse_qs(callback.query))["error"] == "access_denied"
    final = await browser.get(zoom_answer.headers["location"])
    query = single(app_query(final.headers["location"]))
    assert query.keys() == {"error", "error_code", "error_description", "state", "success"}
    assert query["error"] == "oauth_failed"
    assert query["error_code"] == "45002"
    assert query["success"] == "false"
    assert query["state"] == "st"
    assert "declined" in query["error_description"]
    assert sandbox.grants == {}


async def test_decline_needs_no_valid_email(
    api: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    query = single(await consent(browser, await setup_login(api), "decline", email=""))
    assert query["error"] == "oauth_failed"


async def test_wrong_zoom_client_secret_fails_at_the_code_exchange(
    api: httpx.AsyncClient, browser: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    login_url = await setup_login(api, zoom_secret="the-production-secret", state="st")
    query = single(await consent(browser, login_url))
    assert query["error"] == "oauth_failed"
    assert query["error_code"] == "45002"
    assert query["success"] == "false"
    assert query["state"] == "st"
    description = query["error_description"]
    assert "4702" in description
    assert "invalid client" in description
    assert "Zoom client secret" in description
    assert sandbox.grants == {}


async def test_unknown_zoom_client_id_stops_on_zoom_error_page(
    api: httpx.AsyncClient, browser: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    login_url = await setup_login(api, zoom_id="not-the-zoom-app")
    page = await browser.get(login_url, follow_redirects=True)
    assert page.status_code == 400
    assert "location" not in page.headers
    assert "Invalid client_id: 4,702" in page.text
    assert "Zoom" in parse_page(page.text).title
    assert "<form" not in page.text
    assert sandbox.grants == {}


async def test_expired_login_link(
    api: httpx.AsyncClient, browser: httpx.AsyncClient, clock: FakeClock
) -> None:
    login_url = await setup_login(api)
    clock.now = NOW + 900  # the last valid second
    assert (await browser.get(login_url)).status_code == 302
    clock.now = NOW + 901
    response = await browser.get(login_url)
    assert response.status_code == 410
    assert "location" not in response.headers
    assert "This login link has expired" in response.text
    assert "start the connection again from the app" in response.text.lower()


@pytest.mark.parametrize("query", ["?id=00000000-0000-0000-0000-000000000000", "", "?id="])
async def test_unknown_login_link(
    sandbox: SandboxServer, browser: httpx.AsyncClient, query: str
) -> None:
    response = await browser.get(f"{sandbox.url}/connect/login{query}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "not known" in response.text


async def test_login_link_and_callback_are_spent_after_a_callback(
    api: httpx.AsyncClient, browser: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    login_url = await setup_login(api)
    zoom_answer = await submit(browser, await open_consent(browser, login_url), "allow")
    callback = zoom_answer.headers["location"]
    assert (await browser.get(callback)).status_code == 302
    again = await browser.get(login_url)
    assert again.status_code == 410
    assert "already used" in again.text
    replay = await browser.get(callback)
    assert replay.status_code == 410
    assert "location" not in replay.headers
    assert len(sandbox.grants) == 1


async def test_a_code_works_once(
    api: httpx.AsyncClient, browser: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    first = await submit(browser, await open_consent(browser, await setup_login(api)), "allow")
    first_callback = urlsplit(first.headers["location"])
    code = single(parse_qs(first_callback.query))["code"]
    assert (await browser.get(first.headers["location"])).status_code == 302

    # A second login's Nylas state with the first, already exchanged, code.
    second = await browser.get(await new_login(api, state="second"))
    zoom_state = single(parse_qs(urlsplit(second.headers["location"]).query))["state"]
    replay = await browser.get(
        f"{sandbox.url}/connect/callback", params={"code": code, "state": zoom_state}
    )
    query = single(app_query(replay.headers["location"]))
    assert query["error"] == "oauth_failed"
    assert "4700" in query["error_description"]
    assert query["state"] == "second"
    assert len(sandbox.grants) == 1


async def test_callback_without_a_known_state(
    sandbox: SandboxServer, browser: httpx.AsyncClient
) -> None:
    response = await browser.get(f"{sandbox.url}/connect/callback?code=abc&state=forged")
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "Start the connection again" in response.text


async def test_no_state_requested_means_none_returned(
    api: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    query = single(await consent(browser, await setup_login(api)))
    assert "state" not in query
    failed = single(await consent(browser, await new_login(api), "decline"))
    assert "state" not in failed
    assert failed["error"] == "oauth_failed"


async def test_state_on_success_false(browser: httpx.AsyncClient) -> None:
    async with (
        SandboxServer(SandboxOptions(state_on_success=False)) as sandbox,
        httpx.AsyncClient(
            base_url=sandbox.url,
            auth=(sandbox.credentials.nylas_client_id, sandbox.credentials.nylas_client_secret),
        ) as api,
    ):
        query = single(await consent(browser, await setup_login(api, state="st")))
        assert set(query) == {"success", "provider", "grant_id"}
        grant = (await api.get(f"/connect/grants/{query['grant_id']}")).json()["data"]
        assert grant["state"] == "st"  # the way to verify it instead
        declined = single(await consent(browser, await new_login(api, state="st2"), "decline"))
        assert declined["state"] == "st2"  # failures still carry it


async def test_reauthentication_renews_the_same_grant(
    api: httpx.AsyncClient, browser: httpx.AsyncClient, clock: FakeClock, sandbox: SandboxServer
) -> None:
    first = single(await consent(browser, await setup_login(api)))
    clock.now = NOW + 60
    login_url = await new_login(api, grant_id=first["grant_id"])
    second = single(await consent(browser, login_url, email="renewed@example.com"))
    assert second["grant_id"] == first["grant_id"]
    grant = sandbox.grants[first["grant_id"]]
    assert grant["email"] == "renewed@example.com"
    assert (grant["created_at"], grant["updated_at"]) == (int(NOW), int(NOW) + 60)
    assert len(sandbox.grants) == 1


async def test_integration_deleted_before_login(
    api: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    login_url = await setup_login(api)
    await api.delete("/connect/integrations/zoom")
    response = await browser.get(login_url)
    assert response.status_code == 404
    assert "no longer exists" in response.text


async def test_integration_deleted_during_consent(
    api: httpx.AsyncClient, browser: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    page = await open_consent(browser, await setup_login(api))
    await api.delete("/connect/integrations/zoom")
    zoom_answer = await submit(browser, page, "allow")
    final = await browser.get(zoom_answer.headers["location"])
    query = single(app_query(final.headers["location"]))
    assert query["error"] == "oauth_failed"
    assert "deleted" in query["error_description"]
    assert sandbox.grants == {}


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"email": ""}, "Enter the email"),
        ({"email": "no-at-sign"}, "Enter the email"),
        ({"decision": "maybe"}, "Choose Allow or Decline"),
    ],
)
async def test_consent_form_rejects_bad_submissions(
    api: httpx.AsyncClient, browser: httpx.AsyncClient, change: dict[str, str], says: str
) -> None:
    page = await open_consent(browser, await setup_login(api))
    data = {**the_form(page.text).fields, "decision": "allow", **change}
    response = await browser.post(page.url.join("/zoom/oauth/authorize"), data=data)
    assert response.status_code == 400
    assert says in response.text
    assert {b.id for b in the_form(response.text).buttons} == {"allow", "decline"}  # again


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"client_id": "someone-else"}, "Invalid client_id: 4,702"),
        ({"response_type": "token"}, "Invalid response_type"),
        ({"redirect_uri": "https://evil.example/cb"}, "Invalid redirect: 4,709"),
        ({"scope": "recording:read"}, "Invalid scope"),
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_zoom_refuses_bad_authorize_requests(
    api: httpx.AsyncClient,
    browser: httpx.AsyncClient,
    sandbox: SandboxServer,
    change: dict[str, str],
    says: str,
    method: str,
) -> None:
    page = await open_consent(browser, await setup_login(api))
    params = {**the_form(page.text).fields, "decision": "allow", **change}
    url = f"{sandbox.url}/zoom/oauth/authorize"
    if method == "GET":
        response = await browser.get(url, params=params)
    else:
        response = await browser.post(url, data=params)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert says in response.text


async def test_pages_escape_what_they_show(browser: httpx.AsyncClient) -> None:
    async with SandboxServer(
        SandboxOptions(zoom_app_name="<script>alert(1)</script>", zoom_user_email='a"b@example.com')
    ) as sandbox:
        async with connect_api(sandbox) as api:
            page = await open_consent(browser, await setup_login(api))
        landing = await browser.get(sandbox.url + "/")
    for text in (page.text, landing.text):
        assert "<script>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert the_form(page.text).fields["email"] == 'a"b@example.com'


async def test_landing_page(sandbox: SandboxServer, browser: httpx.AsyncClient) -> None:
    page = await browser.get(sandbox.url + "/")
    assert page.status_code == 200
    for value in (
        sandbox.url,
        DEMO_CREDENTIALS.nylas_client_id,
        DEMO_CREDENTIALS.nylas_client_secret,
        DEMO_CREDENTIALS.zoom_client_id,
        f"{sandbox.url}/connect/callback",
        'href="/healthz"',
    ):
        assert value in page.text


async def test_landing_page_hides_custom_secrets(browser: httpx.AsyncClient) -> None:
    creds = DemoCredentials("my-id", "my-real-looking-secret", "zoom-id", "zoom-secret-x")
    async with SandboxServer(SandboxOptions(credentials=creds)) as sandbox:
        page = await browser.get(sandbox.url + "/")
    assert "my-id" in page.text
    assert "my-real-looking-secret" not in page.text
    assert "zoom-secret-x" not in page.text


# Real Chromium, as a trainee would click through it.


@pytest.fixture
async def app_listener() -> AsyncIterator[tuple[str, list[Request]]]:
    """Stands in for the wizard's loopback listener: records where the browser lands."""
    seen: list[Request] = []

    async def handle(request: Request) -> Response:
        seen.append(request)
        return Response.html(200, "<title>Done</title><p>You may close this window.</p>")

    async with HttpServer(handle, ["127.0.0.1"], 0) as server:
        yield f"http://127.0.0.1:{server.bound_port}/callback", seen


@pytest.mark.browser
@pytest.mark.linux_only  # /usr/bin/chromium
@pytest.mark.parametrize(("button", "outcome"), [("allow", "success"), ("decline", "error")])
async def test_chromium_clicks_through_consent(
    api: httpx.AsyncClient,
    sandbox: SandboxServer,
    app_listener: tuple[str, list[Request]],
    button: str,
    outcome: str,
) -> None:
    require_chromium()
    from playwright.async_api import async_playwright

    redirect, seen = app_listener
    sandbox.add_integration(redirect_uris=[redirect])
    response = await api.post(
        "/connect/auth", json={"provider": "zoom", "redirect_uri": redirect, "state": "st"}
    )
    login_url = response.json()["data"]["url"]
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await chromium.new_page()
            await page.goto(login_url)
            assert "Zoom" in await page.title()
            await page.click(f"#{button}")
            await page.wait_for_url(f"{redirect}?**")
            assert await page.title() == "Done"
        finally:
            await chromium.close()
    [landed] = [r for r in seen if r.path == "/callback"]  # Chromium also asks for a favicon
    query = single(parse_qs(urlsplit(landed.target).query))
    assert query["state"] == "st"
    if outcome == "success":
        assert query["success"] == "true"
        assert list(sandbox.grants) == [query["grant_id"]]
    else:
        assert query["error"] == "oauth_failed"
        assert sandbox.grants == {}
