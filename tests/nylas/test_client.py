"""The Nylas Connect client against the sandbox over real sockets: endpoints, errors, network
failures and the retry rules."""

from __future__ import annotations

import asyncio
import dataclasses
import ssl

import pytest
import trustme
from pydantic import SecretStr
from tenacity import RetryCallState

from tests.helpers.ports import free_port
from wizard.nylas.client import NO_RETRY, NylasConnectClient, RetryPolicy, basic_auth_header
from wizard.nylas.errors import (
    AuthenticationFailed,
    IntegrationAlreadyExists,
    InvalidRequest,
    NotFound,
    NylasNetworkError,
    NylasProtocolError,
    RateLimited,
    RedirectUriNotAllowed,
    ScopesConflict,
    ServerError,
)
from wizard.nylas.models import (
    AuthRequestCreate,
    IntegrationCreate,
    IntegrationUpdate,
    ZoomAppSettings,
)
from wizard.nylas.regions import Region, callback_url
from wizard.sandbox import Fault, SandboxServer

pytestmark = pytest.mark.anyio

REDIRECT = "http://localhost:9007/callback"
FAST = RetryPolicy(attempts=3, backoff=0.01, max_wait=2.0)


def client_for(
    sandbox: SandboxServer, *, secret: str | None = None, **kwargs: object
) -> NylasConnectClient:
    creds = sandbox.credentials
    return NylasConnectClient(
        sandbox.url,
        creds.nylas_client_id,
        SecretStr(secret or creds.nylas_client_secret),
        **{"retry": FAST, **kwargs},  # type: ignore[arg-type]
    )


def zoom_integration(sandbox: SandboxServer, name: str = "Zoom") -> IntegrationCreate:
    creds = sandbox.credentials
    return IntegrationCreate(
        name=name,
        settings=ZoomAppSettings(
            client_id=creds.zoom_client_id, client_secret=SecretStr(creds.zoom_client_secret)
        ),
        redirect_uris=[REDIRECT],
    )


def test_basic_auth_header_is_built_from_the_values_not_the_guide() -> None:
    # base64("id:secret") with no quotes and no trailing newline
    assert basic_auth_header("id", "secret") == "Basic aWQ6c2VjcmV0"


def test_regions() -> None:
    assert Region.US.base_url == "https://beta.us.nylas.com"
    assert callback_url(Region.EU.base_url) == "https://beta.eu.nylas.com/connect/callback"


async def test_integration_lifecycle(sandbox: SandboxServer) -> None:
    async with client_for(sandbox) as client:
        assert await client.integrations.find() is None
        created = await client.integrations.create(zoom_integration(sandbox))
        assert created.provider == "zoom"
        assert created.redirect_uris == [REDIRECT]
        assert created.expires_in == 1_209_600
        assert (await client.integrations.get()).name == "Zoom"
        assert [i.provider for i in await client.integrations.list(limit=10, offset=0)] == ["zoom"]
        updated = await client.integrations.update(
            "zoom", IntegrationUpdate(redirect_uris=[REDIRECT, "http://127.0.0.1:9100/cb"])
        )
        assert updated.redirect_uris == [REDIRECT, "http://127.0.0.1:9100/cb"]
        await client.delete_integration()
        assert await client.integrations.find() is None


async def test_answers_never_carry_the_zoom_secret(sandbox: SandboxServer) -> None:
    async with client_for(sandbox) as client:
        created = await client.integrations.create(zoom_integration(sandbox))
    assert sandbox.credentials.zoom_client_secret not in created.model_dump_json()


async def test_second_create_is_integration_already_exists(sandbox: SandboxServer) -> None:
    async with client_for(sandbox) as client:
        await client.integrations.create(zoom_integration(sandbox))
        with pytest.raises(IntegrationAlreadyExists) as exc:
            await client.integrations.create(zoom_integration(sandbox, "Other"))
    assert exc.value.type == "integration_already_exists"
    assert exc.value.request_id


