"""The loopback listener that catches the browser's redirect from Nylas.

Unlike a one-shot `handle_request()` listener, it serves every connection concurrently with
bounded reads (the HttpServer core), so favicon requests, preconnects, port probes, idle
sockets and junk never end or stall the wait: only a genuine callback does, or the deadline.
It routes each callback by its state to the authorization it belongs to
(wizard/listener/pending.py), so one listener serves a whole window: a link whose wait ended
still works while it is valid.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import logging
import sys

from wizard.http.server import DropConnection, HttpServer, Request, Response, ServerLimits
from wizard.listener import answers, pages
from wizard.listener.answers import page
from wizard.listener.callback import (
    Callback,
    CallbackParser,
    ErrorCallback,
    MalformedCallback,
    parse_callback,
)
from wizard.listener.pending import (
    CallbackRefused,
    CapturedGrant,
    ListenerTimeout,
    OnGrant,
    PendingCallback,
)
from wizard.listener.redirect_uri import LoopbackRedirectUri
from wizard.listener.verdict import Resolver, Verdict

__all__ = [
    "DEFAULT_LIMITS",
    "CallbackListener",
    "CallbackRefused",
    "CapturedGrant",
    "ListenerTimeout",
    "PendingCallback",
    "PortInUse",
    "Resolver",
]

log = logging.getLogger("wizard.listener")

LAUNCH_SUFFIX = "/start"  # launch_url's path: the callback path plus this

# A browser sends its whole request at once; keep-alive so it can reuse the connection for
# the favicon. Bodies are never needed (the callback is a GET).
DEFAULT_LIMITS = ServerLimits(
    read_timeout=5.0,
    max_header_bytes=32 * 1024,  # localhost cookies of other dev servers come along
    max_body_bytes=4 * 1024,
    # 512 at once, or fewer where the process may open fewer files (macOS starts programs
    # with 256; wizard.cli.main raises that where it may): see wizard/http/sockets.py.
    max_connections=None,
    keep_alive=True,
)

_WSAEADDRINUSE = 10048
_WSAEACCES = 10013


class PortInUse(OSError):
    """The redirect URI's port cannot be bound; str() says what to do."""

    def __init__(self, host: str, port: int, message: str, code: int | None = None) -> None:
        super().__init__(code if code is not None else errno.EADDRINUSE, message)
        self.host = host
        self.port = port
        self.message = message

    def __str__(self) -> str:
        return self.message


