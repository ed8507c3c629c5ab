"""What the fake Nylas API v3 remembers: connectors, callback URIs, hosted-auth sessions, codes
and grants (one per email per application), their JSON views, and seeding.

Each record builds its own JSON: the sandbox never shares models with the API client.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from wizard.sandbox.v3.options import V3Options
from wizard.sandbox.zoom import FakeZoom


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


@dataclass(frozen=True)
class GrantQuery:
    """GET /v3/grants's filters, order and page."""

    provider: str | None = None
    email: str | None = None
    status: str | None = None
    since: int | None = None
    before: int | None = None
    sort_by: str = "created_at"
    order_by: str = "desc"
    limit: int = 10
    offset: int = 0

    def select(self, grants: Iterable[V3Grant]) -> list[V3Grant]:
        found = [
            g
            for g in grants
            if (not self.provider or g.provider == self.provider)
            and (not self.email or g.email.casefold() == self.email.casefold())
            and (not self.status or g.grant_status == self.status)
            # Both on created_at, as documented: a renewed grant is not found by `since`.
            and (self.since is None or g.created_at >= self.since)
            and (self.before is None or g.created_at < self.before)
        ]
        if self.sort_by == "created_at":
            found.sort(key=lambda g: g.created_at)  # stable: ties stay in creation order
        else:
            found.sort(key=lambda g: (g.updated_at, g.touched))
        if self.order_by == "desc":
            found.reverse()
        return found[self.offset : self.offset + self.limit]


@dataclass
class Session:
    """One hosted-auth visit, from /v3/connect/auth to Zoom and back."""

    redirect_uri: str
    state: str | None
    login_hint: str | None
    access_type: str
    code_challenge: str


@dataclass
class Code:
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
    """Everything the fake v3 API remembers. Touched only from the server's event loop.
    Seeding defaults to the sandbox's Zoom app and its user, as a consent would."""

    zoom: FakeZoom = field(repr=False)
    clock: Callable[[], float] = field(repr=False)
    connectors: dict[str, V3Connector] = field(default_factory=dict)
    # Entries as the API shows them; a deleted one keeps its place with "deleted_at".
    callback_uris: list[dict[str, Any]] = field(default_factory=list)
    grants: dict[str, V3Grant] = field(default_factory=dict)
    # Indexed, not scanned: a day of practice must stay linear.
    grant_by_email: dict[str, str] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    codes: dict[str, Code] = field(default_factory=dict)
    touches: int = 0

    def active_callback_uri(self, url: str) -> bool:
        return any(u["url"] == url and u.get("deleted_at") is None for u in self.callback_uris)

    def keep_grant(self, grant: V3Grant) -> V3Grant:
        grant.touched = self.touch()
        self.grants[grant.id] = grant
        self.grant_by_email[grant.email.casefold()] = grant.id
        return grant

    def drop_grant(self, grant: V3Grant) -> None:
        del self.grants[grant.id]
        self.grant_by_email.pop(grant.email.casefold(), None)

    def grant_for(self, email: str) -> V3Grant | None:
        grant_id = self.grant_by_email.get(email.casefold())
        return self.grants.get(grant_id) if grant_id else None

    def touch(self) -> int:
        self.touches += 1
        return self.touches

    # Seeding (skips the API's validation) and the test views (copies: changing them changes
    # nothing).

    def add_connector(
        self, *, client_id: str | None = None, client_secret: str | None = None
    ) -> dict[str, Any]:
        """Pre-seed the Zoom connector (the sandbox's Zoom app unless told otherwise)."""
        if "zoom" in self.connectors:
            raise ValueError("A Zoom connector already exists.")
        connector = V3Connector(
            "zoom",
            self.zoom.client_id if client_id is None else client_id,
            self.zoom.client_secret if client_secret is None else client_secret,
        )
        self.connectors["zoom"] = connector
        return connector.public()

    def add_callback_uri(
        self, url: str, platform: str = "web", *, deleted: bool = False
    ) -> dict[str, Any]:
        """Pre-seed a callback URI, skipping validation; `deleted`: already soft-deleted."""
        entry = new_callback_uri(url, platform)
        if deleted:
            entry["deleted_at"] = int(self.clock())
        self.callback_uris.append(entry)
        return copy.deepcopy(entry)

    def add_grant(
        self,
        *,
        email: str | None = None,
        state: str | None = None,
        at: int | None = None,
        scope: Iterable[str] | None = None,
        grant_status: str = "valid",
        grant_id: str | None = None,
        updated_at: int | None = None,
    ) -> dict[str, Any]:
        """Pre-seed a v3 Zoom grant, as if that user had consented and the code been
        exchanged; returns the stored record. `at`: its created_at (and updated_at unless
        given)."""
        now = int(self.clock()) if at is None else at
        address = email or self.zoom.user_email
        if address.casefold() in self.grant_by_email:
            raise ValueError(f"A v3 grant for {address} already exists (one per email).")
        grant = V3Grant(
            id=grant_id or str(uuid.uuid4()),
            email=address,
            scope=list(self.zoom.scopes if scope is None else scope),
            created_at=now,
            updated_at=now if updated_at is None else updated_at,
            state=state,
            provider_user_id=uuid.uuid4().hex[:22],
            grant_status=grant_status,
        )
        return self.keep_grant(grant).record()

    def connector_views(self) -> dict[str, dict[str, Any]]:
        """By provider; unlike the API, includes the stored Zoom secret."""
        return {
            p: {**c.public(), "client_secret": c.client_secret} for p, c in self.connectors.items()
        }

    def grant_records(self) -> dict[str, dict[str, Any]]:
        """The stored records, whatever the options make the API leave out."""
        return {g: grant.record() for g, grant in self.grants.items()}

    def active_callback_uris(self) -> list[str]:
        """The registered (active) URLs; soft-deleted ones are in callback_uri_entries."""
        return [u["url"] for u in self.callback_uris if u.get("deleted_at") is None]

    def callback_uri_entries(self) -> list[dict[str, Any]]:
        """Every entry as the API lists it, deleted ones (with "deleted_at") included."""
        return copy.deepcopy(self.callback_uris)


def new_callback_uri(url: str, platform: str) -> dict[str, Any]:
    # Active entries carry no "deleted_at" key at all.
    return {"id": str(uuid.uuid4()), "url": url, "platform": platform, "settings": {}}
