"""Windows' and macOS's ways with listening sockets, imitated on Linux.

- Windows fails an accept when the client reset before it completed (WinError 64, 10054,
  10057); asyncio's Proactor then closes the listening socket (CPython gh-93821). Imitated by
  a socket whose accept raises those errors after taking the client's connection.
- Windows wants SO_EXCLUSIVEADDRUSE; macOS must not get SO_REUSEADDR: imitated with
  sys.platform (and, for Windows, a setsockopt that records the option Linux does not have).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.http.test_server import echo, exchange
from wizard.http import sockets
from wizard.http.server import HttpServer
from wizard.listener.listener import CallbackListener, PortInUse
from wizard.listener.redirect_uri import LoopbackRedirectUri

pytestmark = pytest.mark.anyio

REQUEST = b"GET /after HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"


def windows_error(winerror: int) -> OSError:
    kind = ConnectionResetError if winerror == 10054 else OSError
    exc = kind(errno.ECONNRESET if winerror == 10054 else errno.EINVAL, f"WinError {winerror}")
    exc.winerror = winerror  # type: ignore[attr-defined]
    return exc


class FlakyAccept:
    """socket.accept as on Windows: the next accepts take the pending client's connection and
    fail with the given errors, as when that client reset before the accept completed."""

    def __init__(self, errors: list[OSError], take_the_client: bool = True) -> None:
        self.errors = errors
        self.take = take_the_client
        self.real = socket.socket.accept

    def __call__(self, sock: socket.socket) -> tuple[socket.socket, Any]:
        if self.errors and sock.getsockname()[1] == self.port:
            if self.take:
                conn, _ = self.real(sock)
                conn.close()
            raise self.errors.pop(0)
        return self.real(sock)

    port = 0


@pytest.fixture
async def handler_calls() -> AsyncIterator[list[dict[str, Any]]]:
    """What reaches the loop's exception handler (in the wizard: the crash dialog)."""
    calls: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, context: calls.append(context))
    yield calls
    loop.set_exception_handler(None)


@pytest.mark.parametrize("winerror", [64, 10054, 10057])
async def test_a_client_that_resets_before_the_accept_is_a_warning_and_listening_goes_on(
    winerror: int,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    handler_calls: list[dict[str, Any]],
) -> None:
    flaky = FlakyAccept([windows_error(winerror)])
    monkeypatch.setattr(socket.socket, "accept", lambda sock: flaky(sock))
    caplog.set_level(logging.WARNING, "wizard.http")
    async with HttpServer(echo, ["127.0.0.1"], 0) as server:
        assert server.bound_port is not None
        flaky.port = server.bound_port
        gone = await exchange(server.bound_port, b"GET /gone HTTP/1.1\r\nhost: x\r\n\r\n")
        answer = await exchange(server.bound_port, REQUEST)
    assert gone == b""  # that client's connection failed; the next one is served
    assert answer.startswith(b"HTTP/1.1 200") and b"GET /after" in answer
    assert not flaky.errors
    assert handler_calls == []
    warnings = [r for r in caplog.records if r.name == "wizard.http"]
    assert [r.levelno for r in warnings] == [logging.WARNING]
    assert "a client left before its connection was accepted" in warnings[0].getMessage()
    assert "still listening" in warnings[0].getMessage()


@pytest.mark.parametrize("code", [errno.EMFILE, errno.ENOBUFS])
async def test_running_out_of_descriptors_makes_room_and_listening_goes_on(
    code: int,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    handler_calls: list[dict[str, Any]],
) -> None:
    flaky = FlakyAccept([OSError(code, "too many open files")], take_the_client=False)
    monkeypatch.setattr(socket.socket, "accept", lambda sock: flaky(sock))
    caplog.set_level(logging.WARNING, "wizard.http")
    async with HttpServer(echo, ["127.0.0.1"], 0) as server:
        assert server.bound_port is not None
        flaky.port = server.bound_port
        answer = await exchange(server.bound_port, REQUEST)
    assert answer.startswith(b"HTTP/1.1 200")
    assert handler_calls == []
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(messages) == 1 and "out of file descriptors" in messages[0]


async def test_asyncios_own_server_and_accept_are_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever asyncio's accept loops do on a platform (the Proactor's gh-93821) is not ours."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("asyncio's server or accept was used")

    for name in ("create_server", "sock_accept", "_start_serving"):
        monkeypatch.setattr(asyncio.get_running_loop().__class__, name, refuse)
    async with HttpServer(echo, ["127.0.0.1"], 0) as server:
        assert server.bound_port is not None
        assert (await exchange(server.bound_port, REQUEST)).startswith(b"HTTP/1.1 200")


class RecordedOptions:
    """setsockopt that records every option; Windows' own one (Linux has none) is only
    recorded."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, int, int]] = []
        self.real = socket.socket.setsockopt

    def __call__(self, sock: socket.socket, level: int, option: int, value: Any) -> None:
        if isinstance(value, int):
            self.seen.append((level, option, value))
        if (level, option) != (socket.SOL_SOCKET, sockets.SO_EXCLUSIVEADDRUSE):
            self.real(sock, level, option, value)


async def test_windows_binds_the_port_exclusively(monkeypatch: pytest.MonkeyPatch) -> None:
    options = RecordedOptions()
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(socket.socket, "setsockopt", lambda sock, *args: options(sock, *args))
    async with HttpServer(echo, ["127.0.0.1"], 0) as server:
        assert server.bound_port is not None
        answer = await exchange(server.bound_port, REQUEST)
    assert answer.startswith(b"HTTP/1.1 200")
    assert (socket.SOL_SOCKET, sockets.SO_EXCLUSIVEADDRUSE, 1) in options.seen
    assert sockets.SO_EXCLUSIVEADDRUSE == -5  # Winsock's ~SO_REUSEADDR
    assert not any(option == socket.SO_REUSEADDR for _level, option, _v in options.seen)


async def test_macos_does_not_reuse_the_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    async with HttpServer(echo, ["127.0.0.1"], 0) as server:
        assert server.sockets[0].getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) == 0
    # Another program on *:port is seen by the busy-port check (macOS would let a bind with
    # SO_REUSEADDR succeed beside it; Linux refuses either way).
    with socket.socket() as other:
        other.bind(("0.0.0.0", 0))  # noqa: S104
        other.listen()
        uri = LoopbackRedirectUri("127.0.0.1", other.getsockname()[1], "/callback")
        with pytest.raises(PortInUse):
            await CallbackListener.check_port(uri)


async def test_linux_keeps_reusing_the_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    async with HttpServer(echo, ["127.0.0.1"], 0) as server:
        assert server.sockets[0].getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) == 1


def test_ipv6_sockets_are_v6_only_everywhere() -> None:
    for platform in ("win32", "darwin", "linux"):
        assert (socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1) in sockets.socket_options(
            socket.AF_INET6, platform
        )
