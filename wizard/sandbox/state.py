"""The sandbox's in-memory records and their JSON views.

Each record builds its own JSON: the sandbox never shares models with the API client, so a
client bug cannot hide behind shared code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Scopes configured on the sandbox's Zoom app (scopes live on the Zoom app, not the integration).
ZOOM_APP_SCOPES: tuple[str, ...] = (
    "meeting:write:meeting",
    "meeting:update:meeting",
    "meeting:delete:meeting",
    "user:read:user",
)


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
class SandboxState:
    """Everything the fake Nylas remembers. Touched only from the server's event loop."""

    integrations: dict[str, Integration] = field(default_factory=dict)  # by provider
    auth_requests: dict[str, AuthRequest] = field(default_factory=dict)  # by login id
    grants: dict[str, Grant] = field(default_factory=dict)  # by grant id

    def auth_request_for_zoom_state(self, zoom_state: str) -> AuthRequest | None:
        for auth in self.auth_requests.values():
            if auth.zoom_state == zoom_state:
                return auth
        return None
