"""ConsentBot as a customer on another computer (stop_at_redirect): it consents on both APIs but
never requests the app's redirect URI; it hands back the address the customer would see.

The app's redirect URI is a real server of the test's own that records every request, so "never
requested" is observed, not assumed; a bot without the option reaches it (the control).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from wizard.http.server import HttpServer, Request, Response
from wizard.sandbox import SandboxServer
from wizard.sandbox.consent_bot import ConsentBot
from wizard.sandbox.server import LANDING_PATH

pytestmark = pytest.mark.anyio

STATE = "state-of-this-authorization"


@dataclass
class App:
    """The app's redirect URI, served: what reaches it is recorded."""

    server: HttpServer
    seen: list[str] = field(default_factory=list)

    @property
    def redirect(self) -> str:
        return f"http://127.0.0.1:{self.server.bound_port}/callback"


@pytest.fixture
async def app() -> AsyncIterator[App]:
    seen: list[str] = []

    async def record(request: Request) -> Response:
        seen.append(request.target)
        return Response.text(200, "the app's listener")

    async with HttpServer(record, ["127.0.0.1"], 0) as server:
        yield App(server, seen)


def query_of(address: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(address).query, keep_blank_values=True)


# -- v3: hosted auth, code and state in the address ---------------------------------------------


def nylas_challenge(verifier: str) -> str:
    # Nylas's rule, written here again: the test must not trust the sandbox's own.
    digest = hashlib.sha256(verifier.encode()).hexdigest().encode()
    return base64.b64encode(digest).decode().rstrip("=")


def v3_link(sandbox: SandboxServer, redirect: str, verifier: str) -> str:
    sandbox.add_v3_connector()
    sandbox.add_v3_callback_uri(redirect)
    params = {
        "client_id": sandbox.credentials.v3_application_id,
        "redirect_uri": redirect,
        "response_type": "code",
        "provider": "zoom",
        "code_challenge": nylas_challenge(verifier),
        "code_challenge_method": "S256",
        "state": STATE,
    }
    return f"{sandbox.url}/v3/connect/auth?{urlencode(params)}"


