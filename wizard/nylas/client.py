"""Async client of the Nylas Connect (integrations, auth requests, grants) API.

The request pipeline (retries, network errors, logging, parsing) is the shared one of
wizard/nylas/transport.py; this module adds Connect's authentication (HTTP Basic) and its
envelope (`{success, data}`, errors as `{success: false, error: {...}}`).
"""

from __future__ import annotations

import base64
from typing import Any

import httpx
from pydantic import SecretStr

from wizard.nylas.errors import NylasError, NylasProtocolError, api_error
from wizard.nylas.models import (
    ZOOM,
    AuthRequest,
    AuthRequestCreate,
    Grant,
    Integration,
)
from wizard.nylas.resources import ProviderResource
from wizard.nylas.transport import (
    NO_RETRY,
    ClosingClient,
    RetryPolicy,
    api_host,
    page,
    parse,
    parse_list,
    retry_after,
    segment,
)


def basic_auth_header(client_id: str, client_secret: str) -> str:
    # Built here, never copied from the guide: its example token encodes quotes and a newline.
    token = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")
    return f"Basic {token}"


class NylasConnectClient(ClosingClient):
    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: SecretStr | str,
        *,
        timeout: float = 15.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        api_host(base_url)  # the URL first: it is the most common mistake
        if not client_id.strip():
            raise ValueError("The Nylas client id is empty.")
        secret = client_secret if isinstance(client_secret, SecretStr) else SecretStr(client_secret)
        if not secret.get_secret_value():
            raise ValueError("The Nylas client secret is empty.")
        self.client_id = client_id
        self._auth = basic_auth_header(client_id, secret.get_secret_value())
        self._open(base_url, timeout=timeout, retry=retry, decode=_decode, transport=transport)
        self.integrations = ProviderResource(self._request, "/connect/integrations", Integration)

    def __repr__(self) -> str:
        return f"NylasConnectClient({self.base_url!r}, client_id={self.client_id!r})"

    # -- integrations ----------------------------------------------------------------------

    async def check_credentials(self) -> None:
        """One cheap authenticated read: raises AuthenticationFailed for a wrong id or secret."""
        await self._request("GET", "/connect/integrations", params={"limit": 1})

    async def delete_integration(self, provider: str = ZOOM) -> None:
        await self._request("DELETE", f"/connect/integrations/{provider}")

    # -- auth requests and grants ----------------------------------------------------------

    async def create_auth_request(self, spec: AuthRequestCreate) -> AuthRequest:
        data = await self._request("POST", "/connect/auth", json_body=spec.body())
        return parse(AuthRequest, data)

    async def get_grant(self, grant_id: str) -> Grant:
        data = await self._request("GET", f"/connect/grants/{segment(grant_id)}")
        return parse(Grant, data)

    async def list_grants(self, limit: int | None = None, offset: int | None = None) -> list[Grant]:
        data = await self._request("GET", "/connect/grants", params=page(limit, offset))
        return parse_list(Grant, data)

    async def delete_grant(self, grant_id: str) -> None:
        await self._request("DELETE", f"/connect/grants/{segment(grant_id)}")

    def _auth_headers(self) -> dict[str, str]:
        return {"authorization": self._auth}


def _decode(method: str, path: str, response: httpx.Response, payload: Any) -> Any:
    """Connect's envelope: the data of a success, the typed error of a failure."""
    if response.is_success:
        if not isinstance(payload, dict) or "data" not in payload:
            if method == "DELETE" and isinstance(payload, dict) and payload.get("success"):
                return None
            raise NylasProtocolError(
                f"{method} {path} answered HTTP {response.status_code} without the "
                "documented JSON envelope."
            )
        if payload.get("success") is False:
            raise api_error(response.status_code, payload)
        return payload["data"]
    raise api_error(response.status_code, payload, retry_after=retry_after(response.headers))


__all__ = [
    "NO_RETRY",
    "ClosingClient",
    "NylasConnectClient",
    "NylasError",
    "RetryPolicy",
    "basic_auth_header",
]
