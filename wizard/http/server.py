"""A small asyncio HTTP/1.1 server on h11, shared by the loopback listener and the sandbox.

h11 does all the parsing; this module only moves bytes, bounds every wait and every size,
and keeps one misbehaving connection from touching the others (each runs in its own task).
It binds and accepts itself (wizard/http/sockets.py), not through asyncio's server.
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

from wizard.http.limits import connection_cap
from wizard.http.sockets import Acceptor, listening_socket

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
    # None: 512, or fewer where the process may open fewer files (sockets.connection_cap).
    max_connections: int | None = None
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
        self.max_connections = self.limits.max_connections or connection_cap()
        self._acceptor: Acceptor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Oldest first (dicts keep insertion order): under pressure the oldest connection that
        # is only waiting for a request makes room for the newcomer.
        self._connections: dict[asyncio.Task[None], _Connection] = {}
        self._tasks: set[asyncio.Task[None]] = set()  # every connection's, from its accept
        self.shed = 0  # connections dropped to make room (for tests and the log)
        self.bound_port: int | None = None
        self.sockets: list[socket.socket] = []

    async def start(self) -> None:
        port = self._port
        sockets: list[socket.socket] = []
        try:
            for host in self._hosts:
                # The first bind may pick the port (0); the others must share it.
                sockets.append(listening_socket(host, port, self.max_connections))
                if port == 0:
                    port = sockets[0].getsockname()[1]
        except OSError:
            for sock in sockets:
                sock.close()
            raise
        self._loop = asyncio.get_running_loop()
        self.sockets = sockets
        self._acceptor = Acceptor(sockets, self.max_connections, self._accepted, self._make_room)
        self._acceptor.start()
        self.bound_port = port

    async def close(self) -> None:
        """Stop listening and drop every open connection: the port is free on return."""
        acceptor, self._acceptor = self._acceptor, None
        if acceptor is not None:
            await acceptor.close()  # no connection is handed over after this
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def __aenter__(self) -> HttpServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _accepted(self, sock: socket.socket) -> None:
        """A connection from the accept loop, on the loop."""
        acceptor = self._acceptor
        if acceptor is None or self._loop is None:  # closing
            _abort(sock)
            return
        task = self._loop.create_task(self._serve_socket(sock, acceptor))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _make_room(self) -> None:
        """No descriptor or slot is free for a new connection: the oldest idle one goes."""
        self._shed_one()

    async def _serve_socket(self, sock: socket.socket, acceptor: Acceptor) -> None:
        try:
            try:
                reader, writer = await asyncio.open_connection(sock=sock)
            except (OSError, asyncio.CancelledError) as exc:  # the client left; or closing
                _abort(sock)
                if isinstance(exc, OSError):
                    return
                raise
            await self._on_connection(reader, writer)
        finally:
            acceptor.release()

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is None or (
            len(self._connections) >= self.max_connections and not self._shed_one()
        ):
            _reset(writer)
            return
        connection = _Connection(reader, writer, self._handler, self.limits)
        self._connections[task] = connection
        try:
            await connection.serve()
        except asyncio.CancelledError:
            # close() or shedding cancels us: the connection ends here, quietly.
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


def _abort(sock: socket.socket) -> None:
    """Drop a connection not yet wrapped in a transport, with a reset (see _reset)."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class _TooLarge(Exception):
    pass


def _reason(status: int) -> bytes:
    try:
        return HTTPStatus(status).phrase.encode()
    except ValueError:
        return b""
