"""Typed payloads of Nylas API v3 (pydantic): applications, connectors, callback URIs,
grants and the code exchange.

As for the Connect models: answers ignore unknown fields, requests are strict, secrets are
`SecretStr` (tokens too: they never show in a repr or a log).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr

from wizard.nylas.models import ZOOM, RequestModel, ResponseModel, ZoomAppSettings
from wizard.nylas.status import GrantStatus


class Application(ResponseModel):
    application_id: str = Field(min_length=1)
    organization_id: str | None = None
    region: str | None = None
    environment: str | None = None


class Connector(ResponseModel):
    provider: str
    settings: dict[str, Any] = Field(default_factory=dict)
    scope: list[str] | None = None
    active_credential_id: str | None = None


class ConnectorCreate(RequestModel):
    # No `scope`: Zoom connectors take none; the scopes live on the Zoom app.
    provider: str = ZOOM
    settings: ZoomAppSettings


class ConnectorUpdate(RequestModel):
    settings: ZoomAppSettings | None = None  # replaces the settings object as a whole
    scope: list[str] | None = None


class CallbackUri(ResponseModel):
    id: str | None = None
    url: str
    platform: str | None = None
    settings: dict[str, Any] | None = None
    # Soft delete (both SDKs since mid-2026): a deleted entry is still listed, not registered.
    deleted_at: int | None = None

    @property
    def active(self) -> bool:
        return self.deleted_at is None


class V3Grant(ResponseModel, GrantStatus):
    # Only id, provider, scope and created_at are required by the spec; grant_status may be
    # missing (unknown, not invalid) and scope has been seen null.
    id: str
    provider: str
    email: str | None = None
    grant_status: str | None = None
    scope: list[str] | None = None
    created_at: int | None = None
    updated_at: int | None = None
    name: str | None = None
    provider_user_id: str | None = None
    state: str | None = None
    ip: str | None = None
    user_agent: str | None = None


class TokenExchange(ResponseModel):
    grant_id: str = Field(min_length=1)
    email: str | None = None
    provider: str | None = None
    scope: str | None = None
    token_type: str | None = None
    expires_in: int | None = None
    access_token: SecretStr | None = None
    refresh_token: SecretStr | None = None
    id_token: SecretStr | None = None
