"""The sandbox's Nylas API v3: API key auth, connectors, callback URIs (soft deleted), hosted
auth with PKCE, the one-time code exchange and grants (one per email per application).

Written from the contract (docs/api-contract.md, and what Nylas documents about grants), sharing
no code with the client it imitates: its PKCE check is its own. As Nylas documents it: a grant is
made (or re-authenticated) by a successful `POST /v3/connect/token`, not at consent; a renewal
keeps the id and `created_at` and moves `updated_at`; `GET /v3/grants` filters `since`/`before`
on `created_at` (a renewal is not found by `since`), sorts newest first, pages by offset with
no cursor; adding a callback URI answers 200 and deleting one sets `deleted_at`.
Sandbox choices where Nylas publishes nothing: a second Zoom connector is 409
`api.conflict_error`; `since` is inclusive and `before` exclusive; deleting a deleted callback
URI is a no-op; codes live 10 minutes. Where Nylas is silent and a client must cope either way,
V3Options lets the sandbox answer both ways.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from wizard.http.server import Request, Response
from wizard.sandbox import pages
from wizard.sandbox.browser import _with_query, html
from wizard.sandbox.credentials import DemoCredentials
from wizard.sandbox.faults import Fault
from wizard.sandbox.zoom import FakeZoom, ZoomOAuthError

CODE_TTL = 600.0
MAX_STATE = 256
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]", "::1")
CALLBACK_URI_PATHS = ("redirect-uris", "callback-uris")
GRANTS_LIMIT_DEFAULT = 10
GRANTS_LIMIT_MAX = 200
_GRANT_SORTS = ("created_at", "updated_at")
_ORDERS = ("asc", "desc")
_GRANT_STATUSES = ("valid", "invalid")
EXCHANGE_PATH = "/v3/connect/token"


@dataclass(frozen=True)
class V3Options:
    """Where Nylas is silent (UNCONFIRMED): let the sandbox answer both ways, so a client can be
    tested against each. Read on every request, so a test may switch them mid-run."""

    # A re-authentication keeps the grant's first `state` ("initial"), or overwrites it.
    renewal_state: Literal["initial", "overwritten"] = "initial"
    # False: grants are answered without "grant_status" (the spec makes it optional).
    grant_status_field: bool = True
    # True: grants are answered with "scope": null (seen by Nylas's Java SDK).
    scope_null: bool = False
    # True: when the hosted auth's login_hint names a user who already has a grant and another
    # Zoom user signs in, the exchange answers 400 grant.reauth_email_invalid (nothing changes).
    reauth_email_check: bool = False


DEFAULT_V3_OPTIONS = V3Options()


class V3Error(Exception):
    """An error answer in v3's envelope (or, for the token endpoint, OAuth style)."""

    def __init__(self, status: int, type_: str, message: str, *, oauth: bool = False) -> None:
        super().__init__(message)
        self.status, self.type, self.message, self.oauth = status, type_, message, oauth

    def body(self, request_id: str) -> dict[str, Any]:
        if self.oauth:
            return {
                "error": self.type,
                "error_description": self.message,
                "error_uri": "https://developer.nylas.com/docs/api/v3/",
                "error_code": self.status,
            }
        return {"request_id": request_id, "error": {"type": self.type, "message": self.message}}

    def response(self, request_id: str) -> Response:
        return _json(self.status, self.body(request_id), request_id)


# Realistic messages for the error types a client should tell apart (Nylas's errors page).
_ERROR_MESSAGES = {
    "token.unauthorized_access": "Unauthorized access: the API key is not valid for this "
    "application or region.",
    "grant.reauth_email_invalid": "The email address of the user who signed in does not match "
    "the email of the grant being re-authenticated.",
    "grant.access_denied": "Access denied: the user or the provider refused access to the account.",
    "api.resource_blocked": "The resource is blocked: the application or grant is suspended.",
    "grant.login_id_invalid": "The login session is invalid or expired; start the "
    "authentication again.",
    "token.exchange_failed": "The code exchange failed: the code is not valid.",
    "grant.callback_uri_not_allowed": "The redirect_uri is not registered on this application.",
    "grant.scopes_conflict": "The requested scopes conflict with the connector's scopes.",
    "grant.not_found": "No such grant.",
    "api.authentication_error": "Unauthorized: the API key is missing or not valid.",
    "api.invalid_request_error": "The request is not valid.",
    "nylas_rate_limit_exceeded": "Too many requests; try again later.",
}