class CallbackListener:
    """The loopback server for one redirect URI. It routes each callback by its state to the
    authorization waiting for it (`expect`), so one listener can serve a whole window or queue
    run: an earlier link whose wait ended still works while it is valid.

    Built with `expected_state`, it is the listener of that one authorization (the command
    line's `onboard`): `wait` then waits for it and closes the listener."""

    # A resolver that hangs is treated as an unreachable API.
    VERIFY_TIMEOUT = 20.0
    FLUSH_GRACE = PendingCallback.FLUSH_GRACE
    ON_GRANT_GRACE = PendingCallback.ON_GRANT_GRACE
    MAX_CONCURRENT_VERIFY = PendingCallback.MAX_CONCURRENT_VERIFY
    MAX_STATELESS_LOOKUPS = PendingCallback.MAX_STATELESS_LOOKUPS

    def __init__(
        self,
        redirect_uri: LoopbackRedirectUri,
        expected_state: str | None = None,
        *,
        expected_provider: str = "zoom",
        on_grant: OnGrant | None = None,
        limits: ServerLimits | None = None,
        launch_target: str | None = None,
        parse: CallbackParser = parse_callback,
        resolve: Resolver | None = None,
        silent_hint: str | None = None,
        verify_timeout: float | None = None,
    ) -> None:
        """`parse` reads the API's callback (Connect: grant id; v3: code and state).
        `resolve` turns a callback into a grant (v3: the code exchange) and checks it with the
        API (the flow's resolver; without one, only a grant with the state is accepted).
        `verify_timeout`: how long one resolution may take (v3's exchange: up to 90 s); a
        deadline that passes while one is under way waits for it."""
        if expected_state is not None and not expected_state:
            raise ValueError("expected_state must not be empty")
        self._uri = redirect_uri
        self._parse = parse
        self._limits = limits or DEFAULT_LIMITS
        self._server: HttpServer | None = None
        self._closed = False
        self.port = redirect_uri.port
        # By the SHA-256 of the state: a dictionary lookup on a digest tells an attacker
        # nothing about the state itself (no comparison of the secret byte by byte).
        self._pending: dict[bytes, PendingCallback] = {}
        self._first: PendingCallback | None = None
        if expected_state is not None:
            self._first = self.expect(
                expected_state,
                expected_provider=expected_provider,
                resolve=resolve,
                on_grant=on_grant,
                launch_target=launch_target,
                silent_hint=silent_hint,
                verify_timeout=verify_timeout,
            )

    def expect(
        self,
        state: str,
        *,
        expected_provider: str = "zoom",
        resolve: Resolver | None = None,
        on_grant: OnGrant | None = None,
        launch_target: str | None = None,
        silent_hint: str | None = None,
        verify_timeout: float | None = None,
        expires_at: float | None = None,
        unfinished_hint: str | None = None,
    ) -> PendingCallback:
        """Route callbacks with `state` to a new pending authorization, until `forget`."""
        pending = PendingCallback(
            state,
            expected_provider=expected_provider,
            resolve=resolve,
            on_grant=on_grant,
            launch_target=launch_target,
            silent_hint=silent_hint,
            verify_timeout=verify_timeout or self.VERIFY_TIMEOUT,
            expires_at=expires_at,
            unfinished_hint=unfinished_hint,
        )
        digest = _digest(state)
        if digest in self._pending:
            raise ValueError("an authorization with this state is already expected")
        self._pending[digest] = pending
        return pending

    def forget(self, pending: PendingCallback) -> None:
        """Stop routing its callbacks here (they are then refused as another request's)."""
        if self._pending.get(_digest(pending.state)) is pending:
            del self._pending[_digest(pending.state)]

    @property
    def pending(self) -> list[PendingCallback]:
        return list(self._pending.values())

    @staticmethod
    async def check_port(redirect_uri: LoopbackRedirectUri) -> None:
        """Raise PortInUse now if the redirect URI's port cannot be bound; it is released at
        once. For asking early (before an integration is committed to this URI); `start`
        still reports a port taken in between."""
        probe = HttpServer(
            _refuse_all, redirect_uri.bind_hosts(), redirect_uri.port, DEFAULT_LIMITS
        )
        try:
            await probe.start()
        except OSError as exc:
            raise _port_error(exc, redirect_uri) from exc
        await probe.close()

    @property
    def reached(self) -> asyncio.Event:
        """The one authorization's (a listener built with `expected_state`)."""
        assert self._first is not None, "built without expected_state: use expect()"
        return self._first.reached

    @property
    def launch_url(self) -> str | None:
        """The one authorization's launch address (a listener built with `expected_state`):
        it redirects to the sign-in link (None without one)."""
        if self._first is None or self._first.launch_target is None:
            return None
        return f"http://{self._uri.netloc}{self._launch_path}"

    def launch_url_for(self, pending: PendingCallback) -> str | None:
        """Where to open the browser for `pending`: an address of its own on this listener,
        so an old tab reloaded later never lands on another customer's link."""
        if pending.launch_target is None:
            return None
        if pending is self._first:
            return self.launch_url
        return f"http://{self._uri.netloc}{self._launch_path}/{pending.launch_key}"

    @property
    def _launch_path(self) -> str:
        return self._uri.path.rstrip("/") + LAUNCH_SUFFIX

    def _launching(self, path: str) -> PendingCallback | None:
        if path == self._launch_path:
            return self._first
        prefix = self._launch_path + "/"
        if not path.startswith(prefix):
            return None
        key = path[len(prefix) :]
        return next((p for p in self._pending.values() if p.launch_key == key), None)

    @property
    def redirect_uri(self) -> LoopbackRedirectUri:
        """The URI with the bound port (differs from the given one only when it had port 0)."""
        return self._uri

    @property
    def is_open(self) -> bool:
        return self._server is not None and not self._closed

    async def start(self) -> None:
        """Bind now, before any browser is sent anywhere; raises PortInUse."""
        if self._closed:
            raise RuntimeError("this listener was closed; create a new one")
        if self._server is not None:
            return
        hosts = self._uri.bind_hosts()
        server = HttpServer(self._handle, hosts, self._uri.port, self._limits)
        try:
            await server.start()
        except OSError as exc:
            raise _port_error(exc, self._uri) from exc
        self._server = server
        assert server.bound_port is not None
        self.port = server.bound_port
        # With port 0 the OS chose: the Host check must use the real port.
        self._uri = self._uri.with_port(self.port)
        log.info("listening for the redirect on %s (%s)", self.redirect_uri, ", ".join(hosts))

    async def wait(self, timeout: float) -> CapturedGrant:
        """Wait for the one authorization's callback; always closes the listener (also on
        error or cancel)."""
        assert self._first is not None, "built without expected_state: use expect()"
        try:
            await self.start()
            return await self._first.wait(timeout)
        finally:
            await self.close()

    async def close(self) -> None:
        """Stop listening and drop open connections; the port is free on return."""
        self._closed = True
        server, self._server = self._server, None
        if server is not None:
            await server.close()
            log.debug("listener on port %d closed", self.port)

    async def __aenter__(self) -> CallbackListener:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ---- internals -------------------------------------------------------------------

    async def _handle(self, request: Request) -> Response:
        if self._closed:
            raise DropConnection  # a connection accepted just as we closed
        for pending in self._pending.values():
            # Any request proves a browser on this computer reached us (a favicon too).
            if pending.attended or pending is self._first:
                pending.reached.set()

        hosts = [value for name, value in request.headers if name == "host"]
        if len(hosts) != 1 or not self._uri.accepts_host_header(hosts[0]):
            # DNS rebinding: a web page on another name resolving to 127.0.0.1.
            log.info(
                "refused a request with a missing or foreign Host header from %s", request.peer
            )
            return page(400, pages.error_page("Bad request", "This address is not served here."))

        path, _, query = request.target.partition("?")
        launching = self._launching(path)
        if launching is not None and launching.launch_target is not None:
            if request.method != "GET":
                return page(405, pages.error_page("Method not allowed", "Only GET is served here."))
            log.info("the browser opened the launch address; sending it to the sign-in link")
            launching.launched()
            return Response.redirect(launching.launch_target, 302)
        if path != self._uri.path:
            log.debug("%s %.80r: not the callback path (404)", request.method, path)
            return page(404, pages.error_page("Not found", "Nothing is served at this address."))
        if request.method != "GET":
            log.info("%s on the callback path refused (405)", request.method)
            response = page(405, pages.error_page("Method not allowed", "Only GET is served here."))
            response.headers.append(("allow", "GET"))
            return response

        try:
            callback = self._parse(query)
        except MalformedCallback as exc:
            log.info("malformed callback refused: %s", exc.reason)
            return page(
                400,
                pages.not_for_this_request_page(
                    "The address does not carry the answer of a connection."
                ),
            )
        return await self._route(callback)

    async def _route(self, callback: Callback) -> Response:
        if callback.state is not None:
            pending = self._pending.get(_digest(callback.state))
            if pending is None:
                return answers.turned_away(Verdict.FOREIGN_STATE, callback, "")
            return await pending.on_callback(callback, True)
        # No state: only the authorization being waited for can be asked about it.
        waited = [p for p in self._pending.values() if p.attended or p is self._first]
        if len(waited) == 1:
            return await waited[0].on_callback(callback, None)
        if isinstance(callback, ErrorCallback):
            return answers.turned_away(Verdict.STATELESS_ERROR, callback, "")
        log.info("a callback without state, and no single authorization to check it against")
        return answers.not_this_request("The answer could not be checked against this request.")