async def exchange(sandbox: SandboxServer, code: str, redirect: str, verifier: str) -> Any:
    body = {
        "client_id": sandbox.credentials.v3_application_id,
        "client_secret": sandbox.credentials.v3_api_key,
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect,
        "code_verifier": verifier,
    }
    async with httpx.AsyncClient(trust_env=False) as http:
        answer = await http.post(f"{sandbox.url}/v3/connect/token", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_v3_allow_hands_back_code_and_state_and_never_reaches_the_app(
    sandbox: SandboxServer, app: App
) -> None:
    verifier = secrets.token_urlsafe(32)
    bot = ConsentBot("allow", stop_at_redirect=True)
    assert await bot(v3_link(sandbox, app.redirect, verifier)) is True
    address = await bot.next_answer()
    assert bot.answers == [address]
    assert address.startswith(f"{app.redirect}?")
    query = query_of(address)
    assert set(query) == {"code", "state"}
    assert query["state"] == [STATE]
    assert app.seen == []
    assert bot.visits[-1].final_url == address and bot.visits[-1].status == 302
    # What the customer sends back is what the tool needs: the code makes the grant.
    token = await exchange(sandbox, query["code"][0], app.redirect, verifier)
    assert token["grant_id"] in sandbox.v3_grants
    assert token["email"] == sandbox.zoom_user_email


async def test_v3_deny_hands_back_the_error_and_state(sandbox: SandboxServer, app: App) -> None:
    bot = ConsentBot("deny", stop_at_redirect=True)
    await bot(v3_link(sandbox, app.redirect, secrets.token_urlsafe(32)))
    address = await bot.next_answer()
    query = query_of(address)
    assert address.startswith(f"{app.redirect}?")
    assert query["error"] == ["access_denied"] and query["state"] == [STATE]
    assert "code" not in query
    assert app.seen == []
    assert sandbox.v3_grants == {}


async def test_v3_to_the_landing_page_never_requests_it(sandbox: SandboxServer) -> None:
    bot = ConsentBot("allow", stop_at_redirect=True)
    await bot(v3_link(sandbox, sandbox.landing_url, secrets.token_urlsafe(32)))
    address = await bot.next_answer()
    assert address.startswith(f"{sandbox.landing_url}?code=")
    assert query_of(address)["state"] == [STATE]
    assert ("GET", "/v3/connect/callback") in sandbox.requests_seen  # it went that far
    assert [seen for seen in sandbox.requests_seen if seen[1] == LANDING_PATH] == []


async def test_without_the_option_the_bot_reaches_the_app(sandbox: SandboxServer, app: App) -> None:
    """The control: the recording server does see a browser that follows every redirect."""
    bot = ConsentBot("allow")
    await bot(v3_link(sandbox, app.redirect, secrets.token_urlsafe(32)))
    assert len(app.seen) == 1 and app.seen[0].startswith("/callback?code=")
    assert bot.answers == []
    assert bot.visits[-1].text == "the app's listener"


# -- Connect: the login link; the grant is made at consent, its id in the address --------------


async def connect_link(sandbox: SandboxServer, redirect: str) -> str:
    """A login link of the sandbox's Zoom integration (seeded once), for `redirect`."""
    if "zoom" not in sandbox.integrations:
        sandbox.add_integration(redirect_uris=[redirect])
    credentials = sandbox.credentials
    auth = (credentials.nylas_client_id, credentials.nylas_client_secret)
    body = {"provider": "zoom", "redirect_uri": redirect, "state": STATE}
    async with httpx.AsyncClient(base_url=sandbox.url, auth=auth, trust_env=False) as api:
        answer = await api.post("/connect/auth", json=body)
    assert answer.status_code == 200, answer.text
    url: str = answer.json()["data"]["url"]
    return url


async def test_connect_allow_hands_back_the_grant_id_and_never_reaches_the_app(
    sandbox: SandboxServer, app: App
) -> None:
    bot = ConsentBot("allow", stop_at_redirect=True)
    await bot(await connect_link(sandbox, app.redirect))
    address = await bot.next_answer()
    assert address.startswith(f"{app.redirect}?")
    query = query_of(address)
    assert query["success"] == ["true"] and query["state"] == [STATE]
    (grant_id,) = query["grant_id"]
    assert grant_id in sandbox.grants  # made at consent, as Connect does
    assert app.seen == []


async def test_connect_deny_hands_back_the_error_and_state(
    sandbox: SandboxServer, app: App
) -> None:
    bot = ConsentBot("deny", stop_at_redirect=True)
    await bot(await connect_link(sandbox, app.redirect))
    query = query_of(await bot.next_answer())
    assert query["error"] == ["oauth_failed"] and query["state"] == [STATE]
    assert query["success"] == ["false"] and "grant_id" not in query
    assert app.seen == [] and sandbox.grants == {}


# -- handing the addresses out ------------------------------------------------------------------


async def test_next_answer_waits_for_the_visit_and_hands_each_address_out_once(
    sandbox: SandboxServer, app: App
) -> None:
    bot = ConsentBot("allow", stop_at_redirect=True)
    first = asyncio.ensure_future(bot.next_answer())
    await asyncio.sleep(0)
    assert not first.done()
    await bot(await connect_link(sandbox, app.redirect))
    await bot(await connect_link(sandbox, app.redirect))
    assert await first == bot.answers[0]
    assert await bot.next_answer() == bot.answers[1]
    assert len(bot.answers) == 2 and bot.answers[0] != bot.answers[1]
    with pytest.raises(TimeoutError):
        await bot.next_answer(timeout=0)  # both were handed out; nothing else is coming


async def test_a_sign_in_that_stops_on_an_error_page_hands_back_nothing(
    sandbox: SandboxServer, app: App
) -> None:
    link = await connect_link(sandbox, app.redirect)
    await ConsentBot("allow").visit(link)  # the link is spent: a second use is refused
    bot = ConsentBot("allow", stop_at_redirect=True)
    visit = await bot.visit(link)
    assert visit.status == 410 and "already used" in visit.text
    assert bot.answers == []
    with pytest.raises(TimeoutError):
        await bot.next_answer(timeout=0)
