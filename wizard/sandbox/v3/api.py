"""The sandbox's Nylas API v3: API key auth, connectors, callback URIs (soft deleted), hosted
auth with PKCE (browser.py), the one-time code exchange and grants (one per email per
application).

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

import copy
import hmac
from typing import TYPE_CHECKING, Any

from wizard.http.server import Request, Response
from wizard.sandbox.context import Context
from wizard.sandbox.routes import Call, Route, RouteTable
from wizard.sandbox.v3 import validate
from wizard.sandbox.v3.browser import V3Browser
from wizard.sandbox.v3.errors import V3Error, done, invalid, not_found, ok, ok_list
from wizard.sandbox.v3.state import V3Connector, V3Grant, V3State, new_callback_uri

if TYPE_CHECKING:
    from wizard.sandbox.options import SandboxOptions

CALLBACK_URI_PATHS = ("redirect-uris", "callback-uris")


class V3Api:
    """The fake v3 API: its records (`state`), its hosted auth (`browser`) and its endpoints
    under /v3, the administrative ones behind the API key. `options` may change while
    serving."""

    def __init__(self, context: Context, options: SandboxOptions) -> None:
        self.state = V3State(context.zoom, context.clock)
        self.options = options.v3_options
        self.browser = V3Browser(self.state, context, lambda: self.options)
        self.credentials = context.credentials
        self.clock = context.clock
        self.callback_uri_paths = options.v3_callback_uri_paths
        self._routes = RouteTable(
            [
                *self.browser.routes(),
                Route("/v3/applications", {"GET": self.application}),
                *(route for kind in CALLBACK_URI_PATHS for route in self._callback_routes(kind)),
                Route(
                    "/v3/connectors",
                    {"GET": self.list_connectors, "POST": self.create_connector},
                ),
                Route(
                    "/v3/connectors/{provider}",
                    {
                        "GET": self.get_connector,
                        "PATCH": self.update_connector,
                        "DELETE": self.delete_connector,
                    },
                    check=self._connector,
                ),
                Route("/v3/grants", {"GET": self.list_grants}),
                Route(
                    "/v3/grants/{grant_id}",
                    {"GET": self.get_grant, "DELETE": self.delete_grant},
                    check=self._grant,
                ),
            ]
        )

    def handle(self, request: Request, request_id: str) -> Response:
        try:
            return self._routes.dispatch(
                request,
                request_id,
                request.path.rstrip("/"),
                guard=self._authenticate,
                miss=_no_route,
            )
        except V3Error as error:
            return error.response(request_id)

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

    # -- the application and its callback URIs -----------------------------------------------

    def application(self, call: Call) -> Response:
        data = {
            "application_id": self.credentials.v3_application_id,
            "organization_id": "sandbox-organization",
            "region": "us",
            "environment": "sandbox",
            "callback_uris": copy.deepcopy(self.state.callback_uris),
        }
        return ok(data, call.request_id)

    def _callback_routes(self, kind: str) -> list[Route]:
        """Served at one of the two paths Nylas's documents name, as the options choose."""

        def served(call: Call) -> None:
            if kind not in self.callback_uri_paths:
                raise not_found(f"No route {call.request.path.rstrip('/')}.")

        def entry_served(call: Call) -> None:
            served(call)
            self._callback_uri(call)

        base = f"/v3/applications/{kind}"
        return [
            Route(
                base, {"GET": self.list_callback_uris, "POST": self.add_callback_uri}, check=served
            ),
            Route(
                base + "/{uri_id}",
                {"GET": self.get_callback_uri, "DELETE": self.delete_callback_uri, "*": _no_verb},
                check=entry_served,
            ),
        ]

    def list_callback_uris(self, call: Call) -> Response:
        return ok_list(copy.deepcopy(self.state.callback_uris), call.request_id)

    def add_callback_uri(self, call: Call) -> Response:
        url, platform = validate.callback_uri(validate.json_object(call.request))
        if self.state.active_callback_uri(url):
            raise invalid("This callback URI already exists.")
        entry = new_callback_uri(url, platform)
        self.state.callback_uris.append(entry)
        return ok(copy.deepcopy(entry), call.request_id)

    def get_callback_uri(self, call: Call) -> Response:
        return ok(copy.deepcopy(self._callback_uri(call)), call.request_id)

    def delete_callback_uri(self, call: Call) -> Response:
        # Soft delete: the entry stays listed, but no longer counts as registered.
        self._callback_uri(call).setdefault("deleted_at", int(self.clock()))
        return done(call.request_id)

    def _callback_uri(self, call: Call) -> dict[str, Any]:
        uri_id = call.params["uri_id"]
        entry = next((u for u in self.state.callback_uris if u["id"] == uri_id), None)
        if entry is None:
            raise not_found(f"No callback URI with id {uri_id!r}.")
        return entry

    # -- connectors --------------------------------------------------------------------------

    def list_connectors(self, call: Call) -> Response:
        items = [c.public() for c in self.state.connectors.values()]
        return ok_list(items, call.request_id)

    def create_connector(self, call: Call) -> Response:
        provider, client_id, secret = validate.new_connector(validate.json_object(call.request))
        if provider in self.state.connectors:
            raise V3Error(409, "api.conflict_error", "A Zoom connector already exists.")
        connector = V3Connector(provider, client_id, secret)
        self.state.connectors[provider] = connector
        return ok(connector.public(), call.request_id, 201)

    def get_connector(self, call: Call) -> Response:
        return ok(self._connector(call).public(), call.request_id)

    def update_connector(self, call: Call) -> Response:
        connector = self._connector(call)
        body = validate.json_object(call.request)
        settings = body.get("settings")
        if settings is not None:
            if not isinstance(settings, dict) or not settings.get("client_id"):
                raise invalid("settings must be whole.")
            # The whole object is replaced, as Nylas does with nested objects.
            connector.client_id = str(settings["client_id"])
            connector.client_secret = str(settings.get("client_secret") or "")
        if "scope" in body:
            connector.scope = list(body.get("scope") or [])
        return ok(connector.public(), call.request_id)

    def delete_connector(self, call: Call) -> Response:
        del self.state.connectors[self._connector(call).provider]
        return done(call.request_id)

    def _connector(self, call: Call) -> V3Connector:
        provider = call.params["provider"]
        connector = self.state.connectors.get(provider)
        if connector is None:
            raise not_found(f"No connector for {provider!r}.")
        return connector

    # -- grants ------------------------------------------------------------------------------

    def list_grants(self, call: Call) -> Response:
        query = validate.grant_query(call.request)
        page = [g.public(self.options) for g in query.select(self.state.grants.values())]
        return ok_list(page, call.request_id, limit=query.limit, offset=query.offset, cursor=False)

    def get_grant(self, call: Call) -> Response:
        return ok(self._grant(call).public(self.options), call.request_id)

    def delete_grant(self, call: Call) -> Response:
        self.state.drop_grant(self._grant(call))
        return done(call.request_id)

    def _grant(self, call: Call) -> V3Grant:
        grant = self.state.grants.get(call.params["grant_id"])
        if grant is None:
            raise V3Error(404, "grant.not_found", "No such grant.")
        return grant


def _no_route(call: Call, route: Route | None) -> Response:
    raise not_found(f"No route {call.method} {call.request.path.rstrip('/')}.")


def _no_verb(call: Call) -> Response:
    raise not_found(f"No route {call.method} for a callback URI.")
