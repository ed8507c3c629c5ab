"""Nylas's own Python SDK (v6) as an independent client of the sandbox's v3 half: the answers
parse as Nylas's code understands them, and its PKCE is ours."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from nylas import Client
from nylas.models.auth import CodeExchangeRequest, URLForAuthenticationConfig

from tests.helpers.ports import free_port
from wizard.nylas.pkce import nylas_code_challenge
from wizard.sandbox import BackgroundSandbox

VECTOR = "ZTk2YmY2Njg2YTNjMzUxMGU5ZTkyN2RiNzA2OWNiMWNiYTliOTliMDIyZjQ5NDgzYTZjZTMyNzA4MDllNjhhMg"


@pytest.fixture
def sandbox() -> Iterator[BackgroundSandbox]:
    with BackgroundSandbox() as running:
        yield running


def sdk(sandbox: BackgroundSandbox) -> Client:
    return Client(api_key=sandbox.credentials.v3_api_key, api_uri=sandbox.url)


def test_the_sdks_pkce_challenge_is_ours_and_the_published_vector(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import nylas.resources.auth as auth_module

    monkeypatch.setattr(auth_module.uuid, "uuid4", lambda: "nylas")
    client = Client(api_key="nyk_x", api_uri="https://api.us.nylas.com")
    url = client.auth.url_for_oauth2_pkce(
        URLForAuthenticationConfig(
            client_id="app", redirect_uri="http://localhost:9007/callback", provider="zoom"
        )
    )
    challenge = parse_qs(urlsplit(url.url).query)["code_challenge"][0]
    assert challenge == nylas_code_challenge("nylas") == VECTOR
    for name in ("nylas", str(uuid.UUID(int=7)), "x" * 43):
        monkeypatch.setattr(auth_module.uuid, "uuid4", lambda name=name: name)
        url = client.auth.url_for_oauth2_pkce(
            URLForAuthenticationConfig(client_id="a", redirect_uri="http://l/c", provider="zoom")
        )
        assert parse_qs(urlsplit(url.url).query)["code_challenge"][0] == nylas_code_challenge(name)


def test_connectors_callback_uris_and_grants_parse_in_the_sdk(sandbox: BackgroundSandbox) -> None:
    client = sdk(sandbox)
    created = client.connectors.create(
        request_body={
            "provider": "zoom",
            "settings": {
                "client_id": sandbox.credentials.zoom_client_id,
                "client_secret": sandbox.credentials.zoom_client_secret,
            },
        }
    )
    assert created.data.provider == "zoom"
    assert client.connectors.find("zoom").data.provider == "zoom"
    assert [c.provider for c in client.connectors.list().data] == ["zoom"]
    uri = client.applications.redirect_uris.create(
        request_body={"url": "http://localhost:9007/callback", "platform": "web"}
    )
    assert uri.data.url == "http://localhost:9007/callback"
    assert [u.url for u in client.applications.redirect_uris.list().data] == [uri.data.url]
    seeded = sandbox.call(lambda s: s.add_v3_grant(email="a@b.example"))
    grants = client.grants.list(query_params={"provider": "zoom"}).data
    assert [g.id for g in grants] == [seeded["id"]]
    assert client.grants.find(seeded["id"]).data.email == "a@b.example"
    client.grants.destroy(seeded["id"])
    assert sandbox.call(lambda s: s.v3_grants) == {}


def test_the_sdks_hosted_auth_and_code_exchange_work_on_the_sandbox(
    sandbox: BackgroundSandbox,
) -> None:
    client = sdk(sandbox)
    sandbox.call(lambda s: s.add_v3_connector())
    redirect = f"http://localhost:{free_port()}/callback"
    sandbox.call(lambda s: s.add_v3_callback_uri(redirect))
    app_id = sandbox.credentials.v3_application_id
    pkce = client.auth.url_for_oauth2_pkce(
        URLForAuthenticationConfig(
            client_id=app_id, redirect_uri=redirect, provider="zoom", state="sdk-state"
        )
    )
    # A browser: to Zoom's consent page, Allow, and back to the (unserved) redirect URI.
    with httpx.Client(follow_redirects=False, trust_env=False) as browser:
        zoom = browser.get(pkce.url)
        assert zoom.status_code == 302
        consent = browser.get(zoom.headers["location"])
        assert consent.status_code == 200 and "Allow" in consent.text
        form = parse_qs(urlsplit(zoom.headers["location"]).query)
        data = {k: v[0] for k, v in form.items()} | {
            "decision": "allow",
            "email": "zoom.user@example.com",
        }
        allowed = browser.post(f"{sandbox.url}/zoom/oauth/authorize", data=data)
        back = browser.get(allowed.headers["location"])
        final = parse_qs(urlsplit(back.headers["location"]).query)
    assert final["state"] == ["sdk-state"] and "grant_id" not in final
    token = client.auth.exchange_code_for_token(
        CodeExchangeRequest(
            redirect_uri=redirect,
            code=final["code"][0],
            client_id=app_id,
            client_secret=sandbox.credentials.v3_api_key,
            code_verifier=pkce.secret,
        )
    )
    assert token.grant_id in sandbox.call(lambda s: s.v3_grants)
    assert token.email == "zoom.user@example.com"
