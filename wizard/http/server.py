"""A small asyncio HTTP/1.1 server on h11, shared by the loopback listener and the sandbox.

h11 does all the parsing; this module only moves bytes, bounds every wait and every size,
and keeps one misbehaving connection from touching the others (each runs in its own task).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import struct
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

import h11

log = logging.getLogger(__name__)

_READ_CHUNK = 4096


class DropConnection(Exception):
    """Raised by a handler to close the connection without answering (fault injection)."""


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    peer: str

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query, keep_blank_values=True)

    def query_one(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def form(self) -> dict[str, str]:
        """The body as an application/x-www-form-urlencoded form (first value of each field)."""
        parsed = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {key: values[0] for key, values in parsed.items()}


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def html(cls, status: int, page: str) -> Response:
        return cls(status, page.encode(), "text/html; charset=utf-8")

    @classmethod
    def json_body(
        cls, status: int, payload: Any, headers: Iterable[tuple[str, str]] = ()
    ) -> Response:
        return cls(status, json.dumps(payload).encode(), "application/json", list(headers))

    @classmethod
    def text(cls, status: int, message: str) -> Response:
        return cls(status, message.encode())

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Response:
        return cls(status, b"", headers=[("location", location)])


Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class ServerLimits:
    # A browser sends its request at once; anything slower is a stray or idle socket.
    read_timeout: float = 10.0
    max_header_bytes: int = 16 * 1024
    max_body_bytes: int = 64 * 1024
    max_connections: int = 512
    keep_alive: bool = True


class HttpServer:
    """Serves `handler` on the given loopback addresses until `close()`.

    Binding happens in `start()`, so a busy port surfaces as OSError there, before any
    browser is sent anywhere.
    """

    def __init__(
        self,
        handler: Handler,
        hosts: Iterable[str],
        port: int,
        limits: ServerLimits | None = None,
    ) -> None:
        self._handler = handler
        self._hosts = list(hosts)
        self._port = port
        self.limits = limits or ServerLimits()
        self._servers: list[asyncio.Server] = []
        # Oldest first (dicts keep insertion order): under pressure the oldest connection that
        # is only waiting for a request makes room for the newcomer.
        self._connections: dict[asyncio.Task[None], _Connection] = {}
        self.shed = 0  # connections dropped to make room (for tests and the log)
        self.bound_port: int | None = None

    async def start(self) -> None:
        port = self._port
        try:
            for host in self._hosts:
                # The first bind may pick the port (0); the others must share it.
                server = await asyncio.start_server(
                    self._on_connection,
                    host=host,
                    port=port,
                    family=socket.AF_INET6 if ":" in host else socket.AF_INET,
                    # asyncio's default: SO_REUSEADDR on POSIX only. On Windows it would let
                    # this bind succeed on a port another program is listening on.
                    backlog=self.limits.max_connections,
                )
                self._servers.append(server)
                if port == 0:
                    port = server.sockets[0].getsockname()[1]
        except OSError:
            await self.close()
            raise
        self.bound_port = port

    async def close(self) -> None:
        """Stop listening and drop every open connection: the port is free on return."""
        servers, self._servers = self._servers, []
        for server in servers:
            server.close()
        tasks = list(self._connections)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        for server in servers:
            with contextlib.suppress(Exception):
                await server.wait_closed()

    async def __aenter__(self) -> HttpServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is None or (
            len(self._connections) >= self.limits.max_connections and not self._shed_one()
        ):
            _reset(writer)
            return
        connection = _Connection(reader, writer, self._handler, self.limits)
        self._connections[task] = connection
        try:
            await connection.serve()
        except asyncio.CancelledError:
            # close() cancels us. Ending normally, not as cancelled: on Python 3.11 asyncio's
            # stream callback calls task.exception() on this task, which would raise and log.
            _reset(writer)
        except Exception:  # one connection's failure must never reach the others
            log.exception("connection handler failed")
            _reset(writer)
        finally:
            self._connections.pop(task, None)
            writer.close()

    def _shed_one(self) -> bool:
        """Drop the oldest connection that is idle or still trickling its request; a crowd of
        such sockets must not shut out the browser's real callback. False if all are busy."""
        for task, connection in self._connections.items():
            if not connection.in_handler and not task.done():
                del self._connections[task]
                task.cancel()
                self.shed += 1
                if self.shed in (1, 100, 1000) or self.shed % 10_000 == 0:
                    log.warning("connection limit reached: %d idle connections shed", self.shed)
                return True
        return False


