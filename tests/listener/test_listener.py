"""The loopback listener, driven with raw sockets: strays, junk and forgeries never end the wait."""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.helpers.listener import (
    GRANT,
    PATH,
    STATE,
    callback_query,
    exchange,
    genuine_query,
    get,
    grant_resolver,
    make_listener,
    port_is_free,
    read_response,
    request_bytes,
    send_until_closed,
)
from wizard.http.server import HttpServer, ServerLimits
from wizard.listener import listener as listener_module
from wizard.listener.callback import GrantCallback
from wizard.listener.listener import (
    CallbackListener,
    CallbackRefused,
    CapturedGrant,
    ListenerTimeout,
    PortInUse,
)
from wizard.listener.redirect_uri import LoopbackRedirectUri, _ipv6_loopback_available

pytestmark = pytest.mark.anyio

FAST = ServerLimits(read_timeout=0.5, max_header_bytes=8 * 1024, max_body_bytes=1024)
SUCCESS_TEXT = "You can close this tab and return to Zoom onboarding."


class Verifier:
    """The API's word on stateless grants, from a table; it records what it was asked."""

    def __init__(self, answers: dict[str, bool | None], default: bool | None) -> None:
        self.answers = answers
        self.default = default
        self.asked: list[str] = []

    async def __call__(self, callback: GrantCallback) -> bool | None:
        self.asked.append(callback.grant_id)
        return self.answers.get(callback.grant_id, self.default)


class Recorder:
    def __init__(self) -> None:
        self.grants: list[CapturedGrant] = []

    async def __call__(self, captured: CapturedGrant) -> None:
        self.grants.append(captured)


@pytest.fixture
async def running() -> AsyncIterator[tuple[CallbackListener, asyncio.Task[CapturedGrant]]]:
    listener = make_listener(limits=FAST)
    task = await waiting(listener, 10)
    yield listener, task
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def waiting(listener: CallbackListener, seconds: float = 5) -> asyncio.Task[CapturedGrant]:
    """`listener` started, and a task waiting up to `seconds` for its grant."""
    await listener.start()
    return asyncio.create_task(listener.wait(seconds))


