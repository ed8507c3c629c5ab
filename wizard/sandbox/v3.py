"""The sandbox's Nylas API v3: API key auth, connectors, callback URIs, hosted auth with PKCE,
the one-time code exchange and grants (one per email per application).

Written from the contract (docs/api-contract.md), sharing no code with the client it imitates:
its PKCE check is its own. Sandbox choices where Nylas publishes nothing: a second Zoom
connector is 409 `api.conflict_error`; `since` on grants filters on `updated_at` (a renewal
counts as new); codes live 10 minutes.
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
from typing import Any
from urllib.parse import urlsplit

from wizard.http.server import Request, Response
from wizard.sandbox import pages
from wizard.sandbox.browser import _with_query, html
from wizard.sandbox.credentials import DemoCredentials
from wizard.sandbox.zoom import FakeZoom, ZoomOAuthError

CODE_TTL = 600.0
MAX_STATE = 256
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]", "::1")
CALLBACK_URI_PATHS = ("redirect-uris", "callback-uris")


class V3Error(Exception):
    """An error answer in v3's envelope (or, for the token endpoint, OAuth style)."""

    def __init__(self, status: int, type_: str, message: str, *, oauth: bool = False) -> None:
        super().__init__(message)
        self.status, self.type, self.message, self.oauth = status, type_, message, oauth

    def response(self, request_id: str) -> Response:
        if self.oauth:
            body: dict[str, Any] = {
                "error": self.type,
                "error_description": self.message,
                "error_uri": "https://developer.nylas.com/docs/api/v3/",
                "error_code": self.status,
            }
        else:
            body = {"request_id": request_id, "error": {"type": self.type, "message": self.message}}
        return _json(self.status, body, request_id)


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

    def public(self) -> dict[str, Any]:
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
    grant_id: str
    redirect_uri: str
    code_challenge: str
    access_type: str
    issued_at: float
    used: bool = False


@dataclass
class V3State:
    connectors: dict[str, V3Connector] = field(default_factory=dict)
    callback_uris: list[dict[str, Any]] = field(default_factory=list)
    grants: dict[str, V3Grant] = field(default_factory=dict)
    # Indexed, not scanned: a day of practice must stay linear.
    grant_by_email: dict[str, str] = field(default_factory=dict)
    sessions: dict[str, _Session] = field(default_factory=dict)
    codes: dict[str, _Code] = field(default_factory=dict)