def _digest(state: str) -> bytes:
    return hashlib.sha256(state.encode("utf-8")).digest()


async def _refuse_all(request: Request) -> Response:
    raise DropConnection


def _port_error(exc: OSError, uri: LoopbackRedirectUri) -> OSError:
    code = exc.errno
    winerror = getattr(exc, "winerror", None)
    other_uri = uri.with_port(uri.port + 1 if uri.port < 65535 else 49152)
    if code == errno.EADDRINUSE or winerror == _WSAEADDRINUSE or code == _WSAEADDRINUSE:
        return PortInUse(
            uri.host,
            uri.port,
            f"Port {uri.port} on {uri.host} is already in use by another program, so the "
            "browser's redirect cannot be caught. Close the other program (it may be another "
            "copy of this tool), or choose another port (for example "
            f"{other_uri}): this tool registers the new redirect URI on Nylas itself.",
            code,
        )
    if code == errno.EACCES or winerror == _WSAEACCES or code == _WSAEACCES:
        where = (
            _windows_access_denied(uri.port)
            if sys.platform == "win32"
            else "the system does not allow this program to use it"
        )
        return PortInUse(
            uri.host,
            uri.port,
            f"Port {uri.port} on {uri.host} cannot be used: {where}. Choose another port (for "
            f"example {other_uri}): this tool registers the new redirect URI on Nylas itself.",
            code,
        )
    return exc


def _windows_access_denied(port: int) -> str:
    """Windows error 10013 on bind: either cause, and how to tell which."""
    return (
        "Windows refuses it (error 10013). Either the port is in a range Windows reserves "
        "(an excluded port range, often taken by Hyper-V, WSL or Docker; "
        "`netsh interface ipv4 show excludedportrange protocol=tcp` and "
        "`netsh interface ipv6 show excludedportrange protocol=tcp` list them), or another "
        "program holds the port exclusively (`netstat -ano | findstr :"
        f"{port}` shows it with its process id, the PID column of Task Manager's Details tab)"
    )