async def test_auth_request_and_its_documented_errors(sandbox: SandboxServer) -> None:
    async with client_for(sandbox) as client:
        with pytest.raises(NotFound):
            await client.create_auth_request(AuthRequestCreate(redirect_uri=REDIRECT))
        await client.integrations.create(zoom_integration(sandbox))
        auth = await client.create_auth_request(
            AuthRequestCreate(
                redirect_uri=REDIRECT,
                account_id="acct-1",
                state="s" * 43,
                login_hint="a@example.com",
                expires_in=3600,
            )
        )
        assert auth.url.startswith(f"{sandbox.url}/connect/login?id=")
        assert auth.expires_at > 0
        assert auth.request["account_id"] == "acct-1"
        with pytest.raises(RedirectUriNotAllowed) as not_allowed:
            await client.create_auth_request(
                AuthRequestCreate(redirect_uri="http://localhost:1234/elsewhere")
            )
        assert not_allowed.value.event_code == 25003
        with pytest.raises(ScopesConflict) as conflict:
            await client.create_auth_request(
                AuthRequestCreate(redirect_uri=REDIRECT, scope=["mail:read"])
            )
        assert conflict.value.event_code == 25016


async def test_grants(sandbox: SandboxServer) -> None:
    seeded = sandbox.add_grant(email="c@example.com", state="abc", account_id="acct-9")
    async with client_for(sandbox) as client:
        grant = await client.get_grant(seeded["id"])
        assert (grant.email, grant.state, grant.account_id, grant.is_valid) == (
            "c@example.com",
            "abc",
            "acct-9",
            True,
        )
        assert [g.id for g in await client.list_grants()] == [seeded["id"]]
        await client.delete_grant(seeded["id"])
        with pytest.raises(NotFound):
            await client.get_grant(seeded["id"])
        with pytest.raises(ValueError, match="not a valid id"):
            await client.get_grant("../integrations")


async def test_wrong_secret_is_authentication_failed_with_a_hint(sandbox: SandboxServer) -> None:
    async with client_for(sandbox, secret="pasted-the-zoom-one") as client:
        with pytest.raises(AuthenticationFailed) as exc:
            await client.check_credentials()
    assert exc.value.http_status == 401
    assert "region" in exc.value.hint
    assert "pasted-the-zoom-one" not in str(exc.value)


async def test_invalid_request_names_the_field(sandbox: SandboxServer) -> None:
    async with client_for(sandbox) as client:
        await client.integrations.create(zoom_integration(sandbox))
        with pytest.raises(InvalidRequest) as exc:
            await client.integrations.update("zoom", IntegrationUpdate(redirect_uris=["x"]))
    assert "redirect URI" in exc.value.message


async def test_reads_are_retried_after_5xx_and_dropped_connections(sandbox: SandboxServer) -> None:
    sandbox.faults.add(Fault(method="GET", kind="status", status=503))
    sandbox.faults.add(Fault(method="GET", kind="drop"))
    async with client_for(sandbox) as client:
        assert await client.integrations.list() == []
    gets = [r for r in sandbox.requests_seen if r == ("GET", "/connect/integrations")]
    assert len(gets) == 3


async def test_a_create_is_never_sent_twice_after_a_5xx_or_drop(sandbox: SandboxServer) -> None:
    async with client_for(sandbox) as client:
        sandbox.faults.add(Fault(method="POST", kind="status", status=503))
        with pytest.raises(ServerError):
            await client.integrations.create(zoom_integration(sandbox))
        sandbox.faults.add(Fault(method="POST", kind="drop"))
        with pytest.raises(NylasNetworkError) as dropped:
            await client.integrations.create(zoom_integration(sandbox))
    posts = [r for r in sandbox.requests_seen if r == ("POST", "/connect/integrations")]
    assert len(posts) == 2  # one each: neither was repeated
    assert dropped.value.sent


async def test_429_is_retried_after_retry_after_even_for_a_create(sandbox: SandboxServer) -> None:
    sandbox.faults.add(Fault(method="POST", kind="retry_after", retry_after=0.2))
    waits: list[float] = []

    @dataclasses.dataclass(frozen=True)
    class RecordingPolicy(RetryPolicy):
        def wait_for(self, state: RetryCallState) -> float:
            waits.append(super().wait_for(state))
            return waits[-1]

    async with client_for(sandbox, retry=RecordingPolicy(attempts=3, backoff=0.01)) as client:
        created = await client.integrations.create(zoom_integration(sandbox))
    assert created.provider == "zoom"
    assert waits == [0.2]  # the server's Retry-After, not the 10 ms backoff
    posts = [r for r in sandbox.requests_seen if r == ("POST", "/connect/integrations")]
    assert len(posts) == 2


