"""The sandbox as a real HTTP server on 127.0.0.1: in the caller's loop, or in a thread.

It serves the imitation of Nylas API v3 (/v3/...), of the Connect API (/connect/...) and of
Zoom's consent page, with faults injected before or after a request is processed.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from wizard.http.server import DropConnection, HttpServer, Request, Response
from wizard.sandbox import pages
from wizard.sandbox.api import DEFAULT_EXPIRES_IN, ConnectApi
from wizard.sandbox.browser import BrowserLeg, html
from wizard.sandbox.credentials import DEMO_CREDENTIALS, DemoCredentials
from wizard.sandbox.errors import ApiError, error_response, type_for_status
from wizard.sandbox.faults import Fault, FaultInjector
from wizard.sandbox.state import Grant, Integration, SandboxState
from wizard.sandbox.v3 import (
    DEFAULT_V3_OPTIONS,
    V3Api,
    V3Connector,
    V3Grant,
    V3Options,
    V3State,
    new_callback_uri,
)
from wizard.sandbox.zoom import FakeZoom

log = logging.getLogger(__name__)

T = TypeVar("T")

_BROWSER_PATHS = ("/connect/login", "/connect/callback")


class SandboxServer:
    """Fake Nylas (API v3 and the Connect API) plus fake Zoom consent pages, served on
    127.0.0.1:`port`.

    `requests_seen` records (method, path) of every request to the fake Nylas (paths under
    /v3 and /connect, including the browser's login and callback), faulted or dropped ones too:
    it is what reached the server, so "a create is never sent twice" can be checked.
    `v3_options` chooses the v3 answers where Nylas is silent (see V3Options); it may be
    changed while serving.
    """

    def __init__(
        self,
        port: int = 0,
        *,
        credentials: DemoCredentials = DEMO_CREDENTIALS,
        zoom_user_email: str = "zoom.user@example.com",
        zoom_app_name: str = "Acme Scheduler",
        login_ttl: float = 900.0,
        state_on_success: bool = True,
        clock: Callable[[], float] = time.time,
        v3_callback_uri_paths: tuple[str, ...] = ("redirect-uris",),
        v3_options: V3Options = DEFAULT_V3_OPTIONS,
    ) -> None:
        self.credentials = credentials
        self.faults = FaultInjector()
        self.requests_seen: list[tuple[str, str]] = []
        self._clock = clock
        self._zoom_user_email = zoom_user_email
        self._state = SandboxState()
        self._http = HttpServer(self._handle, ["127.0.0.1"], port)
        self._zoom = FakeZoom(
            client_id=credentials.zoom_client_id,
            client_secret=credentials.zoom_client_secret,
            app_name=zoom_app_name,
            user_email=zoom_user_email,
            registered_redirects=lambda: (
                f"{self.url}/connect/callback",
                f"{self.url}/v3/connect/callback",
            ),
            clock=clock,
        )
        self._api = ConnectApi(self._state, credentials, lambda: self.url, clock, login_ttl)
        self._browser = BrowserLeg(
            self._state, self._zoom, lambda: self.url, clock, state_on_success
        )
        self._v3_state = V3State()
        self._v3 = V3Api(
            self._v3_state,
            credentials,
            self._zoom,
            lambda: self.url,
            clock,
            v3_callback_uri_paths,
            v3_options,
        )

    async def start(self) -> None:
        """Bind 127.0.0.1:port (0 picks a free port); OSError if it is taken."""
        await self._http.start()
        log.info("Nylas sandbox (v3 and Connect) serving at %s", self.url)

    async def close(self) -> None:
        """Stop serving; the port is free on return. Records stay readable."""
        await self._http.close()

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def port(self) -> int:
        if self._http.bound_port is None:
            raise RuntimeError("The sandbox is not started; call start() first.")
        return self._http.bound_port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # Read-only snapshots for tests (copies: changing them changes nothing).

    @property
    def integrations(self) -> dict[str, dict[str, Any]]:
        """By provider; unlike the API, includes the stored Zoom settings with the secret."""
        return {p: i.inspect() for p, i in self._state.integrations.items()}

    @property
    def grants(self) -> dict[str, dict[str, Any]]:
        return {g: copy.deepcopy(grant.public()) for g, grant in self._state.grants.items()}

    @property
    def auth_requests(self) -> dict[str, dict[str, Any]]:
        return {a: copy.deepcopy(auth.inspect()) for a, auth in self._state.auth_requests.items()}

    @property
    def zoom_user_email(self) -> str:
        return self._zoom_user_email

    @property
    def zoom_app_scopes(self) -> tuple[str, ...]:
        """What the sandbox's Zoom app grants at consent (a Zoom app missing a scope)."""
        return self._zoom.scopes

    @zoom_app_scopes.setter
    def zoom_app_scopes(self, scopes: tuple[str, ...]) -> None:
        self._zoom.scopes = tuple(scopes)

    @property
    def v3_connectors(self) -> dict[str, dict[str, Any]]:
        """By provider; unlike the API, includes the stored Zoom secret."""
        return {
            p: {**c.public(), "client_secret": c.client_secret}
            for p, c in self._v3_state.connectors.items()
        }

    @property
    def v3_options(self) -> V3Options:
        return self._v3.options

    @v3_options.setter
    def v3_options(self, options: V3Options) -> None:
        self._v3.options = options

    @property
    def v3_grants(self) -> dict[str, dict[str, Any]]:
        """The stored records, whatever `v3_options` make the API leave out."""
        return {g: grant.record() for g, grant in self._v3_state.grants.items()}

    @property
    def v3_callback_uris(self) -> list[str]:
        """The registered (active) URLs; soft-deleted ones are in v3_callback_uri_entries."""
        return [u["url"] for u in self._v3_state.callback_uris if u.get("deleted_at") is None]

    @property
    def v3_callback_uri_entries(self) -> list[dict[str, Any]]:
        """Every entry as the API lists it, deleted ones (with "deleted_at") included."""
        return copy.deepcopy(self._v3_state.callback_uris)

    def add_v3_connector(
        self, *, client_id: str | None = None, client_secret: str | None = None
    ) -> dict[str, Any]:
        """Pre-seed the Zoom connector (the sandbox's Zoom app unless told otherwise)."""
        if "zoom" in self._v3_state.connectors:
            raise ValueError("A Zoom connector already exists.")
        connector = V3Connector(
            "zoom",
            self.credentials.zoom_client_id if client_id is None else client_id,
            self.credentials.zoom_client_secret if client_secret is None else client_secret,
        )
        self._v3_state.connectors["zoom"] = connector
        return connector.public()

    def add_v3_callback_uri(
        self, url: str, platform: str = "web", *, deleted: bool = False
    ) -> dict[str, Any]:
        """Pre-seed a callback URI, skipping validation; `deleted`: already soft-deleted."""
        entry = new_callback_uri(url, platform)
        if deleted:
            entry["deleted_at"] = int(self._clock())
        self._v3_state.callback_uris.append(entry)
        return copy.deepcopy(entry)

    def add_v3_grant(
        self,
        *,
        email: str | None = None,
        state: str | None = None,
        at: int | None = None,
        scope: Iterable[str] | None = None,
        grant_status: str = "valid",
    ) -> dict[str, Any]:
        """Pre-seed a v3 Zoom grant, as if that user had consented and the code been
        exchanged; returns the stored record. `at`: its created_at and updated_at."""
        now = int(self._clock()) if at is None else at
        address = email or self._zoom_user_email
        if address.casefold() in self._v3_state.grant_by_email:
            raise ValueError(f"A v3 grant for {address} already exists (one per email).")
        grant = V3Grant(
            id=str(uuid.uuid4()),
            email=address,
            scope=list(self._zoom.scopes if scope is None else scope),
            created_at=now,
            updated_at=now,
            state=state,
            provider_user_id=uuid.uuid4().hex[:22],
            grant_status=grant_status,
        )
        return self._v3_state.add_grant(grant).record()

    def add_integration(
        self,
        provider: str = "zoom",
        *,
        name: str = "Existing Zoom integration",
        client_id: str | None = None,
        client_secret: str | None = None,
        redirect_uris: Iterable[str] = ("https://app.example.com/oauth/callback",),
        expires_in: int = DEFAULT_EXPIRES_IN,
        scope: Iterable[str] | None = None,
    ) -> dict[str, Any]:
        """Pre-seed an integration, skipping the API's validation. Zoom settings default to
        the sandbox's Zoom app; returns the test view."""
        if provider in self._state.integrations:
            raise ValueError(f"An integration for provider {provider!r} already exists.")
        integration = Integration(
            id=str(uuid.uuid4()),
            name=name,
            provider=provider,
            client_id=self.credentials.zoom_client_id if client_id is None else client_id,
            client_secret=(
                self.credentials.zoom_client_secret if client_secret is None else client_secret
            ),
            redirect_uris=list(redirect_uris),
            expires_in=expires_in,
            scope=None if scope is None else list(scope),
        )
        self._state.integrations[provider] = integration
        return integration.inspect()

    def add_grant(
        self,
        *,
        email: str | None = None,
        state: str | None = None,
        scope: Iterable[str] | None = None,
        account_id: str | None = None,
        grant_id: str | None = None,
    ) -> dict[str, Any]:
        """Pre-seed a valid Zoom grant, as if someone had consented; returns its API view."""
        now = int(self._clock())
        grant = Grant(
            id=grant_id or str(uuid.uuid4()),
            provider="zoom",
            email=email or self._zoom_user_email,
            scope=list(self._zoom.scopes if scope is None else scope),
            created_at=now,
            updated_at=now,
            state=state,
            account_id=account_id,
        )
        self._state.grants[grant.id] = grant
        return grant.public()

    # Request handling

    async def _handle(self, request: Request) -> Response:
        path = request.path
        if path.startswith(("/connect/", "/v3/")) or path in ("/connect", "/v3"):
            self.requests_seen.append((request.method, path))
        request_id = str(uuid.uuid4())
        try:
            fault = self.faults.take(request.method, path)
            if fault is not None and not fault.after:
                faulted = await _apply(fault, request_id)
                if faulted is not None:
                    return faulted
            try:
                response = self._route(request, request_id)
            except ApiError as error:
                response = error_response(error, request_id)
            if fault is not None and fault.after:
                # The request had its effect (a code spent, a grant made): only the answer
                # is late, replaced or lost, as a timeout or a proxy's 5xx would hide it.
                faulted = await _apply(fault, request_id)
                if faulted is not None:
                    return faulted
            return response
        except ApiError as error:
            return error_response(error, request_id)
        except DropConnection:
            raise
        except Exception:
            # Answer like a server with a bug would, rather than letting the core drop the socket.
            log.exception("sandbox failed on %s %s", request.method, path)
            bug = ApiError(
                "internal_error",
                "The sandbox failed on this request (a bug in the sandbox); see its log.",
            )
            return error_response(bug, request_id)

    def _route(self, request: Request, request_id: str) -> Response:
        path, method = request.path, request.method
        if path == "/" and method == "GET":
            page = pages.landing(
                self.url,
                self.credentials,
                show_secrets=self.credentials == DEMO_CREDENTIALS,
                zoom_app_name=self._zoom.app_name,
                zoom_user_email=self._zoom_user_email,
            )
            return html(200, page)
        if path == "/healthz" and method == "GET":
            return Response.json_body(200, {"status": "ok", "service": "nylas-connect-sandbox"})
        if path == "/zoom/oauth/authorize":
            return self._browser.zoom_authorize(request)
        if path in _BROWSER_PATHS:
            if method != "GET":
                raise ApiError(
                    "method_not_allowed",
                    f"{method} is not allowed on {path}; use GET.",
                    headers=(("allow", "GET"),),
                )
            if path == "/connect/login":
                return self._browser.login(request)
            return self._browser.callback(request)
        if path == "/connect" or path.startswith("/connect/"):
            return self._api.handle(request, request_id)
        if path.startswith("/v3/"):
            return self._v3.handle(request, request_id)
        return Response.text(404, "Not found. The sandbox serves /, /healthz and /connect/...")


async def _apply(fault: Fault, request_id: str) -> Response | None:
    """Act out an injected fault; None means: now answer the request normally."""
    if fault.kind == "drop":
        raise DropConnection
    if fault.kind == "slow":
        await asyncio.sleep(fault.delay)
        return None
    if fault.kind == "body":
        return Response(
            fault.status, fault.body, "application/json", [("x-request-id", request_id)]
        )
    if fault.kind == "retry_after":
        # Real servers send whole seconds; fractions pass through so tests can stay fast.
        raise ApiError(
            "rate_limit_exceeded",
            "Too many requests; wait for the time in the Retry-After header, then try again "
            "(injected by the sandbox).",
            status=429,
            headers=(("retry-after", f"{fault.retry_after:g}"),),
        )
    raise ApiError(
        type_for_status(fault.status),
        f"The service failed with HTTP {fault.status}; try again shortly "
        "(injected by the sandbox).",
        status=fault.status,
    )


class BackgroundSandbox:
    """A SandboxServer on its own event loop in a daemon thread, for synchronous code.

    Takes the same arguments as SandboxServer. Everything here may be called from any
    thread: reads and seeding run on the sandbox's loop, the fault injector has its own lock.
    """

    def __init__(
        self,
        port: int = 0,
        *,
        credentials: DemoCredentials = DEMO_CREDENTIALS,
        zoom_user_email: str = "zoom.user@example.com",
        zoom_app_name: str = "Acme Scheduler",
        login_ttl: float = 900.0,
        state_on_success: bool = True,
        clock: Callable[[], float] = time.time,
        v3_callback_uri_paths: tuple[str, ...] = ("redirect-uris",),
        v3_options: V3Options = DEFAULT_V3_OPTIONS,
    ) -> None:
        self._server = SandboxServer(
            port,
            credentials=credentials,
            zoom_user_email=zoom_user_email,
            zoom_app_name=zoom_app_name,
            login_ttl=login_ttl,
            state_on_success=state_on_success,
            clock=clock,
            v3_callback_uri_paths=v3_callback_uri_paths,
            v3_options=v3_options,
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Serve until stop(); OSError (e.g. port taken) surfaces here, in the caller."""
        if self._thread is not None:
            raise RuntimeError("The background sandbox is already running.")
        loop = asyncio.new_event_loop()
        thread = threading.Thread(
            target=_run_forever, args=(loop,), name="nylas-sandbox", daemon=True
        )
        thread.start()
        self._loop, self._thread = loop, thread
        try:
            asyncio.run_coroutine_threadsafe(self._server.start(), loop).result(_WAIT)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop serving and end the thread; the port is free on return. Safe to call twice."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._server.close(), loop).result(_WAIT)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(_WAIT)
            self._loop = self._thread = None

    def __enter__(self) -> BackgroundSandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def credentials(self) -> DemoCredentials:
        return self._server.credentials

    @property
    def faults(self) -> FaultInjector:
        return self._server.faults

    @property
    def requests_seen(self) -> list[tuple[str, str]]:
        return self._call(lambda: list(self._server.requests_seen))

    @property
    def integrations(self) -> dict[str, dict[str, Any]]:
        return self._call(lambda: self._server.integrations)

    @property
    def grants(self) -> dict[str, dict[str, Any]]:
        return self._call(lambda: self._server.grants)

    @property
    def auth_requests(self) -> dict[str, dict[str, Any]]:
        return self._call(lambda: self._server.auth_requests)

    def add_integration(self, provider: str = "zoom", **kwargs: Any) -> dict[str, Any]:
        return self._call(lambda: self._server.add_integration(provider, **kwargs))

    def add_grant(self, **kwargs: Any) -> dict[str, Any]:
        return self._call(lambda: self._server.add_grant(**kwargs))

    @property
    def v3_connectors(self) -> dict[str, dict[str, Any]]:
        return self._call(lambda: self._server.v3_connectors)

    @property
    def v3_grants(self) -> dict[str, dict[str, Any]]:
        return self._call(lambda: self._server.v3_grants)

    @property
    def v3_callback_uris(self) -> list[str]:
        return self._call(lambda: self._server.v3_callback_uris)

    @property
    def v3_callback_uri_entries(self) -> list[dict[str, Any]]:
        return self._call(lambda: self._server.v3_callback_uri_entries)

    @property
    def v3_options(self) -> V3Options:
        return self._call(lambda: self._server.v3_options)

    @v3_options.setter
    def v3_options(self, options: V3Options) -> None:
        def set_options() -> None:
            self._server.v3_options = options

        self._call(set_options)

    def add_v3_connector(self, **kwargs: Any) -> dict[str, Any]:
        return self._call(lambda: self._server.add_v3_connector(**kwargs))

    def add_v3_callback_uri(
        self, url: str, platform: str = "web", *, deleted: bool = False
    ) -> dict[str, Any]:
        return self._call(lambda: self._server.add_v3_callback_uri(url, platform, deleted=deleted))

    def add_v3_grant(self, **kwargs: Any) -> dict[str, Any]:
        return self._call(lambda: self._server.add_v3_grant(**kwargs))

    def _call(self, fn: Callable[[], T]) -> T:
        """Run `fn` on the sandbox's loop, where the records live, and return its result."""
        loop = self._loop
        if loop is None:
            # Stopped (or never started): nothing runs concurrently, read directly.
            return fn()

        async def run() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), loop).result(_WAIT)


_WAIT = 10.0  # seconds; the sandbox is local, anything longer is a hang


def _run_forever(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