def v3_error_fault(
    error_type: str,
    status: int,
    *,
    path_prefix: str,
    method: str | None = None,
    times: int = 1,
) -> Fault:
    """A fault answering Nylas's error body for `error_type` instead of processing the request:
    OAuth style at the token endpoint, the `{request_id, error}` envelope elsewhere."""
    message = _ERROR_MESSAGES.get(error_type, f"Nylas answered {error_type} (injected).")
    error = V3Error(status, error_type, message, oauth=path_prefix.startswith(EXCHANGE_PATH))
    body = json.dumps(error.body(str(uuid.uuid4()))).encode()
    return Fault(
        method=method, path_prefix=path_prefix, kind="body", status=status, times=times, body=body
    )


def challenge_for(verifier: str) -> str:
    """Nylas's rule: base64 of the hex SHA-256, without padding (not RFC 7636)."""
    hex_digest = hashlib.sha256(verifier.encode()).hexdigest().encode()
    return base64.b64encode(hex_digest).decode().rstrip("=")


@dataclass
class V3Connector:
    provider: str
    client_id: str
    client_secret: str = field(repr=False)
    scope: list[str] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "settings": {"client_id": self.client_id},
            "scope": list(self.scope),
        }


@dataclass
class V3Grant:
    id: str
    email: str
    scope: list[str]
    created_at: int
    updated_at: int
    state: str | None
    provider_user_id: str
    ip: str | None = None
    user_agent: str | None = None
    provider: str = "zoom"
    grant_status: str = "valid"
    # Order of the last create or renewal: sorting stays exact within one clock second.
    touched: int = field(default=0, repr=False)

    def record(self) -> dict[str, Any]:
        """The whole record, as stored (the test view)."""
        data = {
            "id": self.id,
            "provider": self.provider,
            "email": self.email,
            "grant_status": self.grant_status,
            "scope": list(self.scope),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "provider_user_id": self.provider_user_id,
            "ip": self.ip,
            "user_agent": self.user_agent,
        }
        if self.state is not None:
            data["state"] = self.state
        return data

    def public(self, options: V3Options | None = None) -> dict[str, Any]:
        """The API's view, shaped by the options where Nylas's answer is unsettled."""
        data = self.record()
        if options is not None:
            if not options.grant_status_field:
                del data["grant_status"]
            if options.scope_null:
                data["scope"] = None
        return data


@dataclass
class _Session:
    """One hosted-auth visit, from /v3/connect/auth to Zoom and back."""

    redirect_uri: str
    state: str | None
    login_hint: str | None
    access_type: str
    code_challenge: str


@dataclass
class _Code:
    """A one-time code and the consent it stands for: the grant is made only when it is
    exchanged (Nylas: "when the token exchange completes successfully")."""

    redirect_uri: str
    code_challenge: str
    access_type: str
    issued_at: float
    email: str
    scope: list[str]
    state: str | None
    login_hint: str | None
    ip: str | None
    user_agent: str | None
    used: bool = False


