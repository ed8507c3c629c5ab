"""The v3 client against the sandbox's v3 half over real sockets: every endpoint, both error
envelopes, network failures, and the retry rules (the code exchange is never sent twice)."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from hypothesis import given, settings, strategies as st

from tests.helpers.ports import free_port
from wizard.nylas.client import RetryPolicy
from wizard.nylas.errors import (
    AuthenticationFailed,
    NotFound,
    NylasNetworkError,
    RateLimited,
    RedirectUriNotAllowed,
    ServerError,
    TokenExchangeFailed,
    v3_error,
)
from wizard.nylas.models import ZoomAppSettings
from wizard.nylas.pkce import new_code_verifier, nylas_code_challenge
from wizard.nylas.v3 import NylasV3Client
from wizard.nylas.v3_models import ConnectorCreate, ConnectorUpdate
from wizard.sandbox import SandboxOptions, SandboxServer
from wizard.sandbox.faults import Fault
from wizard.sandbox.v3 import challenge_for

pytestmark = pytest.mark.anyio
FAST = RetryPolicy(attempts=3, backoff=0.01)
VECTOR = "ZTk2YmY2Njg2YTNjMzUxMGU5ZTkyN2RiNzA2OWNiMWNiYTliOTliMDIyZjQ5NDgzYTZjZTMyNzA4MDllNjhhMg"


def client_for(sandbox: SandboxServer, key: str | None = None) -> NylasV3Client:
    return NylasV3Client(sandbox.url, key or sandbox.credentials.v3_api_key, retry=FAST)


def test_pkce_is_nylas_rule_not_rfc_7636() -> None:
    assert nylas_code_challenge("nylas") == VECTOR
    assert len(nylas_code_challenge(new_code_verifier())) == 86
    verifier = new_code_verifier()
    assert len(verifier) == 43 and verifier != new_code_verifier()


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-._~", min_size=43, max_size=128))
def test_an_rfc_7636_challenge_never_passes_the_sandboxs_check(verifier: str) -> None:
    import base64
    import hashlib

    rfc = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    assert challenge_for(verifier) == nylas_code_challenge(verifier)
    assert challenge_for(verifier) != rfc


async def test_application_connectors_and_callback_uris(sandbox: SandboxServer) -> None:
    async with client_for(sandbox) as client:
        app = await client.check_credentials()
        assert app.application_id == sandbox.credentials.v3_application_id
        assert await client.connectors.find() is None
        settings_ = ZoomAppSettings(client_id="zid", client_secret="zsecret")  # type: ignore[arg-type,unused-ignore]
        created = await client.connectors.create(ConnectorCreate(settings=settings_))
        assert created.provider == "zoom" and "client_secret" not in created.settings
        assert "zsecret" not in repr(ConnectorCreate(settings=settings_))
        updated = await client.connectors.update("zoom", ConnectorUpdate(settings=settings_))
        assert updated.settings["client_id"] == "zid"
        assert [c.provider for c in await client.connectors.list()] == ["zoom"]
        uri = "http://localhost:9007/callback"
        assert await client.ensure_callback_uri(uri) is True
        assert await client.ensure_callback_uri(uri) is False
        assert [u.url for u in await client.list_callback_uris()] == [uri]
        assert "nyk_" not in repr(client)


async def test_callback_uris_fall_back_to_the_clis_path_on_404() -> None:
    async with SandboxServer(SandboxOptions(v3_callback_uri_paths=("callback-uris",))) as sandbox:
        async with client_for(sandbox) as client:
            assert await client.ensure_callback_uri("http://localhost:9007/callback")
            assert await client.list_callback_uris()
        paths = [p for _m, p in sandbox.requests_seen if "uris" in p]
        assert paths[0].endswith("/redirect-uris") and paths[-1].endswith("/callback-uris")
        # Remembered: after the first 404 the documented path is not asked again.
        assert paths.count("/v3/applications/redirect-uris") == 1


async def test_grants_list_get_delete_and_the_not_found_envelope(sandbox: SandboxServer) -> None:
    seeded = sandbox.add_v3_grant(email="A@b.example")
    async with client_for(sandbox) as client:
        grants = await client.list_grants(email="a@b.example", since=0)
        assert [g.id for g in grants] == [seeded["id"]]
        grant = await client.get_grant(seeded["id"])
        assert grant.is_valid and grant.email == "A@b.example"
        await client.delete_grant(seeded["id"])
        with pytest.raises(NotFound) as exc:
            await client.get_grant(seeded["id"])
    assert exc.value.type == "grant.not_found" and exc.value.request_id


async def test_a_wrong_key_is_an_authentication_error_that_names_the_api_key(
    sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with client_for(sandbox, "nyk_wrong_key_123") as client:
        with pytest.raises(AuthenticationFailed) as exc:
            await client.check_credentials()
    assert "API key" in exc.value.hint
    assert "nyk_wrong_key_123" not in caplog.text + str(exc.value) + exc.value.hint


def test_both_error_envelopes_become_the_same_typed_errors() -> None:
    api = v3_error(
        400,
        {"request_id": "r1", "error": {"type": "grant.callback_uri_not_allowed", "message": "no"}},
    )
    assert isinstance(api, RedirectUriNotAllowed) and api.request_id == "r1"
    oauth = v3_error(
        400, {"error": "invalid_grant", "error_description": "used", "error_code": 400}
    )
    assert isinstance(oauth, TokenExchangeFailed) and oauth.message == "used"
    assert isinstance(v3_error(401, {"error": "invalid_client"}), AuthenticationFailed)
    assert isinstance(v3_error(429, None), RateLimited)
    assert isinstance(v3_error(503, "junk"), ServerError)
    assert v3_error(404, {}, request_id="hdr").request_id == "hdr"


async def test_the_code_exchange_is_never_sent_twice(sandbox: SandboxServer) -> None:
    sandbox.faults.add(Fault(method="POST", path_prefix="/v3/connect/token", kind="drop"))
    async with client_for(sandbox) as client:
        with pytest.raises(NylasNetworkError):
            await client.exchange_code(
                client_id="x", code="c" * 20, redirect_uri="http://localhost:1/c", code_verifier="v"
            )
    assert [p for _m, p in sandbox.requests_seen].count("/v3/connect/token") == 1


async def test_reads_are_retried_after_5xx_and_429(sandbox: SandboxServer) -> None:
    sandbox.faults.add(Fault(method="GET", path_prefix="/v3/", kind="status", status=503))
    sandbox.faults.add(
        Fault(method="GET", path_prefix="/v3/", kind="retry_after", retry_after=0.05)
    )
    async with client_for(sandbox) as client:
        await client.check_credentials()
    assert [p for _m, p in sandbox.requests_seen].count("/v3/applications") == 3


async def test_writes_are_not_retried_after_a_5xx(sandbox: SandboxServer) -> None:
    sandbox.faults.add(Fault(method="POST", path_prefix="/v3/", kind="status", status=503))
    async with client_for(sandbox) as client:
        with pytest.raises(ServerError):
            await client.add_callback_uri("http://localhost:9007/callback")
    assert sandbox.v3_callback_uris == []


async def test_refused_connection_is_a_network_error() -> None:
    async with NylasV3Client(f"http://127.0.0.1:{free_port()}", "nyk_k", retry=FAST) as client:
        with pytest.raises(NylasNetworkError) as exc:
            await client.check_credentials()
    assert exc.value.kind == "refused"


async def test_whole_hosted_auth_and_exchange(sandbox: SandboxServer) -> None:
    sandbox.add_v3_connector()
    redirect = f"http://localhost:{free_port()}/callback"
    sandbox.add_v3_callback_uri(redirect)
    verifier = new_code_verifier()
    async with client_for(sandbox) as client:
        app = await client.get_application()
        url = client.hosted_auth_url(
            client_id=app.application_id,
            redirect_uri=redirect,
            state="st",
            code_challenge=nylas_code_challenge(verifier),
            login_hint="zoom.user@example.com",
        )
        query = parse_qs(urlsplit(url).query)
        assert query["code_challenge_method"] == ["S256"] and query["provider"] == ["zoom"]
        code = await _consent(url)
        with pytest.raises(TokenExchangeFailed):  # a wrong verifier uses the code up
            await client.exchange_code(
                client_id=app.application_id,
                code=code,
                redirect_uri=redirect,
                code_verifier=new_code_verifier(),
            )
        code = await _consent(url)
        token = await client.exchange_code(
            client_id=app.application_id, code=code, redirect_uri=redirect, code_verifier=verifier
        )
        assert token.grant_id in sandbox.v3_grants
        assert "SecretStr" in repr(token) or "**" in repr(token)
        with pytest.raises(TokenExchangeFailed, match="used or expired"):  # works once
            await client.exchange_code(
                client_id=app.application_id,
                code=code,
                redirect_uri=redirect,
                code_verifier=verifier,
            )


async def test_an_unregistered_redirect_uri_stops_hosted_auth_on_nylas_page(
    sandbox: SandboxServer,
) -> None:
    sandbox.add_v3_connector()
    async with client_for(sandbox) as client:
        url = client.hosted_auth_url(
            client_id=sandbox.credentials.v3_application_id,
            redirect_uri="http://localhost:9/not-registered",
            state="s",
            code_challenge=VECTOR,
        )
    async with httpx.AsyncClient(trust_env=False) as browser:
        page = await browser.get(url)
    assert page.status_code == 400 and "callback_uri_not_allowed" in page.text


async def _consent(url: str) -> str:
    async with httpx.AsyncClient(trust_env=False) as browser:
        zoom = await browser.get(url)
        location = zoom.headers["location"]
        form = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        allowed = await browser.post(
            location.split("?")[0],
            data=form | {"decision": "allow", "email": "zoom.user@example.com"},
        )
        back = await browser.get(allowed.headers["location"])
    return parse_qs(urlsplit(back.headers["location"]).query)["code"][0]


async def test_the_login_hint_is_the_zoom_consent_forms_prefill(sandbox: SandboxServer) -> None:
    # Nylas hands the hint on to the provider; a trainee who clicks Allow then consents as the
    # customer the operator named, not as the sandbox's one default user.
    sandbox.add_v3_connector()
    redirect = f"http://localhost:{free_port()}/callback"
    sandbox.add_v3_callback_uri(redirect)
    async with client_for(sandbox) as client:
        url = client.hosted_auth_url(
            client_id=sandbox.credentials.v3_application_id,
            redirect_uri=redirect,
            state="s",
            code_challenge=VECTOR,
            login_hint="customer.42@example.com",
        )
    async with httpx.AsyncClient(trust_env=False, follow_redirects=True) as browser:
        consent = await browser.get(url)
    assert consent.status_code == 200
    assert 'value="customer.42@example.com"' in consent.text
    assert sandbox.zoom_user_email not in consent.text