class Held:
    """An on_grant that records each grant, then holds it until `gate` is set."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.called = asyncio.Event()
        self.grants: list[CapturedGrant] = []

    async def __call__(self, captured: CapturedGrant) -> None:
        self.grants.append(captured)
        self.called.set()
        await self.gate.wait()


async def held_listener(
    seconds: float = 5,
) -> tuple[CallbackListener, asyncio.Task[CapturedGrant], Held]:
    """A listener whose on_grant is held, started and waited for."""
    held = Held()
    listener = make_listener(on_grant=held, limits=FAST)
    return listener, await waiting(listener, seconds), held


async def finish_with_genuine(
    listener: CallbackListener, task: asyncio.Task[CapturedGrant]
) -> CapturedGrant:
    assert not task.done(), "the wait ended before the genuine callback"
    response = await get(listener.port, f"{PATH}?{genuine_query()}")
    assert response.status == 200
    assert SUCCESS_TEXT in response.text
    captured = await asyncio.wait_for(task, 3)
    assert captured.grant_id == GRANT
    assert port_is_free(listener.port)
    return captured


# ---- binding ---------------------------------------------------------------------------


async def test_binds_loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    real = HttpServer

    def spy(handler: Any, hosts: list[str], port: int, limits: Any) -> Any:
        seen.append(list(hosts))
        return real(handler, hosts, port, limits)

    monkeypatch.setattr(listener_module, "HttpServer", spy)
    for host in ("127.0.0.1", "localhost"):
        async with make_listener(host) as listener:
            assert listener.port > 0
    assert seen[0] == ["127.0.0.1"]
    assert set(seen[1]) <= {"127.0.0.1", "::1"}
    assert "127.0.0.1" in seen[1]
    assert all(h not in ("0.0.0.0", "::", "") for hosts in seen for h in hosts)  # noqa: S104


async def test_not_reachable_on_other_interfaces() -> None:
    # Find an address of this machine that is not loopback, if it has one.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET: no packet is sent for UDP connect
            own = probe.getsockname()[0]
        except OSError:
            pytest.skip("no non-loopback IPv4 address")
    if own.startswith("127."):
        pytest.skip("no non-loopback IPv4 address")
    async with make_listener() as listener:
        with pytest.raises((ConnectionRefusedError, TimeoutError)):
            await asyncio.wait_for(asyncio.open_connection(own, listener.port), 2)


async def test_busy_port_is_reported_before_anything_else() -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        listener = make_listener(port=port)
        with pytest.raises(PortInUse) as info:
            await listener.start()
    assert info.value.port == port
    assert info.value.host == "127.0.0.1"
    message = str(info.value)
    assert f"Port {port}" in message
    assert "another program" in message
    assert "redirect URI" in message
    # The tool registers the redirect URI itself: the operator is not sent to do it.
    assert "registers the new redirect URI on Nylas itself" in message
    assert "add that URI" not in message
    assert isinstance(info.value, OSError)
    assert not listener.reached.is_set()


async def test_busy_port_raises_from_wait_too() -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        listener = make_listener(port=blocker.getsockname()[1])
        with pytest.raises(PortInUse):
            await listener.wait(1)


def test_windows_access_denied_message_names_both_causes(monkeypatch: pytest.MonkeyPatch) -> None:
    """WinError 10013: an excluded port range, or another program bound it exclusively."""
    monkeypatch.setattr(sys, "platform", "win32")
    exc = OSError(errno.EACCES, "an attempt was made to access a socket in a forbidden way")
    exc.winerror = 10013  # type: ignore[attr-defined]
    uri = LoopbackRedirectUri("localhost", 9007, PATH)
    error = listener_module._port_error(exc, uri)
    assert isinstance(error, PortInUse)
    assert error.port == 9007
    message = str(error)
    assert "excluded port range" in message
    assert "netsh interface ipv4 show excludedportrange protocol=tcp" in message
    assert "netsh interface ipv6 show excludedportrange protocol=tcp" in message
    assert "another program holds the port exclusively" in message
    assert "netstat -ano | findstr :9007" in message
    assert "Task Manager" in message
    assert "http://localhost:9008/callback" in message


def test_other_bind_errors_pass_through() -> None:
    exc = OSError(errno.EADDRNOTAVAIL, "cannot assign requested address")
    uri = LoopbackRedirectUri("localhost", 9007, PATH)
    assert listener_module._port_error(exc, uri) is exc


def test_empty_expected_state_is_refused() -> None:
    with pytest.raises(ValueError, match="expected_state"):
        CallbackListener(LoopbackRedirectUri("127.0.0.1", 0, PATH), "")


async def test_ipv6_loopback_for_localhost() -> None:
    if not _ipv6_loopback_available():
        pytest.skip("this machine has no IPv6 loopback")
    listener = make_listener("localhost", limits=FAST)
    task = await waiting(listener)
    port = listener.port
    # Both families reach it; the browser sends Host: localhost:port either way.
    favicon = await exchange(port, request_bytes(port, "/favicon.ico", host=f"localhost:{port}"))
    assert favicon.status == 404
    response = await exchange(
        port, request_bytes(port, f"{PATH}?{genuine_query()}", host=f"localhost:{port}"), host="::1"
    )
    assert response.status == 200
    captured = await asyncio.wait_for(task, 3)
    assert captured.grant_id == GRANT
    assert port_is_free(port, "::1")
    assert port_is_free(port, "127.0.0.1")


async def test_ipv6_literal_redirect_binds_only_v6() -> None:
    if not _ipv6_loopback_available():
        pytest.skip("this machine has no IPv6 loopback")
    async with make_listener("::1") as listener:
        port = listener.port
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", port)
        response = await exchange(port, request_bytes(port, "/x", host=f"[::1]:{port}"), host="::1")
        assert response.status == 404
        assert str(listener.redirect_uri) == f"http://[::1]:{port}/callback"


# ---- strays never disturb the wait -------------------------------------------------------


async def test_reached_is_set_by_the_first_request_of_any_kind(running: Any) -> None:
    listener, task = running
    assert not listener.reached.is_set()
    response = await get(listener.port, "/favicon.ico")
    assert response.status == 404
    assert listener.reached.is_set()
    await finish_with_genuine(listener, task)


async def test_stray_paths_get_404(running: Any) -> None:
    listener, task = running
    port = listener.port
    for target in (
        "/favicon.ico",
        "/",
        "/callback/",
        "/Callback",
        "//callback",
        "/callback/x",
        "/%63allback",
        f"http://127.0.0.1:{port}/callback?{genuine_query()}",
    ):
        response = await get(port, target)
        assert response.status == 404, target
        assert response.headers["content-type"].startswith("text/html")
        assert "default-src 'none'" in response.headers["content-security-policy"]
    await finish_with_genuine(listener, task)


async def test_other_methods_get_405(running: Any) -> None:
    listener, task = running
    port = listener.port
    target = f"{PATH}?{genuine_query()}"
    for method in ("POST", "PUT", "DELETE", "OPTIONS"):
        response = await get(port, target, method=method, body=b"x=1")
        assert response.status == 405, method
        assert response.headers["allow"] == "GET"
    head = await exchange(port, request_bytes(port, target, method="HEAD"), head_only=True)
    assert head.status == 405
    await finish_with_genuine(listener, task)


async def test_malformed_http_is_answered_or_dropped(running: Any) -> None:
    listener, task = running
    port = listener.port
    junk = [
        b"GARBAGE\r\n\r\n",
        b"GET /callback\r\n\r\n",
        b"GET /callback HTTP/9.9\r\nHost: x\r\n\r\n",
        b"GET /callback HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n",
        b"\x00\xff\xfe" * 50 + b"\r\n\r\n",
        b"GET /callback?success=true HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n",
    ]
    for data in junk:
        answer = await send_until_closed(port, data)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 4"), (data, answer[:40])
    await finish_with_genuine(listener, task)


async def test_tls_client_hello_is_refused(running: Any) -> None:
    listener, task = running
    # The start of a real TLS 1.2/1.3 ClientHello (someone typed https://localhost:port).
    hello = bytes.fromhex(
        "16030100f8010000f40303" + "00" * 32 + "20" + "11" * 32 + "0008130213031301c02f0100"
        "00a3000000140012000f6c6f63616c686f7374"
    )
    answer = await send_until_closed(listener.port, hello)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400")
    await finish_with_genuine(listener, task)


async def test_idle_socket_is_dropped_and_does_not_block(running: Any) -> None:
    listener, task = running
    reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
    # The genuine callback completes while the idle socket is still open.
    await finish_with_genuine(listener, task)
    assert not reader.at_eof()
    writer.close()


async def test_idle_socket_times_out_on_its_own() -> None:
    async with make_listener(limits=FAST) as listener:
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        writer.write(b"GET /callback HTTP/1.1\r\nHost: 127")  # trickle, then stop
        # Dropped by the per-connection timeout (a reset, which frees the port at once),
        # long before this test's own 3 s bound.
        try:
            data = await asyncio.wait_for(reader.read(), 3)
        except ConnectionResetError:
            data = b""
        assert data == b""
        writer.close()


async def test_oversized_headers_and_bodies(running: Any) -> None:
    listener, task = running
    port = listener.port
    big_header = request_bytes(port, "/callback", headers=(("Cookie", "a" * 20_000),))
    answer = await send_until_closed(port, big_header)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 431")
    long_target = request_bytes(port, "/callback?" + "x" * 20_000)
    answer = await send_until_closed(port, long_target)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 4")
    big_body = request_bytes(port, f"{PATH}?{genuine_query()}", method="POST", body=b"x" * 5000)
    answer = await send_until_closed(port, big_body)
    assert answer.startswith(b"HTTP/1.1 413")
    # A GET with a large body is not taken as the callback either.
    get_body = request_bytes(port, f"{PATH}?{genuine_query()}", body=b"x" * 5000)
    assert (await send_until_closed(port, get_body)).startswith(b"HTTP/1.1 413")
    await finish_with_genuine(listener, task)


async def test_wrong_or_missing_host_is_refused(running: Any) -> None:
    listener, task = running
    port = listener.port
    target = f"{PATH}?{genuine_query()}"
    for host in (
        f"evil.example:{port}",
        "127.0.0.1:1",
        "127.0.0.1",
        f"localhost:{port}",
        f"[::1]:{port}",
        f"127.0.0.1.nip.io:{port}",
    ):
        response = await get(port, target, host=host)
        assert response.status == 400, host
    # HTTP/1.0 has no mandatory Host: the listener must insist itself.
    response = await get(port, target, host="", version="HTTP/1.0")
    assert response.status == 400
    answer = await send_until_closed(port, request_bytes(port, target, host=""))
    assert answer.startswith(b"HTTP/1.1 400")
    doubled = request_bytes(port, target, headers=(("Host", "evil.example"),))
    assert (await send_until_closed(port, doubled)).startswith(b"HTTP/1.1 400")
    await finish_with_genuine(listener, task)


async def test_keep_alive_connection_like_a_browser(running: Any) -> None:
    listener, task = running
    port = listener.port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request_bytes(port, "/favicon.ico", close=False))
    first = await read_response(reader)
    assert first.status == 404
    writer.write(request_bytes(port, f"{PATH}?{genuine_query()}", close=False))
    second = await read_response(reader)
    assert second.status == 200
    assert second.headers["connection"].lower() == "close"
    assert (await asyncio.wait_for(task, 3)).grant_id == GRANT
    writer.close()


async def test_hundreds_of_junk_and_idle_connections(running: Any) -> None:
    listener, task = running
    port = listener.port
    idle = [await asyncio.open_connection("127.0.0.1", port) for _ in range(100)]
    junk = [
        send_until_closed(port, b"\x16\x03\x01\x00\xa5" + b"\x00" * 40),
        *(get(port, "/favicon.ico") for _ in range(50)),
        *(send_until_closed(port, b"NOT HTTP\r\n\r\n") for _ in range(25)),
        *(get(port, f"{PATH}?{genuine_query(state='nope')}") for _ in range(24)),
    ]
    junk_task = asyncio.gather(*junk, return_exceptions=True)
    await finish_with_genuine(listener, task)
    results = await junk_task
    # Resets are fine (the listener closed); a hung request (TimeoutError, an OSError too
    # since 3.11) or anything else is not.
    assert not any(isinstance(r, TimeoutError) for r in results)
    assert not any(isinstance(r, Exception) and not isinstance(r, OSError) for r in results)
    for _, writer in idle:
        writer.close()


# ---- callbacks -----------------------------------------------------------------------------


async def test_genuine_callback_with_state() -> None:
    recorder = Recorder()
    listener = make_listener(on_grant=recorder, limits=FAST)
    task = await waiting(listener)
    captured = await finish_with_genuine(listener, task)
    assert captured == CapturedGrant(GRANT, "zoom", state_echoed=True, verified_by_api=None)
    assert recorder.grants == [captured]


async def test_wrong_state_is_refused_and_wait_continues(running: Any) -> None:
    listener, task = running
    for state in ("nope", STATE + "x", STATE[:-1], "", "é" * 10, STATE.upper()):
        response = await get(listener.port, f"{PATH}?{genuine_query(state=state)}")
        assert response.status == 400
        assert "not for the current connection" in response.text
        assert "use the link it shows" in response.text
    await finish_with_genuine(listener, task)


async def test_forged_stateless_grant_then_genuine_wins() -> None:
    verifier = Verifier({"forged-grant-0001": False}, False)
    recorder = Recorder()
    listener = make_listener(resolve=grant_resolver(verifier), on_grant=recorder, limits=FAST)
    task = await waiting(listener)
    for _ in range(3):
        forged = await get(listener.port, f"{PATH}?{genuine_query('forged-grant-0001', None)}")
        assert forged.status == 400
    assert verifier.asked == ["forged-grant-0001"]  # asked once, then remembered
    captured = await finish_with_genuine(listener, task)
    assert captured.state_echoed is True
    assert [g.grant_id for g in recorder.grants] == [GRANT]


async def test_stateless_grant_verified_by_api() -> None:
    verifier = Verifier({GRANT: True}, False)
    listener = make_listener(resolve=grant_resolver(verifier), limits=FAST)
    task = await waiting(listener)
    response = await get(listener.port, f"{PATH}?{genuine_query(state=None)}")
    assert response.status == 200
    captured = await asyncio.wait_for(task, 3)
    assert captured == CapturedGrant(GRANT, "zoom", state_echoed=False, verified_by_api=True)


async def test_stateless_grant_with_api_unreachable_is_accepted_unverified() -> None:
    verifier = Verifier({}, None)
    listener = make_listener(resolve=grant_resolver(verifier), limits=FAST)
    task = await waiting(listener)
    response = await get(listener.port, f"{PATH}?{genuine_query(state=None)}")
    assert response.status == 200
    captured = await asyncio.wait_for(task, 3)
    assert captured.state_echoed is False
    assert captured.verified_by_api is None


async def test_verifier_that_raises_or_hangs_counts_as_unreachable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(callback: GrantCallback) -> bool | None:
        raise RuntimeError("bug in the flow")

    async def hangs(callback: GrantCallback) -> bool | None:
        await asyncio.sleep(60)
        return True

    monkeypatch.setattr(CallbackListener, "VERIFY_TIMEOUT", 0.2)
    for verify in (broken, hangs):
        listener = make_listener(resolve=grant_resolver(verify), limits=FAST)
        task = await waiting(listener)
        response = await get(listener.port, f"{PATH}?{genuine_query(state=None)}")
        assert response.status == 200
        assert (await asyncio.wait_for(task, 3)).verified_by_api is None


async def test_stateless_grant_without_verifier_is_refused(running: Any) -> None:
    listener, task = running
    response = await get(listener.port, f"{PATH}?{genuine_query(state=None)}")
    assert response.status == 400
    assert not task.done()
    await finish_with_genuine(listener, task)


async def test_other_provider_is_refused(running: Any) -> None:
    listener, task = running
    query = callback_query(success="true", provider="google", grant_id=GRANT, state=STATE)
    response = await get(listener.port, f"{PATH}?{query}")
    assert response.status == 400
    assert "another kind of account" in response.text
    await finish_with_genuine(listener, task)


async def test_malformed_callbacks_are_refused(running: Any) -> None:
    listener, task = running
    for query in (
        "",
        "success=true&provider=zoom",
        f"success=true&provider=zoom&grant_id=a&state={STATE}",
        f"{genuine_query()}&grant_id=other-grant-0002",
        f"{genuine_query()}&state=other",
        f"success=false&provider=zoom&grant_id={GRANT}&state={STATE}",
        f"{genuine_query()}&provider=%FF",
    ):
        response = await get(listener.port, f"{PATH}?{query}")
        assert response.status == 400, query
        assert "Zoom is connected" not in response.text
    await finish_with_genuine(listener, task)


async def test_error_redirect_ends_the_wait_with_the_description() -> None:
    listener = make_listener(limits=FAST)
    task = await waiting(listener)
    description = "The user <b>declined</b> & left"
    query = callback_query(
        error="oauth_failed",
        error_code="45002",
        error_description=description,
        state=STATE,
        success="false",
    )
    response = await get(listener.port, f"{PATH}?{query}")
    assert response.status == 200
    assert "Zoom was not connected" in response.text
    assert "The user &lt;b&gt;declined&lt;/b&gt; &amp; left" in response.text
    assert "<b>declined" not in response.text
    assert "Zoom is connected" not in response.text
    with pytest.raises(CallbackRefused) as info:
        await asyncio.wait_for(task, 3)
    assert info.value.error == "oauth_failed"
    assert info.value.error_code == "45002"
    assert info.value.description == description
    assert str(info.value) == (
        "The Zoom connection was refused: The user <b>declined</b> & left (oauth_failed, "
        "code 45002)."
    )
    assert port_is_free(listener.port)


async def test_error_redirect_without_state_is_ignored_and_the_wait_goes_on() -> None:
    # Any local process or web page can reach the port: a stateless error must not end the
    # run (the customer's real redirect would then find the port closed).
    listener = make_listener(limits=FAST)
    task = await waiting(listener)
    response = await get(
        listener.port, f"{PATH}?error=access_denied&error_description=attacker+text"
    )
    assert response.status == 400
    assert "ignored" in response.text
    assert "attacker text" not in response.text
    await asyncio.sleep(0.05)
    assert not task.done()
    query = callback_query(error="access_denied", error_description="declined", state=STATE)
    response = await get(listener.port, f"{PATH}?{query}")
    assert response.status == 200
    with pytest.raises(CallbackRefused, match="declined"):
        await asyncio.wait_for(task, 3)


async def test_error_redirect_with_foreign_state_is_ignored(running: Any) -> None:
    listener, task = running
    query = callback_query(error="oauth_failed", error_description="forged", state="other")
    response = await get(listener.port, f"{PATH}?{query}")
    assert response.status == 400
    assert "not for the current connection" in response.text
    await finish_with_genuine(listener, task)


# ---- on_grant, duplicates -------------------------------------------------------------------


async def test_on_grant_runs_once_before_the_page_is_sent() -> None:
    listener, task, held = await held_listener()
    port = listener.port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request_bytes(port, f"{PATH}?{genuine_query()}"))
    await asyncio.wait_for(held.called.wait(), 3)
    # on_grant is running: no byte of the page may have been sent yet.
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(reader.read(1), 0.3)
    # A duplicate (reload, second tab) waits too, and never calls on_grant again.
    duplicate = asyncio.create_task(get(port, f"{PATH}?{genuine_query()}"))
    await asyncio.sleep(0.1)
    assert not duplicate.done()
    held.gate.set()
    response = await read_response(reader)
    assert response.status == 200
    assert SUCCESS_TEXT in response.text
    assert (await asyncio.wait_for(task, 3)).grant_id == GRANT
    again = await duplicate
    assert again.status == 200
    assert SUCCESS_TEXT in again.text
    assert len(held.grants) == 1
    writer.close()


async def test_concurrent_duplicates_call_on_grant_once() -> None:
    listener, task, held = await held_listener()
    target = f"{PATH}?{genuine_query()}"
    requests = asyncio.gather(*(get(listener.port, target) for _ in range(5)))
    await asyncio.sleep(0.2)  # all five are in: one records, four wait for it
    held.gate.set()
    responses = await requests
    assert all(r.status == 200 and SUCCESS_TEXT in r.text for r in responses)
    assert (await asyncio.wait_for(task, 3)).grant_id == GRANT
    assert len(held.grants) == 1


async def test_after_acceptance_other_callbacks_get_already_done() -> None:
    listener, task, held = await held_listener()
    port = listener.port
    winner = asyncio.create_task(get(port, f"{PATH}?{genuine_query()}"))
    await asyncio.sleep(0.1)
    other = await get(port, f"{PATH}?{genuine_query(grant='another-grant-9')}")
    assert other.status == 409
    assert "already finished" in other.text
    error = await get(port, f"{PATH}?error=oauth_failed&state={STATE}")
    assert error.status == 409
    held.gate.set()
    assert (await winner).status == 200
    assert (await asyncio.wait_for(task, 3)).grant_id == GRANT


async def test_on_grant_raising_still_shows_success_and_returns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def on_grant(captured: CapturedGrant) -> None:
        raise RuntimeError("disk full")

    listener = make_listener(on_grant=on_grant, limits=FAST)
    task = await waiting(listener)
    with caplog.at_level(logging.INFO, logger="wizard.listener"):
        captured = await finish_with_genuine(listener, task)
    assert captured.grant_id == GRANT
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert failures
    assert "on_grant failed" in failures[0].getMessage()


# ---- deadline, cancel, close --------------------------------------------------------------


async def test_deadline_when_the_browser_never_came() -> None:
    listener = make_listener(limits=FAST)
    await listener.start()
    port = listener.port
    with pytest.raises(ListenerTimeout, match="never came back") as info:
        await listener.wait(0.3)
    assert "0.3 seconds" in str(info.value)
    assert "link" in str(info.value)
    assert port_is_free(port)


async def test_deadline_when_the_browser_came_but_consent_was_not_finished() -> None:
    listener = make_listener(limits=FAST)
    task = await waiting(listener, 0.5)
    assert (await get(listener.port, "/favicon.ico")).status == 404
    with pytest.raises(ListenerTimeout, match="reached this computer"):
        await task


async def test_deadline_does_not_lose_a_grant_being_recorded() -> None:
    listener, task, held = await held_listener(0.2)
    response = asyncio.create_task(get(listener.port, f"{PATH}?{genuine_query()}"))
    await asyncio.sleep(0.4)  # the deadline passes while on_grant is still recording
    assert not task.done()
    held.gate.set()
    assert (await asyncio.wait_for(task, 3)).grant_id == GRANT
    assert (await response).status == 200


async def test_cancelling_the_wait_frees_the_port_at_once() -> None:
    listener = make_listener(limits=FAST)
    await listener.start()
    port = listener.port
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)  # an open connection too
    task = asyncio.create_task(listener.wait(30))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert port_is_free(port)
    # The real next step: a new listener on the same port.
    async with CallbackListener(LoopbackRedirectUri("127.0.0.1", port, PATH), STATE) as again:
        assert again.port == port
    writer.close()


async def test_close_frees_the_port_and_is_idempotent() -> None:
    listener = make_listener(limits=FAST)
    await listener.start()
    port = listener.port
    await listener.close()
    await listener.close()
    assert port_is_free(port)
    with pytest.raises(RuntimeError, match="closed"):
        await listener.start()


async def test_context_manager_starts_and_closes() -> None:
    async with make_listener(limits=FAST) as listener:
        port = listener.port
        assert (await get(port, "/favicon.ico")).status == 404
        assert listener.redirect_uri == LoopbackRedirectUri("127.0.0.1", port, PATH)
    assert port_is_free(port)


# ---- logging -------------------------------------------------------------------------------


async def test_logs_never_contain_the_state_or_the_query(caplog: pytest.LogCaptureFixture) -> None:
    verifier = Verifier({}, False)
    listener = make_listener(resolve=grant_resolver(verifier), limits=FAST)
    task = await waiting(listener)
    port = listener.port
    with caplog.at_level(logging.DEBUG):
        await get(port, f"/favicon.ico?state={STATE}")
        await get(port, f"{PATH}?{genuine_query(state='wrong-' + STATE)}")
        await get(port, f"{PATH}?{genuine_query('forged-grant-0001', None)}")
        await get(port, f"{PATH}?{genuine_query()}&state={STATE}")  # repeated: malformed
        await get(port, f"{PATH}?{genuine_query()}", method="POST")
        await get(port, f"{PATH}?{genuine_query()}", host="evil.example")
        await finish_with_genuine(listener, task)
    text = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "wizard.listener" in {r.name for r in caplog.records}
    assert STATE not in text
    assert "success=true" not in text
    assert GRANT in text  # the grant id is fine, and useful
    assert "accepted" in text