class V3Api:
    def __init__(
        self,
        state: V3State,
        credentials: DemoCredentials,
        zoom: FakeZoom,
        base_url: Callable[[], str],
        clock: Callable[[], float],
        callback_uri_paths: tuple[str, ...] = ("redirect-uris",),
    ) -> None:
        self.state = state
        self.credentials = credentials
        self.zoom = zoom
        self.base_url = base_url
        self.clock = clock
        self.callback_uri_paths = callback_uri_paths

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
        if path == "/v3/connect/token":
            if method != "POST":
                raise V3Error(405, "invalid_request", "Use POST.", oauth=True)
            return self.token(request, request_id)
        self._authenticate(request)
        parts = path.split("/")[2:]  # after "", "v3"
        if parts == ["applications"] and method == "GET":
            return _ok(self._application(), request_id)
        if len(parts) == 2 and parts[0] == "applications" and parts[1] in CALLBACK_URI_PATHS:
            if parts[1] not in self.callback_uri_paths:
                raise V3Error(404, "api.not_found_error", f"No route {path}.")
            if method == "GET":
                return _ok_list(copy.deepcopy(self.state.callback_uris), request_id)
            if method == "POST":
                return _ok(self._add_callback_uri(_body(request)), request_id, 201)
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
                return _ok(grant.public(), request_id)
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
        if any(uri["url"] == url for uri in self.state.callback_uris):
            raise V3Error(400, "api.invalid_request_error", "This callback URI already exists.")
        entry = {"id": str(uuid.uuid4()), "url": url, "platform": platform, "settings": {}}
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
        grants = list(self.state.grants.values())
        provider, email = request.query_one("provider"), request.query_one("email")
        since = _int(request.query_one("since"), "since")
        if provider:
            grants = [g for g in grants if g.provider == provider]
        if email:
            grants = [g for g in grants if g.email.casefold() == email.casefold()]
        if since is not None:
            grants = [g for g in grants if g.updated_at >= since]
        limit = _int(request.query_one("limit"), "limit") or 100
        offset = _int(request.query_one("offset"), "offset") or 0
        page = [g.public() for g in grants[offset : offset + limit]]
        return _ok_list(page, request_id, limit=limit, offset=offset)

    # -- the browser leg ---------------------------------------------------------------------

    def hosted_auth(self, request: Request) -> Response:
        q = request.query_one
        problem = None
        redirect_uri = q("redirect_uri") or ""
        if q("client_id") != self.credentials.v3_application_id:
            problem = "The client_id is not the id of this application."
        elif not any(uri["url"] == redirect_uri for uri in self.state.callback_uris):
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
        grant = self._save_grant(consent.email, consent.scope, session.state, request)
        code = secrets.token_urlsafe(48)
        self.state.codes[code] = _Code(
            grant.id,
            session.redirect_uri,
            session.code_challenge,
            session.access_type,
            self.clock(),
        )
        # No grant id in the redirect: the app exchanges the code for it.
        return Response.redirect(_with_query(session.redirect_uri, [("code", code), *back_state]))

    def _save_grant(
        self, email: str, scope: list[str], state: str | None, request: Request
    ) -> V3Grant:
        now = int(self.clock())
        existing_id = self.state.grant_by_email.get(email.casefold())
        existing = self.state.grants.get(existing_id) if existing_id else None
        if existing is not None:  # one grant per email per application: renewed in place
            existing.updated_at = max(now, existing.updated_at + 1)
            existing.scope = scope
            existing.state = state
            existing.grant_status = "valid"
            return existing
        grant = V3Grant(
            id=str(uuid.uuid4()),
            email=email,
            scope=scope,
            created_at=now,
            updated_at=now,
            state=state,
            provider_user_id=hashlib.sha256(email.casefold().encode()).hexdigest()[:22],
            ip=request.peer.rpartition(":")[0].strip("[]") or None,
            user_agent=request.header("user-agent"),
        )
        self.state.grants[grant.id] = grant
        self.state.grant_by_email[email.casefold()] = grant.id
        return grant

    def token(self, request: Request, request_id: str) -> Response:
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            raise V3Error(400, "invalid_request", "The body must be JSON.", oauth=True) from None
        if not isinstance(body, dict):
            raise V3Error(400, "invalid_request", "The body must be a JSON object.", oauth=True)
        if body.get("client_id") != self.credentials.v3_application_id or not hmac.compare_digest(
            str(body.get("client_secret", "")).encode(), self.credentials.v3_api_key.encode()
        ):
            raise V3Error(401, "invalid_client", "client_id or client_secret is wrong.", oauth=True)
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
        grant = self.state.grants.get(issued.grant_id)
        if grant is None:
            raise V3Error(400, "invalid_grant", "The grant was deleted.", oauth=True)
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


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def _int(text: str | None, name: str) -> int | None:
    if text is None or text == "":
        return None
    try:
        value = int(text)
    except ValueError:
        raise V3Error(400, "api.invalid_request_error", f"{name} must be a number.") from None
    if value < 0:
        raise V3Error(400, "api.invalid_request_error", f"{name} must not be negative.")
    return value


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


def _ok_list(items: list[Any], request_id: str, *, limit: int = 100, offset: int = 0) -> Response:
    payload = {
        "request_id": request_id,
        "data": items,
        "limit": limit,
        "offset": offset,
        "next_cursor": None,
    }
    return _json(200, payload, request_id)


def _json(status: int, payload: Any, request_id: str) -> Response:
    return Response(
        status, json.dumps(payload).encode(), "application/json", [("x-request-id", request_id)]
    )
