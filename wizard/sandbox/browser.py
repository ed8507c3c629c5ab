"""The browser leg: Nylas's hosted login link, Zoom's consent page and the Nylas callback.

Imitates reality step by step: the login link sends the browser to Zoom with an opaque state;
Zoom sends it back to the Nylas callback with a code (or an error); Nylas exchanges the code with
the integration's Zoom credentials and finally redirects to the app's redirect_uri.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from wizard.http.server import Request, Response
from wizard.sandbox import pages
from wizard.sandbox.state import AuthRequest, Grant, SandboxState
from wizard.sandbox.zoom import ConsentResult, FakeZoom, ZoomOAuthError

NYLAS_ERROR_CODE = "45002"  # what Nylas puts in error_code for every failed provider sign-in


def html(status: int, page: str) -> Response:
    response = Response.html(status, page)
    # Real consent pages refuse to be framed (clickjacking); the sandbox's do too.
    response.headers.append(("x-frame-options", "DENY"))
    return response


@dataclass(frozen=True)
class _ZoomAuthorize:
    """The parameters of one request to Zoom's authorize page (GET query or POSTed form)."""

    client_id: str
    redirect_uri: str
    state: str
    scope: str  # space-separated, "" when Nylas asked for the app's scopes

    def hidden_fields(self) -> dict[str, str]:
        fields = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "state": self.state,
        }
        if self.scope:
            fields["scope"] = self.scope
        return fields


class BrowserLeg:
    def __init__(
        self,
        state: SandboxState,
        zoom: FakeZoom,
        base_url: Callable[[], str],
        clock: Callable[[], float],
        state_on_success: bool,
    ) -> None:
        self.state = state
        self.zoom = zoom
        self.base_url = base_url
        self.clock = clock
        self.state_on_success = state_on_success

    # Nylas: the login link from POST /connect/auth

    def login(self, request: Request) -> Response:
        auth = self.state.auth_requests.get(request.query_one("id") or "")
        if auth is None:
            return html(
                404,
                pages.nylas_error(
                    "Login link not found",
                    "This login link is not known. Start the connection again from the app.",
                ),
            )
        if auth.spent:
            return html(
                410,
                pages.nylas_error(
                    "Login link already used",
                    "This login link was already used. Start the connection again from the app.",
                ),
            )
        if self.clock() > auth.expires_at:
            return html(
                410,
                pages.nylas_error(
                    "Login link expired",
                    "This login link has expired. Start the connection again from the app.",
                ),
            )
        integration = self.state.integrations.get(auth.provider)
        if integration is None:
            return html(
                404,
                pages.nylas_error(
                    "Integration not found",
                    "The Zoom integration this link belongs to no longer exists. Create it again "
                    "in the app, then start the connection again.",
                ),
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

    # Zoom: the authorize (consent) page

    def zoom_authorize(self, request: Request) -> Response:
        if request.method == "GET":
            params = {key: values[0] for key, values in request.query.items()}
        elif request.method == "POST":
            params = request.form()
        else:
            return Response.text(405, "Method not allowed.")
        checked = self._check_zoom_request(params)
        if isinstance(checked, Response):
            return checked
        # Nylas forwards the login hint to the provider; the form's own field wins once posted.
        email = params.get("email", params.get("login_hint") or self.zoom.user_email).strip()
        if request.method == "GET":
            return self._consent_page(checked, email)
        decision = params.get("decision")
        if decision == "deny":
            return Response.redirect(
                _with_query(
                    checked.redirect_uri, [("error", "access_denied"), ("state", checked.state)]
                )
            )
        if decision != "allow":
            return self._consent_page(checked, email, "Choose Allow or Decline.")
        local, at, domain = email.partition("@")
        if not (local and at and domain):
            return self._consent_page(checked, email, "Enter the email of a Zoom user.")
        scopes = checked.scope.split() or list(self.zoom.scopes)
        code = self.zoom.issue_code(checked.client_id, checked.redirect_uri, email, scopes)
        return Response.redirect(
            _with_query(checked.redirect_uri, [("code", code), ("state", checked.state)])
        )

    def _check_zoom_request(self, params: Mapping[str, str]) -> _ZoomAuthorize | Response:
        # Zoom answers a bad request with its own error page and never redirects.
        if params.get("response_type") != "code":
            return html(400, pages.zoom_error("Invalid response_type: 4,700"))
        client_id = params.get("client_id", "")
        if not self.zoom.knows_client(client_id):
            return html(400, pages.zoom_error("Invalid client_id: 4,702"))
        redirect_uri = params.get("redirect_uri", "")
        if not self.zoom.accepts_redirect(redirect_uri):
            return html(400, pages.zoom_error("Invalid redirect: 4,709"))
        scope = params.get("scope", "")
        if any(s not in self.zoom.scopes for s in scope.split()):
            return html(400, pages.zoom_error("Invalid scope: 4,700"))
        return _ZoomAuthorize(client_id, redirect_uri, params.get("state", ""), scope)

    def _consent_page(
        self, checked: _ZoomAuthorize, email: str, notice: str | None = None
    ) -> Response:
        page = pages.zoom_consent(
            app_name=self.zoom.app_name,
            email=email,
            scopes=checked.scope.split() or self.zoom.scopes,
            hidden=checked.hidden_fields(),
            notice=notice,
        )
        return html(200 if notice is None else 400, page)

    # Nylas: the callback Zoom redirects to

    def callback(self, request: Request) -> Response:
        auth = self.state.auth_request_for_zoom_state(request.query_one("state") or "")
        if auth is None:
            return html(
                400,
                pages.nylas_error(
                    "Sign-in not recognised",
                    "This sign-in does not belong to any login link. Start the connection again "
                    "from the app.",
                ),
            )
        if auth.spent:
            return html(
                410,
                pages.nylas_error(
                    "Sign-in already finished",
                    "This sign-in was already completed. Start the connection again from the app.",
                ),
            )
        auth.spent = True  # success or failure, a login link ends with its callback
        outcome = self._exchange(auth, request)
        if isinstance(outcome, str):
            params = [
                ("error", "oauth_failed"),
                ("error_code", NYLAS_ERROR_CODE),
                ("error_description", outcome),
                *_state_param(auth.state),
                ("success", "false"),
            ]
            return Response.redirect(_with_query(auth.redirect_uri, params))
        grant = self._save_grant(auth, outcome, request)
        params = [("success", "true"), ("provider", grant.provider), ("grant_id", grant.id)]
        if self.state_on_success:
            params += _state_param(auth.state)
        return Response.redirect(_with_query(auth.redirect_uri, params))

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
            ip=request.peer.rpartition(":")[0].strip("[]") or None,
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


def _state_param(state: str | None) -> list[tuple[str, str]]:
    return [] if state is None else [("state", state)]


def _with_query(url: str, params: list[tuple[str, str]]) -> str:
    """`url` with `params` appended to whatever query it already has."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + params
    return urlunsplit(parts._replace(query=urlencode(query)))
