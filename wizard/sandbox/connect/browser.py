"""The Connect API's browser leg: Nylas's hosted login link and the Nylas callback.

Imitates reality step by step: the login link sends the browser to Zoom (wizard/sandbox/consent.py)
with an opaque state; Zoom sends it back to the Nylas callback with a code (or an error); Nylas
exchanges the code with the integration's Zoom credentials and finally redirects to the app's
redirect_uri.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from wizard.http.server import Request, Response
from wizard.sandbox.connect.errors import method_not_allowed
from wizard.sandbox.connect.state import AuthRequest, ConnectState, Grant
from wizard.sandbox.context import Context
from wizard.sandbox.routes import Call, Route
from wizard.sandbox.web import client_ip, nylas_page, state_param, with_query
from wizard.sandbox.zoom import ConsentResult, ZoomOAuthError

NYLAS_ERROR_CODE = "45002"  # what Nylas puts in error_code for every failed provider sign-in


class ConnectBrowser:
    def __init__(self, state: ConnectState, context: Context, state_on_success: bool) -> None:
        self.state = state
        self.zoom = context.zoom
        self.base_url = context.base_url
        self.clock = context.clock
        self.state_on_success = state_on_success

    def routes(self) -> list[Route]:
        """Served before the API and without its authentication: a browser follows them."""
        return [
            Route("/connect/login", {"GET": self.login, "*": _use_get}, public=True),
            Route("/connect/callback", {"GET": self.callback, "*": _use_get}, public=True),
        ]

    # Nylas: the login link from POST /connect/auth

    def login(self, call: Call) -> Response:
        auth = self.state.auth_requests.get(call.request.query_one("id") or "")
        if auth is None:
            return nylas_page(
                404,
                "Login link not found",
                "This login link is not known. Start the connection again from the app.",
            )
        if auth.spent:
            return nylas_page(
                410,
                "Login link already used",
                "This login link was already used. Start the connection again from the app.",
            )
        if self.clock() > auth.expires_at:
            return nylas_page(
                410,
                "Login link expired",
                "This login link has expired. Start the connection again from the app.",
            )
        integration = self.state.integrations.get(auth.provider)
        if integration is None:
            return nylas_page(
                404,
                "Integration not found",
                "The Zoom integration this link belongs to no longer exists. Create it again "
                "in the app, then start the connection again.",
            )
        params = {
            "response_type": "code",
            "client_id": integration.client_id,
            "redirect_uri": self.callback_url,
            "state": auth.zoom_state,
        }
        if auth.echo.get("scope"):
            # Standard OAuth: only an explicit request narrows the app's scopes.
            params["scope"] = " ".join(auth.scope)
        return Response.redirect(f"{self.base_url()}/zoom/oauth/authorize?{urlencode(params)}")

    @property
    def callback_url(self) -> str:
        return f"{self.base_url()}/connect/callback"

    # Nylas: the callback Zoom redirects to

    def callback(self, call: Call) -> Response:
        request = call.request
        auth = self.state.auth_request_for_zoom_state(request.query_one("state") or "")
        if auth is None:
            return nylas_page(
                400,
                "Sign-in not recognised",
                "This sign-in does not belong to any login link. Start the connection again "
                "from the app.",
            )
        if auth.spent:
            return nylas_page(
                410,
                "Sign-in already finished",
                "This sign-in was already completed. Start the connection again from the app.",
            )
        auth.spent = True  # success or failure, a login link ends with its callback
        outcome = self._exchange(auth, request)
        if isinstance(outcome, str):
            params = [
                ("error", "oauth_failed"),
                ("error_code", NYLAS_ERROR_CODE),
                ("error_description", outcome),
                *state_param(auth.state),
                ("success", "false"),
            ]
            return Response.redirect(with_query(auth.redirect_uri, params))
        grant = self._save_grant(auth, outcome, request)
        params = [("success", "true"), ("provider", grant.provider), ("grant_id", grant.id)]
        if self.state_on_success:
            params += state_param(auth.state)
        return Response.redirect(with_query(auth.redirect_uri, params))

    def _exchange(self, auth: AuthRequest, request: Request) -> ConsentResult | str:
        """Trade Zoom's code for the Zoom user's identity, or say why that failed."""
        error = request.query_one("error")
        if error == "access_denied":
            return (
                "The Zoom user declined to connect the app (Zoom answered access_denied). "
                "Start again from the app and click Allow on Zoom's page."
            )
        if error:
            return f"Zoom answered '{error}' instead of signing the user in. Start again."
        integration = self.state.integrations.get(auth.provider)
        if integration is None:
            return (
                "The Zoom integration was deleted during sign-in. Create it again in the app, "
                "then start the connection again."
            )
        try:
            return self.zoom.exchange(
                request.query_one("code") or "",
                integration.client_id,
                integration.client_secret,
                self.callback_url,
            )
        except ZoomOAuthError as exc:
            return _describe_zoom_error(exc)

    def _save_grant(self, auth: AuthRequest, consent: ConsentResult, request: Request) -> Grant:
        now = int(self.clock())
        # Re-authentication renews the named grant; otherwise a new grant is born.
        previous = self.state.grants.get(auth.grant_id) if auth.grant_id else None
        grant = Grant(
            id=auth.grant_id or str(uuid.uuid4()),
            provider=auth.provider,
            email=consent.email,
            scope=consent.scope,
            created_at=previous.created_at if previous else now,
            updated_at=now,
            state=auth.state,
            account_id=auth.account_id,
            settings=auth.settings,
            metadata=auth.metadata,
            ip=client_ip(request),
            user_agent=request.header("user-agent"),
        )
        self.state.grants[grant.id] = grant
        return grant


def _describe_zoom_error(exc: ZoomOAuthError) -> str:
    if exc.code in (4702, 4704):
        return (
            f"Zoom refused the code exchange with error {exc.code} (invalid client): the Zoom "
            "client ID and secret stored on the Nylas integration do not match. Check the Zoom "
            "client secret on the Zoom app's Basic Information page (development and production "
            "secrets differ), update the integration, then start again."
        )
    if exc.code == 4709:
        return (
            "Zoom refused the code exchange with error 4709 (redirect URI mismatch): the Zoom "
            "app's redirect URL must be the Nylas callback. Fix it in the Zoom Marketplace, "
            "then start again."
        )
    return (
        f"Zoom refused the code exchange with error {exc.code} ({exc.reason}). Start the "
        "connection again from the app."
    )


def _use_get(call: Call) -> Response:
    raise method_not_allowed(call, "GET")
