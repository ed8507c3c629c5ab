"""The sandbox as a real HTTP server on 127.0.0.1 (for a thread of its own: background.py).

It serves the imitation of Nylas API v3 (/v3/..., wizard/sandbox/v3), of the Connect API
(/connect/..., wizard/sandbox/connect) and of Zoom's consent page, with faults injected before
or after a request is processed.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from wizard.http.server import DropConnection, HttpServer, Request, Response
from wizard.resources import landing_page_path
from wizard.sandbox import pages
from wizard.sandbox.connect.api import ConnectApi
from wizard.sandbox.connect.errors import ApiError, error_response, type_for_status
from wizard.sandbox.consent import ZoomConsent
from wizard.sandbox.context import Context
from wizard.sandbox.credentials import DEMO_CREDENTIALS
from wizard.sandbox.faults import Fault, FaultInjector
from wizard.sandbox.options import DEFAULT_OPTIONS, SandboxOptions
from wizard.sandbox.routes import Call, Route, RouteTable, anyone
from wizard.sandbox.seeding import practice_grants
from wizard.sandbox.v3.api import V3Api
from wizard.sandbox.v3.options import V3Options
from wizard.sandbox.web import html
from wizard.sandbox.zoom import FakeZoom

log = logging.getLogger(__name__)

# Where the sandbox serves resources/landing/zoom-onboard-answer.html, standing for the company's
# https site that hosts it (consent by link: the customer's browser ends there).
LANDING_PATH = "/landing/zoom-onboard-answer.html"


class SandboxServer:
    """Fake Nylas (API v3 and the Connect API) plus fake Zoom consent pages, served on
    127.0.0.1:`options.port`, and the landing page a company hosts (`landing_url`).

    `requests_seen` records (method, path) of every request to the fake Nylas (paths under
    /v3 and /connect, including the browser's login and callback) and to the landing page,
    faulted or dropped ones too: it is what reached the server, so "a create is never sent
    twice" (or "the customer's browser never reached the app") can be checked.
    `v3_options` chooses the v3 answers where Nylas is silent (see V3Options); it may be
    changed while serving. Each API's records seed themselves; the server names their seeding
    and their test views (copies: changing them changes nothing) for tests and trainers.
    """

    def __init__(self, options: SandboxOptions = DEFAULT_OPTIONS) -> None:
        self.credentials = options.credentials
        self.faults = FaultInjector()
        self.requests_seen: list[tuple[str, str]] = []
        self._http = HttpServer(self._handle, ["127.0.0.1"], options.port)
        self._zoom = FakeZoom(
            client_id=options.credentials.zoom_client_id,
            client_secret=options.credentials.zoom_client_secret,
            app_name=options.zoom_app_name,
            user_email=options.zoom_user_email,
            registered_redirects=lambda: (
                f"{self.url}/connect/callback",
                f"{self.url}/v3/connect/callback",
            ),
            clock=options.clock,
        )
        context = Context(options.credentials, self._zoom, lambda: self.url, options.clock)
        self._connect = ConnectApi(context, options)
        self._v3 = V3Api(context, options)
        self._site = RouteTable(
            [
                Route("/", {"GET": self._landing}),
                Route("/healthz", {"GET": _health}),
                Route(LANDING_PATH, {"GET": _answer_page}),
                Route("/zoom/oauth/authorize", {"*": ZoomConsent(self._zoom).authorize}),
                *self._connect.browser.routes(),
            ]
        )
        # Seeding, each API's own.
        self.add_integration = self._connect.state.add_integration
        self.add_grant = self._connect.state.add_grant
        self.add_v3_connector = self._v3.state.add_connector
        self.add_v3_callback_uri = self._v3.state.add_callback_uri
        self.add_v3_grant = self._v3.state.add_grant
        self._seed(options)

    def _seed(self, options: SandboxOptions) -> None:
        """The practice grants, the same Zoom users on both APIs."""
        seeds = practice_grants(options.seed_grants, options.seed_invalid, options.clock())
        for seed in seeds:
            common = {"email": seed.email, "grant_id": seed.id, "grant_status": seed.grant_status}
            self.add_v3_grant(**common, at=seed.created_at, updated_at=seed.updated_at)
            self.add_grant(
                **common,
                account_id=seed.account_id,
                at=seed.created_at,
                updated_at=seed.updated_at,
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

    @property
    def landing_url(self) -> str:
        """The landing page, served as a company's site would: register it as a callback URI
        (v3) or pass it as the redirect URI (Connect) to practise consent by link."""
        return f"{self.url}{LANDING_PATH}"

    @property
    def zoom_user_email(self) -> str:
        return self._zoom.user_email

    @property
    def zoom_app_scopes(self) -> tuple[str, ...]:
        """What the sandbox's Zoom app grants at consent (a Zoom app missing a scope)."""
        return self._zoom.scopes

    @zoom_app_scopes.setter
    def zoom_app_scopes(self, scopes: tuple[str, ...]) -> None:
        self._zoom.scopes = tuple(scopes)

    @property
    def v3_options(self) -> V3Options:
        return self._v3.options

    @v3_options.setter
    def v3_options(self, options: V3Options) -> None:
        self._v3.options = options

    # The test views of each API's records.

    @property
    def integrations(self) -> dict[str, dict[str, Any]]:
        return self._connect.state.integration_views()

    @property
    def grants(self) -> dict[str, dict[str, Any]]:
        return self._connect.state.grant_views()

    @property
    def auth_requests(self) -> dict[str, dict[str, Any]]:
        return self._connect.state.auth_request_views()

    @property
    def v3_connectors(self) -> dict[str, dict[str, Any]]:
        return self._v3.state.connector_views()

    @property
    def v3_grants(self) -> dict[str, dict[str, Any]]:
        return self._v3.state.grant_records()

    @property
    def v3_callback_uris(self) -> list[str]:
        return self._v3.state.active_callback_uris()

    @property
    def v3_callback_uri_entries(self) -> list[dict[str, Any]]:
        return self._v3.state.callback_uri_entries()

    # Request handling

    async def _handle(self, request: Request) -> Response:
        path = request.path
        if path.startswith(("/connect/", "/v3/")) or path in ("/connect", "/v3", LANDING_PATH):
            self.requests_seen.append((request.method, path))
        request_id = str(uuid.uuid4())
        try:
            fault = self.faults.take(request.method, path)
            if fault is not None and not fault.after:
                faulted = await _act_out(fault, request_id)
                if faulted is not None:
                    return faulted
            try:
                response = self._site.dispatch(
                    request, request_id, path, guard=anyone, miss=self._mounted
                )
            except ApiError as error:
                response = error_response(error, request_id)
            if fault is not None and fault.after:
                # The request had its effect (a code spent, a grant made): only the answer
                # is late, replaced or lost, as a timeout or a proxy's 5xx would hide it.
                faulted = await _act_out(fault, request_id)
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

    def _mounted(self, call: Call, route: Route | None) -> Response:
        """Whatever the site's own pages do not answer: each API under its prefix."""
        path = call.request.path
        if path == "/connect" or path.startswith("/connect/"):
            return self._connect.handle(call.request, call.request_id)
        if path.startswith("/v3/"):
            return self._v3.handle(call.request, call.request_id)
        return Response.text(404, "Not found. The sandbox serves /, /healthz and /connect/...")

    def _landing(self, call: Call) -> Response:
        page = pages.landing(
            self.url,
            self.credentials,
            show_secrets=self.credentials == DEMO_CREDENTIALS,
            zoom_app_name=self._zoom.app_name,
            zoom_user_email=self._zoom.user_email,
        )
        return html(200, page)


def _answer_page(call: Call) -> Response:
    """The shipped file, unchanged: its own meta tags carry its CSP and referrer policy."""
    try:
        page = landing_page_path().read_bytes()
    except OSError as exc:  # a broken installation: the rest of the sandbox still serves
        return Response.text(404, f"The landing page is missing: {exc}")
    return Response(200, page, "text/html; charset=utf-8")


def _health(call: Call) -> Response:
    return Response.json_body(200, {"status": "ok", "service": "nylas-connect-sandbox"})


async def _act_out(fault: Fault, request_id: str) -> Response | None:
    """Act out an injected fault; None means: now answer the request normally. Its errors
    come in the Connect API's envelope, whichever API the path belongs to."""
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
