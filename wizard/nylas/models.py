"""Typed request and response payloads of the Nylas Connect API (pydantic).

Responses ignore unknown fields so that additions on Nylas's side never break us; requests are
strict so that a mistake is caught here with a clear message instead of a 400 from the API.
Secrets are `SecretStr`: masked in repr and str, revealed only when a request body is built.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_serializer

from wizard.defaults import DEFAULT_GRANT_LIFETIME
from wizard.nylas.status import GrantStatus

ZOOM = "zoom"
MIN_EXPIRES_IN = 60
MAX_EXPIRES_IN = 315_360_000


class RequestModel(BaseModel):
    """A request body: strict (a mistake is caught here), dumped without None fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class ResponseModel(BaseModel):
    """An answer: unknown fields are ignored (additions on Nylas's side never break us)."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class ZoomAppSettings(RequestModel):
    client_id: str = Field(min_length=1)
    client_secret: SecretStr

    @field_serializer("client_secret")
    def _reveal(self, value: SecretStr) -> str:
        # Only request bodies are dumped; repr/str keep the mask.
        return value.get_secret_value()


class IntegrationCreate(RequestModel):
    name: str = Field(min_length=1, max_length=256)
    provider: str = ZOOM
    settings: ZoomAppSettings
    redirect_uris: list[str] = Field(min_length=1)
    expires_in: int = Field(DEFAULT_GRANT_LIFETIME, ge=MIN_EXPIRES_IN, le=MAX_EXPIRES_IN)
    scope: list[str] | None = None


class IntegrationUpdate(RequestModel):
    name: str | None = Field(None, min_length=1, max_length=256)
    settings: ZoomAppSettings | None = None
    redirect_uris: list[str] | None = Field(None, min_length=1)
    expires_in: int | None = Field(None, ge=MIN_EXPIRES_IN, le=MAX_EXPIRES_IN)
    scope: list[str] | None = None


class Integration(ResponseModel):
    id: str | None = None
    name: str = ""
    provider: str
    redirect_uris: list[str] = Field(default_factory=list)
    expires_in: int | None = None
    scope: list[str] | None = None


class AuthRequestCreate(RequestModel):
    provider: str = ZOOM
    redirect_uri: str = Field(min_length=1)
    account_id: str | None = Field(None, min_length=1)
    expires_in: int | None = Field(None, ge=MIN_EXPIRES_IN, le=MAX_EXPIRES_IN)
    state: str | None = None
    login_hint: str | None = None
    scope: list[str] | None = None
    grant_id: str | None = None
    settings: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None


class AuthRequest(ResponseModel):
    url: str
    id: str
    expires_at: int
    request: dict[str, Any] = Field(default_factory=dict)


class Grant(ResponseModel, GrantStatus):
    id: str
    provider: str
    grant_status: str = ""
    email: str | None = None
    scope: list[str] = Field(default_factory=list)
    state: str | None = None
    account_id: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)
    ip: str | None = None
    user_agent: str | None = None
    created_at: int | None = None
    updated_at: int | None = None
