"""Zoom's authorize (consent) page, where both Nylas APIs send the browser.

Zoom answers a bad request with its own error page and never redirects; a good one shows the
consent form, whose Allow sends the browser back to the Nylas callback with a code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from wizard.http.server import Response
from wizard.sandbox import pages
from wizard.sandbox.routes import Call
from wizard.sandbox.web import html, with_query
from wizard.sandbox.zoom import FakeZoom


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


class ZoomConsent:
    def __init__(self, zoom: FakeZoom) -> None:
        self.zoom = zoom

    def authorize(self, call: Call) -> Response:
        """GET shows the consent form; POST is the user's Allow or Decline."""
        request = call.request
        if request.method == "GET":
            params = {key: values[0] for key, values in request.query.items()}
        elif request.method == "POST":
            params = request.form()
        else:
            return Response.text(405, "Method not allowed.")
        checked = self._check(params)
        if isinstance(checked, Response):
            return checked
        # Nylas forwards the login hint to the provider; the form's own field wins once posted.
        email = params.get("email", params.get("login_hint") or self.zoom.user_email).strip()
        if request.method == "GET":
            return self._page(checked, email)
        return self._decide(checked, email, params.get("decision"))

    def _decide(self, checked: _ZoomAuthorize, email: str, decision: str | None) -> Response:
        if decision == "deny":
            return Response.redirect(
                with_query(
                    checked.redirect_uri, [("error", "access_denied"), ("state", checked.state)]
                )
            )
        if decision != "allow":
            return self._page(checked, email, "Choose Allow or Decline.")
        local, at, domain = email.partition("@")
        if not (local and at and domain):
            return self._page(checked, email, "Enter the email of a Zoom user.")
        scopes = checked.scope.split() or list(self.zoom.scopes)
        code = self.zoom.issue_code(checked.client_id, checked.redirect_uri, email, scopes)
        return Response.redirect(
            with_query(checked.redirect_uri, [("code", code), ("state", checked.state)])
        )

    def _check(self, params: Mapping[str, str]) -> _ZoomAuthorize | Response:
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

    def _page(self, checked: _ZoomAuthorize, email: str, notice: str | None = None) -> Response:
        page = pages.zoom_consent(
            app_name=self.zoom.app_name,
            email=email,
            scopes=checked.scope.split() or self.zoom.scopes,
            hidden=checked.hidden_fields(),
            notice=notice,
        )
        return html(200 if notice is None else 400, page)