@dataclass
class V3State:
    connectors: dict[str, V3Connector] = field(default_factory=dict)
    # Entries as the API shows them; a deleted one keeps its place with "deleted_at".
    callback_uris: list[dict[str, Any]] = field(default_factory=list)
    grants: dict[str, V3Grant] = field(default_factory=dict)
    # Indexed, not scanned: a day of practice must stay linear.
    grant_by_email: dict[str, str] = field(default_factory=dict)
    sessions: dict[str, _Session] = field(default_factory=dict)
    codes: dict[str, _Code] = field(default_factory=dict)
    touches: int = 0

    def active_callback_uri(self, url: str) -> bool:
        return any(u["url"] == url and u.get("deleted_at") is None for u in self.callback_uris)

    def add_grant(self, grant: V3Grant) -> V3Grant:
        grant.touched = self.touch()
        self.grants[grant.id] = grant
        self.grant_by_email[grant.email.casefold()] = grant.id
        return grant

    def grant_for(self, email: str) -> V3Grant | None:
        grant_id = self.grant_by_email.get(email.casefold())
        return self.grants.get(grant_id) if grant_id else None

    def touch(self) -> int:
        self.touches += 1
        return self.touches


class V3Api:
    def __init__(
        self,
        state: V3State,
        credentials: DemoCredentials,
        zoom: FakeZoom,
        base_url: Callable[[], str],
        clock: Callable[[], float],
        callback_uri_paths: tuple[str, ...] = ("redirect-uris",),
        options: V3Options = DEFAULT_V3_OPTIONS,
    ) -> None:
        self.state = state
        self.credentials = credentials
        self.zoom = zoom
        self.base_url = base_url
        self.clock = clock
        self.callback_uri_paths = callback_uri_paths
        self.options = options

    @property
    def callback_url(self) -> str:
        return f"{self.base_url()}/v3/connect/callback"

    def handle(self, request: Request, request_id: str) -> Response:
        try:
            return self._route(request, request_id)
        except V3Error as error:
            return error.response(request_id)

    # -- routing ---------------------------------------------------------------------------

    def _route(self, request: Request, request_id: str) -> Response:
        path, method = request.path.rstrip("/"), request.method
        if path == "/v3/connect/auth":
            return self._only("GET", method) or self.hosted_auth(request)
        if path == "/v3/connect/callback":
            return self._only("GET", method) or self.zoom_callback(request)
        if path == EXCHANGE_PATH:
            if method != "POST":
                raise V3Error(405, "invalid_request", "Use POST.", oauth=True)
            return self.token(request, request_id)
        self._authenticate(request)
        parts = path.split("/")[2:]  # after "", "v3"
        if parts == ["applications"] and method == "GET":
            return _ok(self._application(), request_id)
        if len(parts) in (2, 3) and parts[0] == "applications" and parts[1] in CALLBACK_URI_PATHS:
            if parts[1] not in self.callback_uri_paths:
                raise V3Error(404, "api.not_found_error", f"No route {path}.")
            if len(parts) == 3:
                return self._callback_uri(parts[2], method, request_id)
            if method == "GET":
                return _ok_list(copy.deepcopy(self.state.callback_uris), request_id)
            if method == "POST":
                return _ok(self._add_callback_uri(_body(request)), request_id)
        if parts == ["connectors"]:
            if method == "GET":
                items = [c.public() for c in self.state.connectors.values()]
                return _ok_list(items, request_id)
            if method == "POST":
                return _ok(self._create_connector(_body(request)), request_id, 201)
        if len(parts) == 2 and parts[0] == "connectors":
            connector = self.state.connectors.get(parts[1])
            if connector is None:
                raise V3Error(404, "api.not_found_error", f"No connector for {parts[1]!r}.")
            if method == "GET":
                return _ok(connector.public(), request_id)
            if method == "PATCH":
                return _ok(self._update_connector(connector, _body(request)), request_id)
            if method == "DELETE":
                del self.state.connectors[parts[1]]
                return _json(200, {"request_id": request_id}, request_id)
        if parts == ["grants"] and method == "GET":
            return self._list_grants(request, request_id)
        if len(parts) == 2 and parts[0] == "grants":
            grant = self.state.grants.get(parts[1])
            if grant is None:
                raise V3Error(404, "grant.not_found", "No such grant.")
            if method == "GET":
                return _ok(grant.public(self.options), request_id)
            if method == "DELETE":
                del self.state.grants[grant.id]
                self.state.grant_by_email.pop(grant.email.casefold(), None)
                return _json(200, {"request_id": request_id}, request_id)
        raise V3Error(404, "api.not_found_error", f"No route {method} {path}.")

    @staticmethod
    def _only(allowed: str, method: str) -> Response | None:
        if method != allowed:
            return Response.text(405, f"Method not allowed; use {allowed}.")
        return None

    def _authenticate(self, request: Request) -> None:
        header = request.header("authorization") or ""
        scheme, _, key = header.partition(" ")
        expected = self.credentials.v3_api_key
        if scheme.lower() != "bearer" or not hmac.compare_digest(key.encode(), expected.encode()):
            raise V3Error(
                401,
                "api.authentication_error",
                "Unauthorized: the API key is missing or not valid for this region.",
            )

    # -- administrative endpoints ------------------------------------------------------------

    def _application(self) -> dict[str, Any]:
        return {
            "application_id": self.credentials.v3_application_id,
            "organization_id": "sandbox-organization",
            "region": "us",
            "environment": "sandbox",
            "callback_uris": copy.deepcopy(self.state.callback_uris),
        }

    def _callback_uri(self, uri_id: str, method: str, request_id: str) -> Response:
        entry = next((u for u in self.state.callback_uris if u["id"] == uri_id), None)
        if entry is None:
            raise V3Error(404, "api.not_found_error", f"No callback URI with id {uri_id!r}.")
        if method == "GET":
            return _ok(copy.deepcopy(entry), request_id)
        if method == "DELETE":
            # Soft delete: the entry stays listed, but no longer counts as registered.
            entry.setdefault("deleted_at", int(self.clock()))
            return _json(200, {"request_id": request_id}, request_id)
        raise V3Error(404, "api.not_found_error", f"No route {method} for a callback URI.")

    def _add_callback_uri(self, body: dict[str, Any]) -> dict[str, Any]:
        url, platform = body.get("url"), body.get("platform", "web")
        if not isinstance(url, str) or not url:
            raise V3Error(400, "api.invalid_request_error", "url is required.")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise V3Error(400, "api.invalid_request_error", f"{url!r} is not a URL.")
        if (
            parts.scheme == "http"
            and parts.netloc.rpartition(":")[0] not in _LOCAL_HOSTS
            and (parts.hostname not in _LOCAL_HOSTS)
        ):
            raise V3Error(
                400, "api.invalid_request_error", "Plain http is allowed only for localhost."
            )
        if platform not in ("web", "desktop", "js", "ios", "android"):
            raise V3Error(400, "api.invalid_request_error", f"Unknown platform {platform!r}.")
        if self.state.active_callback_uri(url):
            raise V3Error(400, "api.invalid_request_error", "This callback URI already exists.")
        entry = new_callback_uri(url, platform)
        self.state.callback_uris.append(entry)
        return copy.deepcopy(entry)

    def _create_connector(self, body: dict[str, Any]) -> dict[str, Any]:
        provider = body.get("provider")
        if provider != "zoom":
            raise V3Error(400, "api.invalid_request_error", "The sandbox supports provider 'zoom'.")
        if body.get("scope"):
            raise V3Error(
                400,
                "api.invalid_request_error",
                "Zoom connectors take no scopes: set them on the Zoom app.",
            )
        settings = body.get("settings")
        if not isinstance(settings, dict) or not all(
            isinstance(settings.get(k), str) and settings.get(k)
            for k in ("client_id", "client_secret")
        ):
            raise V3Error(
                400,
                "api.invalid_request_error",
                "settings.client_id and client_secret are required.",
            )
        if provider in self.state.connectors:
            raise V3Error(409, "api.conflict_error", "A Zoom connector already exists.")
        connector = V3Connector(provider, settings["client_id"], settings["client_secret"])
        self.state.connectors[provider] = connector
        return connector.public()

    def _update_connector(self, connector: V3Connector, body: dict[str, Any]) -> dict[str, Any]:
        settings = body.get("settings")
        if settings is not None:
            if not isinstance(settings, dict) or not settings.get("client_id"):
                raise V3Error(400, "api.invalid_request_error", "settings must be whole.")
            # The whole object is replaced, as Nylas does with nested objects.
            connector.client_id = str(settings["client_id"])
            connector.client_secret = str(settings.get("client_secret") or "")
        if "scope" in body:
            connector.scope = list(body.get("scope") or [])
        return connector.public()

    def _list_grants(self, request: Request, request_id: str) -> Response:
        q = request.query_one
        provider, email, status = q("provider"), q("email"), q("grant_status")
        since, before = _int(q("since"), "since"), _int(q("before"), "before")
        sort_by = _choice(q("sort_by"), "sort_by", _GRANT_SORTS, "created_at")
        order_by = _choice(q("order_by"), "order_by", _ORDERS, "desc")
        limit = _int(q("limit"), "limit")
        limit = GRANTS_LIMIT_DEFAULT if limit is None else limit
        if not 1 <= limit <= GRANTS_LIMIT_MAX:
            raise V3Error(
                400,
                "api.invalid_request_error",
                f"limit must be between 1 and {GRANTS_LIMIT_MAX}; it was {limit}.",
            )
        offset = _int(q("offset"), "offset") or 0
        if status and status not in _GRANT_STATUSES:
            raise V3Error(
                400,
                "api.invalid_request_error",
                f"grant_status must be one of {', '.join(_GRANT_STATUSES)}; it was {status!r}.",
            )
        grants = list(self.state.grants.values())
        if provider:
            grants = [g for g in grants if g.provider == provider]
        if email:
            grants = [g for g in grants if g.email.casefold() == email.casefold()]
        if status:
            grants = [g for g in grants if g.grant_status == status]
        # Both on created_at, as documented: a renewed grant is not found by `since`.
        if since is not None:
            grants = [g for g in grants if g.created_at >= since]
        if before is not None:
            grants = [g for g in grants if g.created_at < before]
        if sort_by == "created_at":
            grants.sort(key=lambda g: g.created_at)  # stable: ties stay in creation order
        else:
            grants.sort(key=lambda g: (g.updated_at, g.touched))
        if order_by == "desc":
            grants.reverse()
        page = [g.public(self.options) for g in grants[offset : offset + limit]]
        return _ok_list(page, request_id, limit=limit, offset=offset, cursor=False)

    # -- the browser leg ---------------------------------------------------------------------

    def hosted_auth(self, request: Request) -> Response:
        q = request.query_one
        problem = None
        redirect_uri = q("redirect_uri") or ""
        if q("client_id") != self.credentials.v3_application_id:
            problem = "The client_id is not the id of this application."
        elif not self.state.active_callback_uri(redirect_uri):
            problem = (
                f"grant.callback_uri_not_allowed: the redirect_uri {redirect_uri!r} is not "
                "registered on this application. Add it to the application's callback URIs."
            )
        elif q("response_type") != "code":
            problem = "response_type must be code."
        elif q("provider") != "zoom":
            problem = "The sandbox supports provider zoom."
        elif not q("code_challenge") or (q("code_challenge_method") or "").upper() != "S256":
            problem = "code_challenge and code_challenge_method=S256 are required."
        elif len(q("state") or "") > MAX_STATE:
            problem = f"state may have at most {MAX_STATE} characters."
        elif "zoom" not in self.state.connectors:
            problem = "This application has no Zoom connector."
        if problem is not None:
            # Never redirect to an unregistered URI: the error stays on Nylas's page.
            return html(400, pages.nylas_error("Sign-in cannot start", problem))
        connector = self.state.connectors["zoom"]
        zoom_state = secrets.token_urlsafe(24)
        self.state.sessions[zoom_state] = _Session(
            redirect_uri=redirect_uri,
            state=q("state"),
            login_hint=q("login_hint"),
            access_type=q("access_type") or "online",
            code_challenge=q("code_challenge") or "",
        )
        params = {
            "response_type": "code",
            "client_id": connector.client_id,
            "redirect_uri": self.callback_url,
            "state": zoom_state,
        }
        if q("login_hint"):
            params["login_hint"] = q("login_hint") or ""
        query = "&".join(f"{k}={_quote(v)}" for k, v in params.items())
        return Response.redirect(f"{self.base_url()}/zoom/oauth/authorize?{query}")

    def zoom_callback(self, request: Request) -> Response:
        session = self.state.sessions.pop(request.query_one("state") or "", None)
        if session is None:
            return html(
                400,
                pages.nylas_error(
                    "Sign-in not recognised",
                    "This sign-in does not belong to any sign-in link, or was already used. "
                    "Start the connection again from the app.",
                ),
            )
        back_state = [] if session.state is None else [("state", session.state)]
        error = request.query_one("error")
        if error:
            description = (
                "The Zoom user declined to connect the app."
                if error == "access_denied"
                else f"Zoom answered {error!r} instead of signing the user in."
            )
            return Response.redirect(
                _with_query(
                    session.redirect_uri,
                    [("error", error), ("error_description", description), *back_state],
                )
            )
        connector = self.state.connectors.get("zoom")
        try:
            if connector is None:
                raise ZoomOAuthError(4702, "The Zoom connector was deleted during sign-in")
            consent = self.zoom.exchange(
                request.query_one("code") or "",
                connector.client_id,
                connector.client_secret,
                self.callback_url,
            )
        except ZoomOAuthError as exc:
            return Response.redirect(
                _with_query(
                    session.redirect_uri,
                    [
                        ("error", "provider_error"),
                        ("error_code", str(exc.code)),
                        (
                            "error_description",
                            f"Zoom refused the code exchange ({exc.reason}, {exc.code}): check "
                            "the Zoom client id and secret on the Zoom connector.",
                        ),
                        *back_state,
                    ],
                )
            )
        # The consent waits in the code: no grant until the app exchanges it.
        code = secrets.token_urlsafe(48)
        self.state.codes[code] = _Code(
            redirect_uri=session.redirect_uri,
            code_challenge=session.code_challenge,
            access_type=session.access_type,
            issued_at=self.clock(),
            email=consent.email,
            scope=list(consent.scope),
            state=session.state,
            login_hint=session.login_hint,
            ip=request.peer.rpartition(":")[0].strip("[]") or None,
            user_agent=request.header("user-agent"),
        )
        # No grant id in the redirect: the app exchanges the code for it.
        return Response.redirect(_with_query(session.redirect_uri, [("code", code), *back_state]))

    def _save_grant(self, issued: _Code) -> V3Grant:
        now = int(self.clock())
        existing = self.state.grant_for(issued.email)
        if existing is not None:  # one grant per email per application: renewed in place
            existing.updated_at = max(now, existing.updated_at + 1)
            existing.scope = list(issued.scope)
            if self.options.renewal_state == "overwritten":
                existing.state = issued.state
            existing.grant_status = "valid"
            existing.touched = self.state.touch()
            return existing
        return self.state.add_grant(
            V3Grant(
                id=str(uuid.uuid4()),
                email=issued.email,
                scope=list(issued.scope),
                created_at=now,
                updated_at=now,
                state=issued.state,
                provider_user_id=hashlib.sha256(issued.email.casefold().encode()).hexdigest()[:22],
                ip=issued.ip,
                user_agent=issued.user_agent,
            )
        )

    def token(self, request: Request, request_id: str) -> Response:
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            raise V3Error(400, "invalid_request", "The body must be JSON.", oauth=True) from None
        if not isinstance(body, dict):
            raise V3Error(400, "invalid_request", "The body must be a JSON object.", oauth=True)
        if body.get("client_id") != self.credentials.v3_application_id:
            raise V3Error(
                400, "invalid_client", "client_id is not this application's id.", oauth=True
            )
        if not hmac.compare_digest(
            str(body.get("client_secret", "")).encode(), self.credentials.v3_api_key.encode()
        ):
            # Nylas documents token.unauthorized_access (400) for a bad API key here, not 401.
            raise V3Error(
                400,
                "token.unauthorized_access",
                _ERROR_MESSAGES["token.unauthorized_access"],
                oauth=True,
            )
        if body.get("grant_type") != "authorization_code":
            raise V3Error(400, "unsupported_grant_type", "Use authorization_code.", oauth=True)
        issued = self.state.codes.get(str(body.get("code", "")))
        if issued is None or issued.used or self.clock() - issued.issued_at > CODE_TTL:
            raise V3Error(
                400, "invalid_grant", "The code is not valid (used or expired).", oauth=True
            )
        issued.used = True  # a code works once, even when the exchange is refused below
        if body.get("redirect_uri") != issued.redirect_uri:
            raise V3Error(
                400, "invalid_grant", "redirect_uri differs from the sign-in's.", oauth=True
            )
        verifier = str(body.get("code_verifier", ""))
        if not verifier or not hmac.compare_digest(
            challenge_for(verifier).encode(), issued.code_challenge.encode()
        ):
            raise V3Error(400, "invalid_grant", "The code_verifier does not match.", oauth=True)
        hint = issued.login_hint
        if (
            self.options.reauth_email_check
            and hint
            and hint.casefold() != issued.email.casefold()
            and self.state.grant_for(hint) is not None
        ):
            raise V3Error(
                400,
                "grant.reauth_email_invalid",
                f"{_ERROR_MESSAGES['grant.reauth_email_invalid']} Expected {hint}, "
                f"signed in: {issued.email}.",
                oauth=True,
            )
        grant = self._save_grant(issued)
        answer: dict[str, Any] = {
            "access_token": secrets.token_urlsafe(32),
            "token_type": "Bearer",
            "expires_in": 3600,
            "id_token": secrets.token_urlsafe(32),
            "grant_id": grant.id,
            "email": grant.email,
            "scope": " ".join(grant.scope),
            "provider": grant.provider,
        }
        if issued.access_type == "offline":
            answer["refresh_token"] = secrets.token_urlsafe(32)
        return _json(200, answer, request_id)


