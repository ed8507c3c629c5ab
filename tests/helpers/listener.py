"""Raw-socket helpers shared by the listener tests (no tests here).

The listener is driven with bytes written to plain sockets, as a browser, a port probe or a
hostile page would, never through an HTTP client library that would tidy the requests up.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from wizard.listener.callback import CodeCallback, GrantCallback
from wizard.listener.listener import CallbackListener
from wizard.listener.redirect_uri import LoopbackRedirectUri
from wizard.listener.verdict import Accepted, Rejected, Resolution, Resolver

STATE = "s3cr3t-state-Xq9fTz2Lw0"
GRANT = "0b6f3c1e-5a7d-4e0b-9c2f-1d3e5f7a9b11"
PATH = "/callback"


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def callback_query(**params: str) -> str:
    return urlencode(params)


def genuine_query(grant: str = GRANT, state: str | None = STATE) -> str:
    params = {"success": "true", "provider": "zoom", "grant_id": grant}
    if state is not None:
        params["state"] = state
    return urlencode(params)


def request_bytes(
    port: int,
    target: str,
    *,
    method: str = "GET",
    host: str | None = None,
    version: str = "HTTP/1.1",
    headers: tuple[tuple[str, str], ...] = (),
    body: bytes = b"",
    close: bool = True,
) -> bytes:
    lines = [f"{method} {target} {version}"]
    if host != "":
        lines.append(f"Host: {host if host is not None else f'127.0.0.1:{port}'}")
    lines += [f"{name}: {value}" for name, value in headers]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def read_response(
    reader: asyncio.StreamReader, *, head_only: bool = False, timeout: float = 3.0
) -> RawResponse:
    async with asyncio.timeout(timeout):
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers: dict[str, str] = {}
        for line in header_lines:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        length = 0 if head_only else int(headers.get("content-length", "0"))
        body = await reader.readexactly(length)
    return RawResponse(int(status_line.split(" ")[1]), headers, body)


async def exchange(
    port: int, data: bytes, *, host: str = "127.0.0.1", head_only: bool = False
) -> RawResponse:
    """Send raw bytes on a new connection and read one response."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(data)
        await writer.drain()
        return await read_response(reader, head_only=head_only)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def get(port: int, target: str, **kwargs: object) -> RawResponse:
    return await exchange(port, request_bytes(port, target, **kwargs))  # type: ignore[arg-type]


async def send_until_closed(
    port: int, data: bytes, *, timeout: float = 3.0, eof: bool = False
) -> bytes:
    """Send bytes (then EOF if asked), and read whatever comes back until the server hangs up."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        with contextlib.suppress(OSError):
            await writer.drain()
            if eof:
                writer.write_eof()
        async with asyncio.timeout(timeout):
            chunks = []
            while chunk := await _read_or_reset(reader):
                chunks.append(chunk)
        return b"".join(chunks)
    finally:
        writer.close()


async def _read_or_reset(reader: asyncio.StreamReader) -> bytes:
    try:
        return await reader.read(65536)
    except (ConnectionResetError, BrokenPipeError):
        return b""


async def cancelled(task: asyncio.Future[Any]) -> None:
    """`task` cancelled and waited for, whatever it ends with."""
    task.cancel()
    with contextlib.suppress(BaseException):
        await task


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Nothing listens any more, and a new listener could bind (SO_REUSEADDR like asyncio)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        try:
            probe.connect((host, port))
        except OSError:
            pass
        else:
            return False
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
            sock.listen()
        except OSError:
            return False
    return True


StatelessCheck = Callable[[GrantCallback], Awaitable[bool | None]]
"""What the API says of a grant that came without state: True, it is this request's; False,
it is not; None, the API could not say."""


def grant_resolver(stateless: StatelessCheck) -> Resolver:
    """A resolver as the Connect flow's, with `stateless` in the API's place: a grant with this
    request's state is taken as it came (the API is not asked); one without state is asked
    about (a mismatch is refused, an API that cannot say accepts it unverified)."""

    async def resolve(callback: GrantCallback | CodeCallback) -> Resolution:
        assert isinstance(callback, GrantCallback), "these tests parse Connect callbacks"
        if callback.state is not None:
            return Accepted(callback.grant_id, callback.provider, None)
        matches = await stateless(callback)
        if matches is False:
            return Rejected("It does not belong to this request.")
        return Accepted(callback.grant_id, callback.provider, matches)

    return resolve


async def stateless_forgery(callback: GrantCallback) -> bool:
    return False  # stateless grants are forgeries in these tests


def make_listener(host: str = "127.0.0.1", port: int = 0, **kwargs: object) -> CallbackListener:
    return CallbackListener(LoopbackRedirectUri(host, port, PATH), STATE, **kwargs)  # type: ignore[arg-type]
