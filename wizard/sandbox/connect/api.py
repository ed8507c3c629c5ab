"""The JSON endpoints of the fake Nylas Connect API: integrations, auth requests, grants.

Every answer is built here from the sandbox's own records, following the project's API
contract (nylas-connect-api.md); what that contract marks unconfirmed is answered the strict way.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlencode

from wizard.http.server import Request, Response
from wizard.sandbox.connect import validate
from wizard.sandbox.connect.browser import ConnectBrowser
from wizard.sandbox.connect.errors import ApiError, method_not_allowed, ok, ok_list
from wizard.sandbox.connect.state import (
    DEFAULT_EXPIRES_IN,
    AuthRequest,
    ConnectState,
    Integration,
)
from wizard.sandbox.context import Context
from wizard.sandbox.routes import Call, Route, RouteTable
from wizard.sandbox.zoom import ZOOM_APP_SCOPES

if TYPE_CHECKING:
    from wizard.sandbox.options import SandboxOptions

SUPPORTED_PROVIDERS = ("zoom",)

_INTEGRATION_FIELDS = ("name", "provider", "settings", "redirect_uris", "expires_in", "scope")
_PATCH_FIELDS = ("name", "settings", "redirect_uris", "expires_in", "scope")
_AUTH_FIELDS = (
    "provider",
    "redirect_uri",
    "account_id",
    "expires_in",
    "state",
    "login_hint",
    "scope",
    "grant_id",
    "settings",
    "metadata",
)


class ConnectApi:
    """The fake Connect API: its records (`state`), its browser leg (`browser`: the login link
    and the callback) and its JSON endpoints under /connect, HTTP Basic auth on every one."""

    def __init__(self, context: Context, options: SandboxOptions) -> None:
        self.state = ConnectState(context.zoom, context.clock)
        self.browser = ConnectBrowser(self.state, context, options.state_on_success)
        self.credentials = context.credentials
        self.base_url = context.base_url
        self.clock = context.clock
        self.login_ttl = options.login_ttl
        integration = {
            "GET": self.get_integration,
            "PATCH": self.update_integration,
            "DELETE": self.delete_integration,
        }
        self._routes = RouteTable(
            [
                Route(
                    "/connect/integrations",
                    {"GET": self.list_integrations, "POST": self.create_integration},
                ),
                Route("/connect/integrations/{provider}", integration),
                Route("/connect/auth", {"POST": self.create_auth}),
                Route("/connect/grants", {"GET": self.list_grants}),
                Route(
                    "/connect/grants/{grant_id}",
                    {"GET": self.get_grant, "DELETE": self.delete_grant},
                ),
            ],
            segment=unquote,
        )

    def handle(self, request: Request, request_id: str) -> Response:
        """Answer one API request; raises ApiError for every error answer."""
        return self._routes.dispatch(
            request, request_id, request.path, guard=self._authenticate, miss=_missing
        )

    def _authenticate(self, request: Request) -> None:
        header = request.header("authorization")
        if header is None:
            raise ApiError(
                "unauthorized",
                "The request has no Authorization header; send HTTP Basic auth with the Nylas "
                "client ID and client secret.",
            )
        scheme, _, token = header.partition(" ")
        try:
            user, sep, password = base64.b64decode(token.strip(), validate=True).partition(b":")
        except (binascii.Error, ValueError):
            sep = b""
        if scheme.lower() != "basic" or not sep:
            raise ApiError(
                "unauthorized",
                "The Authorization header is not HTTP Basic auth; send 'Basic ' followed by the "
                "base64 of client_id:client_secret.",
            )
        # Both compared in full, so a wrong ID and a wrong secret take the same time.
        good_user = hmac.compare_digest(user, self.credentials.nylas_client_id.encode())
        good_password = hmac.compare_digest(password, self.credentials.nylas_client_secret.encode())
        if not (good_user and good_password):
            raise ApiError(
                "unauthorized",
                "The Nylas client ID or client secret is wrong; copy both again from the Nylas "
                "dashboard (no quotes, no trailing newline).",
            )

    # Integrations

    def list_integrations(self, call: Call) -> Response:
        limit, offset = validate.page(call.request)
        items = [i.public() for i in self.state.integrations.values()]
        return ok_list(items[offset : offset + limit], limit, offset, call.request_id)

    def create_integration(self, call: Call) -> Response:
        body = validate.json_object(call.request, _INTEGRATION_FIELDS)
        name = validate.required_str(body, "name")
        provider = _supported_provider(validate.required_str(body, "provider"))
        client_id, client_secret = validate.zoom_settings(body)
        redirect_uris = validate.redirect_uris(body)
        expires_in = validate.expires_in(body)
        scope = validate.string_list(body, "scope")
        if provider in self.state.integrations:
            raise ApiError(
                "integration_already_exists",
                f"An integration for provider '{provider}' already exists in this Nylas "
                "application; use it, or change it with PATCH /connect/integrations/"
                f"{provider}.",
            )
        integration = Integration(
            id=str(uuid.uuid4()),
            name=name,
            provider=provider,
            client_id=client_id,
            client_secret=client_secret,
            redirect_uris=redirect_uris,
            expires_in=DEFAULT_EXPIRES_IN if expires_in is None else expires_in,
            scope=scope,
        )
        self.state.integrations[provider] = integration
        return ok(integration.public(), call.request_id)

    def get_integration(self, call: Call) -> Response:
        return ok(self._integration(call.params["provider"]).public(), call.request_id)

    def update_integration(self, call: Call) -> Response:
        integration = self._integration(call.params["provider"])
        body = validate.json_object(call.request, _PATCH_FIELDS)
        # Validate everything before changing anything: a rejected PATCH changes nothing.
        name = validate.required_str(body, "name") if "name" in body else integration.name
        settings = (
            validate.zoom_settings(body)
            if "settings" in body
            else (integration.client_id, integration.client_secret)
        )
        uris = validate.redirect_uris(body) if "redirect_uris" in body else None
        expires_in = validate.expires_in(body)
        scope = validate.string_list(body, "scope") if "scope" in body else integration.scope
        integration.name = name
        integration.client_id, integration.client_secret = settings
        integration.redirect_uris = uris or integration.redirect_uris
        integration.expires_in = expires_in or integration.expires_in
        integration.scope = scope
        return ok(integration.public(), call.request_id)

    def delete_integration(self, call: Call) -> Response:
        provider = call.params["provider"]
        self._integration(provider)
        del self.state.integrations[provider]
        return ok({"success": True}, call.request_id)

    def _integration(self, provider: str) -> Integration:
        integration = self.state.integrations.get(provider)
        if integration is None:
            raise ApiError(
                "not_found",
                f"No integration exists for provider '{provider}'; create one with "
                "POST /connect/integrations first.",
            )
        return integration

    # Auth requests

    def create_auth(self, call: Call) -> Response:
        body = validate.json_object(call.request, _AUTH_FIELDS)
        provider = _supported_provider(validate.required_str(body, "provider"))
        redirect_uri = validate.required_str(body, "redirect_uri")
        account_id = validate.optional_str(body, "account_id")
        validate.expires_in(body)
        state = validate.optional_str(body, "state")
        validate.optional_str(body, "login_hint")
        scope = validate.string_list(body, "scope")
        if scope == []:
            # Zoom would show the app's scopes anyway; an empty list is a client bug.
            raise validate.invalid(
                "The field 'scope' must name at least one scope, or be left out."
            )
        grant_id = validate.optional_str(body, "grant_id")
        settings = validate.optional_object(body, "settings")
        metadata = validate.optional_object(body, "metadata")

        integration = self._integration(provider)
        if redirect_uri not in integration.redirect_uris:
            raise ApiError(
                "redirect_uri_not_allowed",
                f"The redirect_uri {redirect_uri!r} is not one of the integration's "
                "redirect_uris; add it with PATCH /connect/integrations/"
                f"{provider}, or use one of: {', '.join(integration.redirect_uris)}.",
            )
        wanted = scope if scope is not None else integration.scope or list(ZOOM_APP_SCOPES)
        foreign = [s for s in wanted if s not in ZOOM_APP_SCOPES]
        if foreign:
            raise ApiError(
                "scopes_conflict",
                f"The scopes {', '.join(foreign)} are not configured on the Zoom app; "
                f"it offers {', '.join(ZOOM_APP_SCOPES)}.",
            )
        if grant_id is not None:
            self._grant(grant_id)  # re-authentication needs a grant to renew

        login_id = str(uuid.uuid4())
        auth = AuthRequest(
            id=login_id,
            provider=provider,
            redirect_uri=redirect_uri,
            expires_at=int(self.clock() + self.login_ttl),
            zoom_state=uuid.uuid4().hex,
            scope=wanted,
            echo=body,
            state=state,
            account_id=account_id,
            grant_id=grant_id,
            settings=settings,
            metadata=metadata,
        )
        self.state.auth_requests[login_id] = auth
        url = f"{self.base_url()}/connect/login?{urlencode({'id': login_id})}"
        data = {"url": url, "id": login_id, "expires_at": auth.expires_at, "request": body}
        return ok(data, call.request_id)

    # Grants

    def list_grants(self, call: Call) -> Response:
        limit, offset = validate.page(call.request)
        items = [g.public() for g in self.state.grants.values()]
        return ok_list(items[offset : offset + limit], limit, offset, call.request_id)

    def get_grant(self, call: Call) -> Response:
        return ok(self._grant(call.params["grant_id"]), call.request_id)

    def delete_grant(self, call: Call) -> Response:
        grant_id = call.params["grant_id"]
        self._grant(grant_id)
        del self.state.grants[grant_id]
        return ok({"success": True}, call.request_id)

    def _grant(self, grant_id: str) -> dict[str, Any]:
        grant = self.state.grants.get(grant_id)
        if grant is None:
            raise ApiError("not_found", f"No grant exists with id '{grant_id}'.")
        return grant.public()


def _missing(call: Call, route: Route | None) -> Response:
    if route is None:
        raise ApiError("not_found", f"There is no API endpoint at {call.request.path}.")
    raise method_not_allowed(call, route.allowed)


def _supported_provider(provider: str) -> str:
    if provider not in SUPPORTED_PROVIDERS:
        raise ApiError(
            "provider_not_supported",
            f"The provider '{provider}' is not supported here; the only provider is 'zoom'.",
        )
    return provider