def new_callback_uri(url: str, platform: str) -> dict[str, Any]:
    # Active entries carry no "deleted_at" key at all.
    return {"id": str(uuid.uuid4()), "url": url, "platform": platform, "settings": {}}


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def _int(text: str | None, name: str) -> int | None:
    if text is None or text == "":
        return None
    try:
        value = int(text)
    except ValueError:
        raise V3Error(
            400, "api.invalid_request_error", f"{name} must be a whole number; it was {text!r}."
        ) from None
    if value < 0:
        raise V3Error(400, "api.invalid_request_error", f"{name} must not be negative.")
    return value


def _choice(text: str | None, name: str, allowed: tuple[str, ...], default: str) -> str:
    if text is None or text == "":
        return default
    if text not in allowed:
        raise V3Error(
            400,
            "api.invalid_request_error",
            f"{name} must be one of {', '.join(allowed)}; it was {text!r}.",
        )
    return text


def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, RecursionError):
        raise V3Error(400, "api.invalid_request_error", "The body must be JSON.") from None
    if not isinstance(body, dict):
        raise V3Error(400, "api.invalid_request_error", "The body must be a JSON object.")
    return body


def _ok(data: Any, request_id: str, status: int = 200) -> Response:
    return _json(status, {"request_id": request_id, "data": data}, request_id)


def _ok_list(
    items: list[Any],
    request_id: str,
    *,
    limit: int = 100,
    offset: int = 0,
    cursor: bool = True,
) -> Response:
    payload: dict[str, Any] = {
        "request_id": request_id,
        "data": items,
        "limit": limit,
        "offset": offset,
    }
    if cursor:  # grants are documented without one; the other lists keep theirs
        payload["next_cursor"] = None
    return _json(200, payload, request_id)


def _json(status: int, payload: Any, request_id: str) -> Response:
    return Response(
        status, json.dumps(payload).encode(), "application/json", [("x-request-id", request_id)]
    )
