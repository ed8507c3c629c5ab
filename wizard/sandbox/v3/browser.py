"""The v3 API's hosted auth: the browser leg (/v3/connect/auth, Zoom, /v3/connect/callback) and
the one-time code exchange that ends it (/v3/connect/token), with Nylas's PKCE.

As Nylas documents it, the grant is made (or re-authenticated) by a successful exchange, not at
consent: the consent waits in the code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from wizard.http.server import Request, Response
from wizard.sandbox.context import Context
from wizard.sandbox.routes import Call, Route
from wizard.sandbox.v3.errors import ERROR_MESSAGES, EXCHANGE_PATH, V3Error
from wizard.sandbox.v3.options import V3Options
from wizard.sandbox.v3.state import Code, Session, V3Grant, V3State
from wizard.sandbox.web import client_ip, json_response, nylas_page, state_param, with_query
from wizard.sandbox.zoom import ZoomOAuthError

CODE_TTL = 600.0
MAX_STATE = 256


def challenge_for(verifier: str) -> str:
    """Nylas's rule: base64 of the hex SHA-256, without padding (not RFC 7636)."""
    hex_digest = hashlib.sha256(verifier.encode()).hexdigest().encode()
    return base64.b64encode(hex_digest).decode().rstrip("=")


class V3Browser:
    def __init__(self, state: V3State, context: Context, options: Callable[[], V3Options]) -> None:
        self.state = state
        self.credentials = context.credentials
        self.zoom = context.zoom
        self.base_url = context.base_url
        self.clock = context.clock
        self.options = options

    def routes(self) -> list[Route]:
        """Answered without the API key: a browser follows the first two, and the exchange
        authenticates with the key in its body."""
        return [
            Route("/v3/connect/auth", {"GET": self.hosted_auth, "*": _use_get}, public=True),
            Route("/v3/connect/callback", {"GET": self.zoom_callback, "*": _use_get}, public=True),
            Route(EXCHANGE_PATH, {"POST": self.token, "*": _use_post}, public=True),
        ]

    @property
    def callback_url(self) -> str:
        return f"{self.base_url()}/v3/connect/callback"

    # -- the browser leg ---------------------------------------------------------------------

    def hosted_auth(self, call: Call) -> Response:
        q = call.request.query_one
        redirect_uri = q("redirect_uri") or ""
        problem = self._auth_problem(call.request, redirect_uri)
        if problem is not None:
            # Never redirect to an unregistered URI: the error stays on Nylas's page.
            return nylas_page(400, "Sign-in cannot start", problem)
        connector = self.state.connectors["zoom"]
        zoom_state = secrets.token_urlsafe(24)
        self.state.sessions[zoom_state] = Session(
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
        query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())
        return Response.redirect(f"{self.base_url()}/zoom/oauth/authorize?{query}")

    def _auth_problem(self, request: Request, redirect_uri: str) -> str | None:
        q = request.query_one
        if q("client_id") != self.credentials.v3_application_id:
            return "The client_id is not the id of this application."
        if not self.state.active_callback_uri(redirect_uri):
            return (
                f"grant.callback_uri_not_allowed: the redirect_uri {redirect_uri!r} is not "
                "registered on this application. Add it to the application's callback URIs."
            )
        if q("response_type") != "code":
            return "response_type must be code."
        if q("provider") != "zoom":
            return "The sandbox supports provider zoom."
        if not q("code_challenge") or (q("code_challenge_method") or "").upper() != "S256":
            return "code_challenge and code_challenge_method=S256 are required."
        if len(q("state") or "") > MAX_STATE:
            return f"state may have at most {MAX_STATE} characters."
        if "zoom" not in self.state.connectors:
            return "This application has no Zoom connector."
        return None

    def zoom_callback(self, call: Call) -> Response:
        request = call.request
        session = self.state.sessions.pop(request.query_one("state") or "", None)
        if session is None:
            return nylas_page(
                400,
                "Sign-in not recognised",
                "This sign-in does not belong to any sign-in link, or was already used. "
                "Start the connection again from the app.",
            )
        error = request.query_one("error")
        if error:
            description = (
                "The Zoom user declined to connect the app."
                if error == "access_denied"
                else f"Zoom answered {error!r} instead of signing the user in."
            )
            return _back(session, ("error", error), ("error_description", description))
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
            description = (
                f"Zoom refused the code exchange ({exc.reason}, {exc.code}): check "
                "the Zoom client id and secret on the Zoom connector."
            )
            return _back(
                session,
                ("error", "provider_error"),
                ("error_code", str(exc.code)),
                ("error_description", description),
            )
        # The consent waits in the code: no grant until the app exchanges it.
        code = secrets.token_urlsafe(48)
        self.state.codes[code] = Code(
            redirect_uri=session.redirect_uri,
            code_challenge=session.code_challenge,
            access_type=session.access_type,
            issued_at=self.clock(),
            email=consent.email,
            scope=list(consent.scope),
            state=session.state,
            login_hint=session.login_hint,
            ip=client_ip(request),
            user_agent=request.header("user-agent"),
        )
        # No grant id in the redirect: the app exchanges the code for it.
        return _back(session, ("code", code))

    # -- the code exchange -------------------------------------------------------------------

    def token(self, call: Call) -> Response:
        body = self._authenticated_body(call.request)
        issued = self._redeem(body)
        hint = issued.login_hint
        if (
            self.options().reauth_email_check
            and hint
            and hint.casefold() != issued.email.casefold()
            and self.state.grant_for(hint) is not None
        ):
            raise _oauth_error(
                "grant.reauth_email_invalid",
                f"{ERROR_MESSAGES['grant.reauth_email_invalid']} Expected {hint}, "
                f"signed in: {issued.email}.",
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
        return json_response(200, answer, call.request_id)

    def _authenticated_body(self, request: Request) -> dict[str, Any]:
        """The exchange's JSON body, once its client id and API key are this application's."""
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            raise _oauth_error("invalid_request", "The body must be JSON.") from None
        if not isinstance(body, dict):
            raise _oauth_error("invalid_request", "The body must be a JSON object.")
        if body.get("client_id") != self.credentials.v3_application_id:
            raise _oauth_error("invalid_client", "client_id is not this application's id.")
        if not hmac.compare_digest(
            str(body.get("client_secret", "")).encode(), self.credentials.v3_api_key.encode()
        ):
            # Nylas documents token.unauthorized_access (400) for a bad API key here, not 401.
            raise _oauth_error(
                "token.unauthorized_access", ERROR_MESSAGES["token.unauthorized_access"]
            )
        if body.get("grant_type") != "authorization_code":
            raise _oauth_error("unsupported_grant_type", "Use authorization_code.")
        return body

    def _redeem(self, body: dict[str, Any]) -> Code:
        """Spend the code (once, even when the exchange is refused below) and check its PKCE."""
        issued = self.state.codes.get(str(body.get("code", "")))
        if issued is None or issued.used or self.clock() - issued.issued_at > CODE_TTL:
            raise _oauth_error("invalid_grant", "The code is not valid (used or expired).")
        issued.used = True
        if body.get("redirect_uri") != issued.redirect_uri:
            raise _oauth_error("invalid_grant", "redirect_uri differs from the sign-in's.")
        verifier = str(body.get("code_verifier", ""))
        if not verifier or not hmac.compare_digest(
            challenge_for(verifier).encode(), issued.code_challenge.encode()
        ):
            raise _oauth_error("invalid_grant", "The code_verifier does not match.")
        return issued

    def _save_grant(self, issued: Code) -> V3Grant:
        now = int(self.clock())
        existing = self.state.grant_for(issued.email)
        if existing is not None:  # one grant per email per application: renewed in place
            existing.updated_at = max(now, existing.updated_at + 1)
            existing.scope = list(issued.scope)
            if self.options().renewal_state == "overwritten":
                existing.state = issued.state
            existing.grant_status = "valid"
            existing.touched = self.state.touch()
            return existing
        return self.state.keep_grant(
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


def _back(session: Session, *params: tuple[str, str]) -> Response:
    """Back to the app's redirect URI with `params` and the app's state."""
    return Response.redirect(
        with_query(session.redirect_uri, [*params, *state_param(session.state)])
    )


def _oauth_error(type_: str, message: str) -> V3Error:
    return V3Error(400, type_, message, oauth=True)


def _use_get(call: Call) -> Response:
    return Response.text(405, "Method not allowed; use GET.")


def _use_post(call: Call) -> Response:
    raise V3Error(405, "invalid_request", "Use POST.", oauth=True)