async def test_429_with_a_long_retry_after_goes_to_the_user(sandbox: SandboxServer) -> None:
    sandbox.faults.add(Fault(method="GET", kind="retry_after", retry_after=120))
    async with client_for(sandbox) as client:
        with pytest.raises(RateLimited) as exc:
            await client.integrations.list()
    assert exc.value.retry_after == 120


async def test_slow_answer_is_a_timeout(sandbox: SandboxServer) -> None:
    sandbox.faults.add(Fault(method="GET", kind="slow", delay=2.0, times=5))
    async with client_for(sandbox, timeout=0.3, retry=NO_RETRY) as client:
        with pytest.raises(NylasNetworkError) as exc:
            await client.integrations.list()
    assert exc.value.kind == "timeout"


async def test_garbage_body_is_a_protocol_error(sandbox: SandboxServer) -> None:
    sandbox.faults.add(Fault(method="GET", kind="body", status=200, body=b'{"success": tr'))
    async with client_for(sandbox) as client:
        with pytest.raises(NylasProtocolError):
            await client.integrations.list()


async def test_refused_connection() -> None:
    port = free_port()
    async with NylasConnectClient(f"http://127.0.0.1:{port}", "id", "secret", retry=FAST) as client:
        with pytest.raises(NylasNetworkError) as exc:
            await client.check_credentials()
    assert exc.value.kind == "refused"
    assert not exc.value.sent


async def test_unknown_host_is_a_dns_error() -> None:
    async with NylasConnectClient(
        "https://nylas-sandbox.invalid", "id", "secret", retry=NO_RETRY
    ) as client:
        with pytest.raises(NylasNetworkError) as exc:
            await client.check_credentials()
    assert exc.value.kind == "dns"


async def test_plain_http_server_behind_https_is_a_tls_error(sandbox: SandboxServer) -> None:
    url = sandbox.url.replace("http://", "https://")
    async with NylasConnectClient(url, "id", "secret", retry=NO_RETRY) as client:
        with pytest.raises(NylasNetworkError) as exc:
            await client.check_credentials()
    assert exc.value.kind == "tls"


async def test_untrusted_certificate_says_what_to_do() -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    try:
        async with NylasConnectClient(
            f"https://127.0.0.1:{port}", "id", "secret", retry=NO_RETRY
        ) as client:
            with pytest.raises(NylasNetworkError) as exc:
                await client.check_credentials()
    finally:
        server.close()
    assert exc.value.kind == "tls"
    assert "certificate" in exc.value.message
    assert "certificate store" in exc.value.hint


def test_requests_are_validated_before_sending() -> None:
    with pytest.raises(ValueError, match="redirect_uris"):
        IntegrationCreate(
            name="Zoom",
            settings=ZoomAppSettings(client_id="a", client_secret=SecretStr("b")),
            redirect_uris=[],
        )
    with pytest.raises(ValueError, match="expires_in"):
        AuthRequestCreate(redirect_uri=REDIRECT, expires_in=10)
    with pytest.raises(ValueError, match="client secret is empty"):
        NylasConnectClient("https://x.example", "id", "")


def test_secrets_stay_masked_in_reprs() -> None:
    spec = IntegrationCreate(
        name="Zoom",
        settings=ZoomAppSettings(client_id="a", client_secret=SecretStr("zoom-secret-value")),
        redirect_uris=[REDIRECT],
    )
    client = NylasConnectClient("https://x.example", "id", "nylas-secret-value")
    assert "zoom-secret-value" not in repr(spec) and "zoom-secret-value" not in str(spec)
    assert "nylas-secret-value" not in repr(client)
    assert spec.body()["settings"]["client_secret"] == "zoom-secret-value"
