"""Async client of Nylas API v3: the application, the Zoom connector, callback URIs, hosted
auth with PKCE, the code exchange and grants.

The request pipeline (retries, network errors, logging, parsing) is the shared one of
wizard/nylas/transport.py; this module adds v3's authentication (a Bearer API key, none at the
token endpoint) and its envelopes. The code exchange is never sent twice: a code works once,
and a second exchange of a code that did work would fail and hide the grant.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import httpx
from pydantic import SecretStr

from wizard.nylas.errors import NotFound, NylasProtocolError, v3_error
from wizard.nylas.models import ZOOM
from wizard.nylas.resources import ProviderResource
from wizard.nylas.transport import (
    ClosingClient,
    RetryPolicy,
    api_host,
    page,
    parse,
    parse_list,
    retry_after,
    segment,
)
from wizard.nylas.v3_models import (
    Application,
    CallbackUri,
    Connector,
    TokenExchange,
    V3Grant,
)

log = logging.getLogger(__name__)

# Nylas's ceiling on a request is 120 s and its Python SDK waits 90 s "to match the API": a code
# exchange may take that long, and a shorter wait loses the grant the exchange still makes.
EXCHANGE_TIMEOUT = 90.0

# Sources disagree on the path of the application's callback URIs: Nylas's API reference says
# redirect-uris, its CLI uses callback-uris. The first that is not 404 is remembered.
CALLBACK_URI_PATHS = ("/v3/applications/redirect-uris", "/v3/applications/callback-uris")


class NylasV3Client(ClosingClient):
    def __init__(
        self,
        base_url: str,
        api_key: SecretStr | str,
        *,
        timeout: float = 15.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        api_host(base_url)  # the URL first: it is the most common mistake
        key = api_key if isinstance(api_key, SecretStr) else SecretStr(api_key)
        if not key.get_secret_value().strip():
            raise ValueError("The Nylas API key is empty (Nylas dashboard > API keys).")
        self._key = key
        self._callback_path: str | None = None
        self._open(base_url, timeout=timeout, retry=retry, decode=_decode, transport=transport)
        # Connectors are never deleted here: that breaks every Zoom grant at once.
        self.connectors = ProviderResource(self._request, "/v3/connectors", Connector)

    def __repr__(self) -> str:
        return f"NylasV3Client({self.base_url!r})"

    # -- the application -------------------------------------------------------------------

    async def get_application(self) -> Application:
        return parse(Application, await self._request("GET", "/v3/applications"))

    async def check_credentials(self) -> Application:
        """One cheap authenticated read; AuthenticationFailed for a wrong key or region."""
        return await self.get_application()

    # -- callback URIs of the application --------------------------------------------------

    async def list_callback_uris(self) -> list[CallbackUri]:
        return parse_list(CallbackUri, await self._callback_uris("GET"))

    async def add_callback_uri(self, url: str, platform: str = "web") -> CallbackUri:
        data = await self._callback_uris("POST", {"url": url, "platform": platform})
        return parse(CallbackUri, data)

    async def ensure_callback_uri(self, url: str) -> bool:
        """Register exactly `url` when missing (Nylas matches scheme, host, port and path
        exactly); True when it had to be added. A soft-deleted entry is not registered."""
        if any(uri.url == url and uri.active for uri in await self.list_callback_uris()):
            return False
        await self.add_callback_uri(url)
        return True

    async def _callback_uris(self, method: str, body: dict[str, Any] | None = None) -> Any:
        paths = (self._callback_path,) if self._callback_path else CALLBACK_URI_PATHS
        for path in paths:
            assert path is not None
            try:
                data = await self._request(method, path, json_body=body)
            except NotFound:
                if path == paths[-1]:
                    raise
                log.info("%s answered 404; trying %s", path, paths[-1])
                continue
            self._callback_path = path
            return data
        raise AssertionError("unreachable")  # pragma: no cover

    # -- hosted auth and the code exchange -------------------------------------------------

    def hosted_auth_url(
        self,
        *,
        client_id: str,
        redirect_uri: str,
        state: str,
        code_challenge: str,
        login_hint: str | None = None,
        access_type: str = "offline",
        provider: str = ZOOM,
    ) -> str:
        """The link the browser opens; Nylas sends it on to Zoom. Built as Nylas's SDKs do."""
        params = {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "provider": provider,
            "state": state,
            "access_type": access_type,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        if login_hint:
            params["login_hint"] = login_hint
        return f"{self.base_url}/v3/connect/auth?{urlencode(params)}"

    async def exchange_code(
        self,
        *,
        client_id: str,
        code: str,
        redirect_uri: str,
        code_verifier: str,
        timeout: float = EXCHANGE_TIMEOUT,
    ) -> TokenExchange:
        body = {
            "client_id": client_id,
            "client_secret": self._key.get_secret_value(),
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        # Never repeated once sent (a 429 included: the answer may not be trusted to mean
        # "not processed" for a one-time code); only an unsent request is retried.
        data = await self._request(
            "POST",
            "/v3/connect/token",
            json_body=body,
            authenticated=False,
            once=True,
            timeout=timeout,
        )
        return parse(TokenExchange, data)

    # -- grants ----------------------------------------------------------------------------

    async def get_grant(self, grant_id: str) -> V3Grant:
        return parse(V3Grant, await self._request("GET", f"/v3/grants/{segment(grant_id)}"))

    async def list_grants(
        self,
        *,
        provider: str | None = ZOOM,
        email: str | None = None,
        since: int | None = None,
        before: int | None = None,
        grant_status: str | None = None,
        sort_by: str | None = None,
        order_by: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> list[V3Grant]:
        """Nylas documents `since` and `before` on `created_at` (a renewed grant is not found
        by `since`), `sort_by` created_at or updated_at, `order_by` desc by default, `limit`
        10 by default and at most 200, offset paging."""
        params: dict[str, Any] = page(limit, offset)
        filters = {
            "provider": provider,
            "email": email,
            "since": since,
            "before": before,
            "grant_status": grant_status,
            "sort_by": sort_by,
            "order_by": order_by,
        }
        params.update({name: value for name, value in filters.items() if value is not None})
        return parse_list(V3Grant, await self._request("GET", "/v3/grants", params=params))

    async def delete_grant(self, grant_id: str) -> None:
        await self._request("DELETE", f"/v3/grants/{segment(grant_id)}")

    def _auth_headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self._key.get_secret_value()}"}


def _decode(method: str, path: str, response: httpx.Response, payload: Any) -> Any:
    """v3's envelopes: `{request_id, data}` (a list keeps its paging beside the items), the
    token endpoint's bare OAuth fields, and the typed error of a failure."""
    if response.is_success:
        if method == "DELETE":
            return None
        if path == "/v3/connect/token":
            # OAuth style: the fields at the top level, no envelope.
            if not isinstance(payload, dict):
                raise NylasProtocolError(f"{method} {path} did not answer JSON.")
            return payload
        if not isinstance(payload, dict) or "data" not in payload:
            raise NylasProtocolError(
                f"{method} {path} answered HTTP {response.status_code} without the "
                "documented JSON envelope."
            )
        return payload if isinstance(payload["data"], list) else payload["data"]
    raise v3_error(
        response.status_code,
        payload,
        request_id=response.headers.get("x-request-id"),
        retry_after=retry_after(response.headers),
    )


__all__ = ["CALLBACK_URI_PATHS", "EXCHANGE_TIMEOUT", "NylasV3Client"]
