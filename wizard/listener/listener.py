"""The loopback listener that catches the browser's redirect from Nylas.

Unlike a one-shot `handle_request()` listener, it serves every connection concurrently with
bounded reads (the HttpServer core), so favicon requests, preconnects, port probes, idle
sockets and junk never end or stall the wait: only a genuine callback does, or the deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import errno
import hmac
import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from wizard.http.server import DropConnection, HttpServer, Request, Response, ServerLimits
from wizard.listener import pages
from wizard.listener.callback import (
    Callback,
    CallbackParser,
    CodeCallback,
    ErrorCallback,
    GrantCallback,
    MalformedCallback,
    parse_callback,
)
from wizard.listener.redirect_uri import LoopbackRedirectUri
from wizard.listener.verdict import (
    Accepted,
    Failed,
    Rejected,
    Resolution,
    Resolver,
    Verdict,
    judge,
)

__all__ = [
    "DEFAULT_LIMITS",
    "CallbackListener",
    "CallbackRefused",
    "CapturedGrant",
    "GrantCheck",
    "GrantVerifier",
    "ListenerTimeout",
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
    max_connections=512,
    keep_alive=True,
)

_WSAEADDRINUSE = 10048
_WSAEACCES = 10013


class GrantCheck(enum.Enum):
    MATCHES = "matches"
    MISMATCH = "mismatch"
    UNREACHABLE = "unreachable"


GrantVerifier = Callable[[GrantCallback], Awaitable[GrantCheck]]
OnGrant = Callable[["CapturedGrant"], Awaitable[None]]


@dataclass(frozen=True)
class CapturedGrant:
    grant_id: str
    provider: str
    state_echoed: bool  # False when the redirect carried no state
    # True: the resolver confirmed it with the API. None: the API was unreachable (accepted
    # unverified), or nobody could ask it (no resolver, the state matched).
    verified_by_api: bool | None
    # What the resolver learnt (the flow's verified grant); opaque to the listener.
    details: object = None


class CallbackRefused(Exception):
    """The provider or Nylas reported a failure (consent declined, invalid client, ...)."""

    def __init__(self, error: str, error_code: str | None, description: str) -> None:
        self.error = error
        self.error_code = error_code
        self.description = description
        code = error + (f", code {error_code}" if error_code else "")
        reason = description.rstrip(".") if description else "no reason was given"
        super().__init__(f"The Zoom connection was refused: {reason} ({code}).")


class ListenerTimeout(Exception):
    """No callback before the deadline; the message says what to do."""


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
    # A verifier that hangs is treated as an unreachable API, like the flow would.
    VERIFY_TIMEOUT = 20.0
    # How long `wait` lets the final page reach the browser before closing the port.
    FLUSH_GRACE = 2.0
    # A grant already claimed when the deadline passes: let `on_grant` finish recording it.
    ON_GRANT_GRACE = 30.0
    # Forged stateless callbacks must not fan out into unbounded API calls: a few at a time,
    # and only so many per listener (a genuine browser sends one or two; each costs the
    # account's rate limit).
    MAX_CONCURRENT_VERIFY = 4
    MAX_STATELESS_LOOKUPS = 16

    def __init__(
        self,
        redirect_uri: LoopbackRedirectUri,
        expected_state: str,
        *,
        expected_provider: str = "zoom",
        verify: GrantVerifier | None = None,
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
        API; `verify` is the older, narrower hook: it is asked only about stateless grants.
        `verify_timeout`: how long one resolution may take (v3's exchange: up to 90 s); a
        deadline that passes while one is under way waits for it."""
        if not expected_state:
            raise ValueError("expected_state must not be empty")
        self._uri = redirect_uri
        self._expected_state = expected_state.encode("utf-8")
        self._expected_provider = expected_provider
        self._parse = parse
        self._silent_hint = silent_hint
        self._resolve = resolve or (_legacy_resolver(verify) if verify is not None else None)
        self._on_grant = on_grant
        self._limits = limits or DEFAULT_LIMITS
        # Where `launch_url` sends the browser (the sign-in link): opening the browser on this
        # listener first is the only proof that it opened, and the URL handed to the operating
        # system then has no `&` for `cmd /c start` to cut.
        self._launch_target = launch_target
        self._server: HttpServer | None = None
        self._closed = False
        self.reached = asyncio.Event()
        self.port = redirect_uri.port
        # Outcome: set once, by the single winning callback (grant or refusal).
        self._claimed = False
        self._claimed_grant: str | None = None
        self._finished = asyncio.Event()
        self._result: CapturedGrant | Exception | None = None
        # Connections whose page must be out before the port closes: the winner's and
        # those of duplicates that were waiting for it.
        self._flush_tasks: set[asyncio.Task[object]] = set()
        # One resolution per grant id or code, shared by concurrent duplicates (a reload must
        # never exchange a code twice).
        self._resolutions: dict[tuple[str, str], asyncio.Future[Resolution]] = {}
        self._verify_slots = asyncio.Semaphore(self.MAX_CONCURRENT_VERIFY)
        self._verify_timeout = verify_timeout or self.VERIFY_TIMEOUT
        self._stateless_lookups = 0
        # Callbacks being resolved right now: the code they carry may already have become a
        # grant on Nylas's side, so the deadline does not cut them off.
        self._in_flight = 0
        self._settled = asyncio.Event()
        self._settled.set()

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
    def launch_url(self) -> str | None:
        """Open this in the browser: it redirects to `launch_target` (None without one)."""
        if self._launch_target is None:
            return None
        return f"http://{self._uri.netloc}{self._launch_path}"

    @property
    def _launch_path(self) -> str:
        return self._uri.path.rstrip("/") + LAUNCH_SUFFIX

    @property
    def redirect_uri(self) -> LoopbackRedirectUri:
        """The URI with the bound port (differs from the given one only when it had port 0)."""
        return self._uri

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
        """Wait for the callback; always closes the listener (also on error or cancel)."""
        try:
            await self.start()
            try:
                async with asyncio.timeout(timeout):
                    await self._finished.wait()
            except TimeoutError:
                await self._let_resolutions_finish()
                if not self._claimed:
                    raise self._timeout_error(timeout) from None
                # A winner is recording the grant right now: losing it would be worse.
                try:
                    async with asyncio.timeout(self.ON_GRANT_GRACE):
                        await self._finished.wait()
                except TimeoutError:
                    raise self._timeout_error(timeout) from None
            await self._flush_final_page()
            result = self._result
            assert result is not None
            if isinstance(result, Exception):
                raise result
            return result
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

    async def _let_resolutions_finish(self) -> None:
        if self._claimed or not self._in_flight:
            return
        log.info("the deadline passed while a callback was being resolved: waiting for it")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._verify_timeout + self.FLUSH_GRACE):
                await self._settled.wait()

    def _timeout_error(self, timeout: float) -> ListenerTimeout:
        if self.reached.is_set():
            hint = (
                "The browser reached this computer, but the sign-in was not finished. "
                "Start the connection again and complete the Zoom consent in the browser."
            )
        else:
            hint = self._silent_hint or (
                "The browser never came back to this computer, so it probably did not open. "
                "Open the sign-in link shown in the app in a browser yourself, then try again."
            )
        log.warning("no callback within %g s (browser reached: %s)", timeout, self.reached.is_set())
        return ListenerTimeout(f"No answer from the browser within {timeout:g} seconds. {hint}")

    async def _flush_final_page(self) -> None:
        # These responses are sent with `connection: close`, so each connection task ends once
        # its bytes are handed to the socket; closing before that would cut the page.
        pending = {task for task in self._flush_tasks if not task.done()}
        if pending:
            await asyncio.wait(pending, timeout=self.FLUSH_GRACE)

    async def _handle(self, request: Request) -> Response:
        if self._closed:
            raise DropConnection  # a connection accepted just as we closed
        if not self.reached.is_set():
            self.reached.set()
            log.info("the browser reached the listener (%s)", request.peer)

        hosts = [value for name, value in request.headers if name == "host"]
        if len(hosts) != 1 or not self._uri.accepts_host_header(hosts[0]):
            # DNS rebinding: a web page on another name resolving to 127.0.0.1.
            log.info(
                "refused a request with a missing or foreign Host header from %s", request.peer
            )
            return _page(400, pages.error_page("Bad request", "This address is not served here."))

        path, _, query = request.target.partition("?")
        if self._launch_target is not None and path == self._launch_path:
            if request.method != "GET":
                return _page(
                    405, pages.error_page("Method not allowed", "Only GET is served here.")
                )
            log.info("the browser opened the launch address; sending it to the sign-in link")
            return Response.redirect(self._launch_target, 302)
        if path != self._uri.path:
            log.debug("%s %.80r: not the callback path (404)", request.method, path)
            return _page(404, pages.error_page("Not found", "Nothing is served at this address."))
        if request.method != "GET":
            log.info("%s on the callback path refused (405)", request.method)
            response = _page(
                405, pages.error_page("Method not allowed", "Only GET is served here.")
            )
            response.headers.append(("allow", "GET"))
            return response

        try:
            callback = self._parse(query)
        except MalformedCallback as exc:
            log.info("malformed callback refused: %s", exc.reason)
            return _page(
                400,
                pages.not_for_this_request_page(
                    "The address does not carry the answer of a connection."
                ),
            )
        return await self._on_callback(callback)

    async def _on_callback(self, callback: Callback) -> Response:
        if self._claimed:
            return await self._duplicate(callback)
        state_ok = None if callback.state is None else self._state_matches(callback.state)
        verdict = judge(
            callback,
            state_matches=state_ok,
            expected_provider=self._expected_provider,
            can_resolve=self._resolve is not None,
        )
        match verdict:
            case Verdict.FOREIGN_STATE:
                log.info("callback with a state of another request refused")
                return _page(400, pages.not_for_this_request_page())
            case Verdict.STATELESS_ERROR:
                # Anyone who can reach this port could send it: it must not end the wait.
                assert isinstance(callback, ErrorCallback)
                log.warning(
                    "an error callback without state was ignored (%s): still waiting",
                    callback.error,
                )
                return _page(400, pages.stateless_error_ignored_page())
            case Verdict.REFUSAL:
                assert isinstance(callback, ErrorCallback)
                log.warning(
                    "the provider refused the connection: %s (code %s): %r",
                    callback.error,
                    callback.error_code,
                    callback.description,
                )
                self._claimed = True
                refusal = CallbackRefused(callback.error, callback.error_code, callback.description)
                self._finish(refusal)
                return _page(
                    200,
                    pages.refused_page(callback.description, callback.error, callback.error_code),
                    final=True,
                )
            case Verdict.WRONG_PROVIDER:
                log.info(
                    "callback for another provider refused (expected %r)", self._expected_provider
                )
                return _page(
                    400,
                    pages.not_for_this_request_page(
                        "It is for another kind of account than the one being connected."
                    ),
                )
            case Verdict.UNCHECKABLE:
                log.info("a callback without state cannot be verified here: refused")
                return _page(
                    400,
                    pages.not_for_this_request_page(
                        "The answer could not be checked against this request."
                    ),
                )
            case Verdict.ACCEPT_UNCHECKED:
                assert isinstance(callback, GrantCallback)
                resolution: Resolution = Accepted(callback.grant_id, callback.provider, None)
            case Verdict.RESOLVE:
                assert not isinstance(callback, ErrorCallback)
                if callback.state is None and not self._stateless_budget(callback):
                    return _page(
                        400,
                        pages.not_for_this_request_page(
                            "Too many answers without a sign of this request arrived; "
                            "this one was not checked."
                        ),
                    )
                return await self._resolve_and_conclude(callback)
        return await self._conclude(callback, resolution)

    async def _resolve_and_conclude(self, callback: GrantCallback | CodeCallback) -> Response:
        self._in_flight += 1
        self._settled.clear()
        try:
            resolution = await self._resolve_once(callback)
            if self._claimed:  # another callback won while we asked the API
                return await self._duplicate(callback)
            return await self._conclude(callback, resolution)
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._settled.set()

    async def _conclude(self, callback: Callback, resolution: Resolution) -> Response:
        if isinstance(resolution, Rejected):
            log.info("callback does not belong to this request: %s", resolution.reason)
            return _page(400, pages.not_for_this_request_page(resolution.reason))
        # Claimed with no await since the checks above: only one callback can get here.
        self._claimed = True
        if isinstance(resolution, Failed):
            log.warning("the connection could not be completed: %s", resolution.error)
            self._finish(resolution.error)
            return _page(200, pages.failed_page(), final=True)
        self._claimed_grant = resolution.grant_id
        captured = CapturedGrant(
            grant_id=resolution.grant_id,
            provider=resolution.provider,
            state_echoed=callback.state is not None,
            verified_by_api=resolution.verified,
            details=resolution.details,
        )
        log.info(
            "grant %s accepted (state echoed: %s, verified by API: %s)",
            captured.grant_id,
            captured.state_echoed,
            captured.verified_by_api,
        )
        if self._on_grant is not None:
            try:
                await self._on_grant(captured)
            except Exception:  # the grant exists; the browser and the caller still get it
                log.exception("on_grant failed for grant %s", captured.grant_id)
        self._finish(captured)
        return _page(200, pages.success_page(), final=True)

    def _finish(self, result: CapturedGrant | Exception) -> None:
        self._result = result
        self._flush_after_this()
        self._finished.set()

    def _flush_after_this(self) -> None:
        task = asyncio.current_task()  # the handler runs in its connection's task
        if task is not None:
            self._flush_tasks.add(task)

    async def _duplicate(self, callback: Callback) -> Response:
        # A reload or a second tab: never a second on_grant. The same grant gets the success
        # page again once the winner has recorded it (close() bounds this wait).
        self._flush_after_this()
        if isinstance(callback, GrantCallback) and callback.grant_id == self._claimed_grant:
            await self._finished.wait()
            return _page(200, pages.success_page(), final=True)
        log.info("callback after the connection was finished: answered 'already done'")
        return _page(409, pages.already_done_page(), final=True)

    def _state_matches(self, state: str) -> bool:
        # Bytes, because compare_digest refuses non-ASCII str.
        return hmac.compare_digest(state.encode("utf-8"), self._expected_state)

    def _stateless_budget(self, callback: GrantCallback | CodeCallback) -> bool:
        if _key(callback) in self._resolutions:
            return True  # already asked: costs nothing more
        if self._stateless_lookups >= self.MAX_STATELESS_LOOKUPS:
            if self._stateless_lookups == self.MAX_STATELESS_LOOKUPS:
                log.warning(
                    "more than %d callbacks without state: no more API lookups for them",
                    self.MAX_STATELESS_LOOKUPS,
                )
                self._stateless_lookups += 1
            return False
        self._stateless_lookups += 1
        return True

    async def _resolve_once(self, callback: GrantCallback | CodeCallback) -> Resolution:
        key = _key(callback)
        future = self._resolutions.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._resolutions[key] = future
            future.set_result(await self._run_resolver(callback))
        return await asyncio.shield(future)

    async def _run_resolver(self, callback: GrantCallback | CodeCallback) -> Resolution:
        assert self._resolve is not None
        async with self._verify_slots:
            try:
                async with asyncio.timeout(self._verify_timeout):
                    resolution = await self._resolve(callback)
            except Exception as exc:  # a timeout too: the API is unreachable or the code broke
                log.warning("resolving the callback failed (%s)", type(exc).__name__)
                resolution = _unresolved(callback, exc)
        log.info("callback resolved via the API: %s", type(resolution).__name__)
        return resolution