class _Connection:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        handler: Handler,
        limits: ServerLimits,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.handler = handler
        self.limits = limits
        self.conn = h11.Connection(h11.SERVER, max_incomplete_event_size=limits.max_header_bytes)
        self.in_handler = False  # True while the handler works on a complete request
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else "?"

    async def serve(self) -> None:
        while True:
            try:
                request = await asyncio.wait_for(self._read_request(), self.limits.read_timeout)
            except TimeoutError:
                # Idle or trickling socket (browser preconnect, port probe): just hang up.
                _reset(self.writer)
                return
            except h11.RemoteProtocolError as exc:
                await self._send_error(exc.error_status_hint, "Malformed HTTP request.")
                return
            except _TooLarge:
                await self._send_error(413, "Request body too large.")
                return
            if request is None:  # the peer closed the connection
                return
            self.in_handler = True
            try:
                response = await self.handler(request)
            except DropConnection:
                _reset(self.writer)
                return
            finally:
                self.in_handler = False
            keep = self.limits.keep_alive and self.conn.our_state is h11.SEND_RESPONSE
            await self._send(response, keep_alive=keep, head=request.method == "HEAD")
            if not keep or self.conn.our_state is h11.MUST_CLOSE:
                return
            try:
                self.conn.start_next_cycle()
            except h11.LocalProtocolError:
                return

    async def _read_request(self) -> Request | None:
        head: h11.Request | None = None
        body = bytearray()
        head_bytes = 0
        while True:
            event = self.conn.next_event()
            if event is h11.NEED_DATA:
                # h11's own bound can overshoot by a chunk. Checked only while h11 still wants
                # more of the head, so every byte counted so far belongs to the head (a body
                # arriving in the same reads as the head is not held against it).
                if head is None and head_bytes > self.limits.max_header_bytes:
                    raise h11.RemoteProtocolError("headers too large", error_status_hint=431)
                data = await self.reader.read(_READ_CHUNK)
                if head is None:
                    head_bytes += len(data)
                self.conn.receive_data(data)  # b"" means EOF, which h11 understands
                continue
            if isinstance(event, h11.Request):
                head = event
            elif isinstance(event, h11.Data):
                body += event.data
                if len(body) > self.limits.max_body_bytes:
                    raise _TooLarge
            elif isinstance(event, h11.EndOfMessage):
                assert head is not None
                return Request(
                    method=head.method.decode("ascii", "replace"),
                    target=head.target.decode("latin-1"),
                    headers=tuple(
                        (k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in head.headers
                    ),
                    body=bytes(body),
                    peer=self.peer,
                )
            elif isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
                return None

    async def _send(self, response: Response, keep_alive: bool, head: bool = False) -> None:
        headers = [
            ("content-type", response.content_type),
            ("content-length", str(len(response.body))),
            ("cache-control", "no-store"),
            ("x-content-type-options", "nosniff"),
            *response.headers,
        ]
        if not keep_alive:
            headers.append(("connection", "close"))
        try:
            reason = _reason(response.status)
            data = self.conn.send(
                h11.Response(status_code=response.status, headers=headers, reason=reason)
            )
            # h11 frames a HEAD answer with no body; sending one anyway raised and the
            # client got no answer at all.
            if response.body and not head:
                data = (data or b"") + (self.conn.send(h11.Data(data=response.body)) or b"")
            data = (data or b"") + (self.conn.send(h11.EndOfMessage()) or b"")
            self.writer.write(data)
            await asyncio.wait_for(self.writer.drain(), self.limits.read_timeout)
        except (OSError, TimeoutError, h11.LocalProtocolError):
            _reset(self.writer)

    async def _send_error(self, status: int, message: str) -> None:
        if self.conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            _reset(self.writer)
            return
        await self._send(Response.text(status, message), keep_alive=False)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Drop a connection with a TCP reset: unlike a FIN, it leaves no FIN-WAIT socket holding
    the port, so a closed listener's port is free at once."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class _TooLarge(Exception):
    pass


def _reason(status: int) -> bytes:
    try:
        return HTTPStatus(status).phrase.encode()
    except ValueError:
        return b""
