"""What the fake Nylas Connect API remembers: its records, their JSON views, and seeding.

Each record builds its own JSON: the sandbox never shares models with the API client, so a
client bug cannot hide behind shared code.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from wizard.sandbox.zoom import FakeZoom

DEFAULT_EXPIRES_IN = 1_209_600  # 14 days


@dataclass
class Integration:
    id: str
    name: str
    provider: str
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uris: list[str]
    expires_in: int
    scope: list[str] | None = None

    def public(self) -> dict[str, Any]:
        """The API view: never the secret."""
        view: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "provider": self.provider,
            "redirect_uris": list(self.redirect_uris),
            "expires_in": self.expires_in,
        }
        if self.scope is not None:
            view["scope"] = list(self.scope)
        return view

    def inspect(self) -> dict[str, Any]:
        """The test view: includes the stored Zoom settings, so tests can check a PATCH."""
        return {
            **self.public(),
            "settings": {"client_id": self.client_id, "client_secret": self.client_secret},
        }


@dataclass
class AuthRequest:
    """One POST /connect/auth: a login link, spent by the first callback that reaches it."""

    id: str
    provider: str
    redirect_uri: str
    expires_at: int
    # The opaque state Nylas hands Zoom, mapping the callback back to us.
    zoom_state: str = field(repr=False)
    scope: list[str]
    # The request body as sent, answered back in `request`.
    echo: dict[str, Any] = field(repr=False)
    state: str | None = field(default=None, repr=False)
    account_id: str | None = None
    grant_id: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    spent: bool = False

    def inspect(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "provider": self.provider,
            "redirect_uri": self.redirect_uri,
            "expires_at": self.expires_at,
            "scope": list(self.scope),
            "state": self.state,
            "account_id": self.account_id,
            "grant_id": self.grant_id,
            "spent": self.spent,
            "request": dict(self.echo),
        }


@dataclass
class Grant:
    id: str
    provider: str
    email: str
    scope: list[str]
    created_at: int
    updated_at: int
    state: str | None = field(default=None, repr=False)
    account_id: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    ip: str | None = None
    user_agent: str | None = None
    grant_status: str = "valid"

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "provider": self.provider,
            "grant_status": self.grant_status,
            "email": self.email,
            "scope": list(self.scope),
            "state": self.state,
            "settings": dict(self.settings),
            "metadata": dict(self.metadata),
            "ip": self.ip,
            "user_agent": self.user_agent,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "account_id": self.account_id,
        }


@dataclass
class ConnectState:
    """Everything the fake Nylas Connect API remembers. Touched only from the server's event
    loop. Seeding defaults to the sandbox's Zoom app and its user, as a consent would."""

    zoom: FakeZoom = field(repr=False)
    clock: Callable[[], float] = field(repr=False)
    integrations: dict[str, Integration] = field(default_factory=dict)  # by provider
    auth_requests: dict[str, AuthRequest] = field(default_factory=dict)  # by login id
    grants: dict[str, Grant] = field(default_factory=dict)  # by grant id

    def auth_request_for_zoom_state(self, zoom_state: str) -> AuthRequest | None:
        for auth in self.auth_requests.values():
            if auth.zoom_state == zoom_state:
                return auth
        return None

    # Seeding (skips the API's validation) and the test views (copies: changing them changes
    # nothing).

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
        """Pre-seed an integration. Zoom settings default to the sandbox's Zoom app; returns
        the test view."""
        if provider in self.integrations:
            raise ValueError(f"An integration for provider {provider!r} already exists.")
        integration = Integration(
            id=str(uuid.uuid4()),
            name=name,
            provider=provider,
            client_id=self.zoom.client_id if client_id is None else client_id,
            client_secret=self.zoom.client_secret if client_secret is None else client_secret,
            redirect_uris=list(redirect_uris),
            expires_in=expires_in,
            scope=None if scope is None else list(scope),
        )
        self.integrations[provider] = integration
        return integration.inspect()

    def add_grant(
        self,
        *,
        email: str | None = None,
        state: str | None = None,
        scope: Iterable[str] | None = None,
        account_id: str | None = None,
        grant_id: str | None = None,
        grant_status: str = "valid",
        at: int | None = None,
        updated_at: int | None = None,
    ) -> dict[str, Any]:
        """Pre-seed a Zoom grant (valid unless told), as if someone had consented; returns its
        API view. `at`: its created_at (and updated_at unless given)."""
        now = int(self.clock()) if at is None else at
        grant = Grant(
            id=grant_id or str(uuid.uuid4()),
            provider="zoom",
            email=email or self.zoom.user_email,
            scope=list(self.zoom.scopes if scope is None else scope),
            created_at=now,
            updated_at=now if updated_at is None else updated_at,
            state=state,
            account_id=account_id,
            grant_status=grant_status,
        )
        self.grants[grant.id] = grant
        return grant.public()

    def integration_views(self) -> dict[str, dict[str, Any]]:
        """By provider; unlike the API, includes the stored Zoom settings with the secret."""
        return {p: i.inspect() for p, i in self.integrations.items()}

    def grant_views(self) -> dict[str, dict[str, Any]]:
        return {g: copy.deepcopy(grant.public()) for g, grant in self.grants.items()}

    def auth_request_views(self) -> dict[str, dict[str, Any]]:
        return {a: copy.deepcopy(auth.inspect()) for a, auth in self.auth_requests.items()}