def _key(callback: GrantCallback | CodeCallback) -> tuple[str, str]:
    if isinstance(callback, GrantCallback):
        return ("grant", callback.grant_id)
    return ("code", callback.code)


def _unresolved(callback: GrantCallback | CodeCallback, exc: BaseException) -> Resolution:
    # A grant id in hand is never thrown away: it is accepted, marked unverified. A code whose
    # exchange failed cannot become a grant here.
    if isinstance(callback, GrantCallback):
        return Accepted(callback.grant_id, callback.provider, None)
    error = exc if isinstance(exc, Exception) else RuntimeError(str(exc))
    return Failed(error)


def _legacy_resolver(verify: GrantVerifier) -> Resolver:
    """`verify` asked only about grants that came without state; state-matching ones pass."""

    async def resolve(callback: GrantCallback | CodeCallback) -> Resolution:
        if not isinstance(callback, GrantCallback):
            raise TypeError("verify= handles Connect callbacks only; pass resolve=")
        if callback.state is not None:
            return Accepted(callback.grant_id, callback.provider, None)
        check = await verify(callback)
        if check is GrantCheck.MISMATCH:
            return Rejected("It does not belong to this request.")
        verified = True if check is GrantCheck.MATCHES else None
        return Accepted(callback.grant_id, callback.provider, verified)

    return resolve


def _page(status: int, html: str, *, final: bool = False) -> Response:
    response = Response.html(status, html)
    response.headers.extend(pages.SECURITY_HEADERS)
    if final:
        # Close after the final page, so `wait` knows when the bytes are out.
        response.headers.append(("connection", "close"))
    return response


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
            "copy of this tool), or choose another port in the redirect URI (for example "
            f"{other_uri}) and add that URI to the integration's redirect URIs.",
            code,
        )
    if code == errno.EACCES or winerror == _WSAEACCES or code == _WSAEACCES:
        where = (
            "Windows reserves it (an excluded port range, often taken by Hyper-V, WSL or "
            "Docker; `netsh interface ipv4 show excludedportrange protocol=tcp` lists them)"
            if sys.platform == "win32"
            else "the system does not allow this program to use it"
        )
        return PortInUse(
            uri.host,
            uri.port,
            f"Port {uri.port} on {uri.host} cannot be used: {where}. Choose another port in "
            f"the redirect URI (for example {other_uri}) and add that URI to the "
            "integration's redirect URIs.",
            code,
        )
    return exc
