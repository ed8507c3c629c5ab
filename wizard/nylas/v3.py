"""Async client of Nylas API v3: the application, the Zoom connector, callback URIs, hosted
auth with PKCE, the code exchange and grants.

The same rules as the Connect client (wizard/nylas/client.py), whose retry and parsing helpers
it shares: reads are repeated after network failures, 5xx and 429; writes only when the request
never left this computer or after a 429. The code exchange is never sent twice: a code works
once, and a second exchange of a code that did work would fail and hide the grant.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from pydantic import SecretStr
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from wizard.nylas.client import (
    NO_RETRY,
    ClosingClient,
    RetryPolicy,
    _json_or_none,
    _log_retry,
    _parse,
    _parse_list,
    _retry_after,
    _retryable,
    _segment,
    api_http_client,
)
from wizard.nylas.errors import NotFound, NylasProtocolError, network_error, v3_error
from wizard.nylas.models import ZOOM
from wizard.nylas.v3_models import (
    Application,
    CallbackUri,
    Connector,
    ConnectorCreate,
    ConnectorUpdate,
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
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"The API URL {base_url!r} is not an http(s) URL.")
        key = api_key if isinstance(api_key, SecretStr) else SecretStr(api_key)
        if not key.get_secret_value().strip():
            raise ValueError("The Nylas API key is empty (Nylas dashboard > API keys).")
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self._host = parts.hostname
        self._key = key
        self._callback_path: str | None = None
        self._http = api_http_client(self.base_url, timeout, transport)

    def __repr__(self) -> str:
        return f"NylasV3Client({self.base_url!r})"

    # -- the application -------------------------------------------------------------------

    async def get_application(self) -> Application:
        return _parse(Application, await self._request("GET", "/v3/applications"))

    async def check_credentials(self) -> Application:
        """One cheap authenticated read; AuthenticationFailed for a wrong key or region."""
        return await self.get_application()

    # -- connectors (never deleted here: that breaks every Zoom grant at once) -------------

    async def list_connectors(
        self, limit: int | None = None, offset: int | None = None
    ) -> list[Connector]:
        data = await self._request("GET", "/v3/connectors", params=_page(limit, offset))
        return _parse_list(Connector, data)

    async def get_connector(self, provider: str = ZOOM) -> Connector:
        data = await self._request("GET", f"/v3/connectors/{_segment(provider)}")
        return _parse(Connector, data)

    async def find_connector(self, provider: str = ZOOM) -> Connector | None:
        try:
            return await self.get_connector(provider)
        except NotFound:
            return None

    async def create_connector(self, spec: ConnectorCreate) -> Connector:
        data = await self._request("POST", "/v3/connectors", json_body=spec.body())
        return _parse(Connector, data)

    async def update_connector(self, provider: str, changes: ConnectorUpdate) -> Connector:
        data = await self._request(
            "PATCH", f"/v3/connectors/{_segment(provider)}", json_body=changes.body()
        )
        return _parse(Connector, data)

    # -- callback URIs of the application --------------------------------------------------

    async def list_callback_uris(self) -> list[CallbackUri]:
        return _parse_list(CallbackUri, await self._callback_uris("GET"))

    async def add_callback_uri(self, url: str, platform: str = "web") -> CallbackUri:
        data = await self._callback_uris("POST", {"url": url, "platform": platform})
        return _parse(CallbackUri, data)

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
            "POST", "/v3/connect/token", json_body=body, bearer=False, once=True, timeout=timeout
        )
        return _parse(TokenExchange, data)

    # -- grants ----------------------------------------------------------------------------

    async def get_grant(self, grant_id: str) -> V3Grant:
        return _parse(V3Grant, await self._request("GET", f"/v3/grants/{_segment(grant_id)}"))

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
        params: dict[str, Any] = _page(limit, offset)
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
        return _parse_list(V3Grant, await self._request("GET", "/v3/grants", params=params))

    async def delete_grant(self, grant_id: str) -> None:
        await self._request("DELETE", f"/v3/grants/{_segment(grant_id)}")

    # -- transport -------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: dict[str, Any] | None = None,
        bearer: bool = True,
        once: bool = False,
        timeout: float | None = None,
    ) -> Any:
        policy = self.retry
        decide = _retryable(method, policy)
        if once:
            unsent = _retryable("POST", NO_RETRY)

            def decide(exc: BaseException) -> bool:  # only a request that never left
                return unsent(exc) and getattr(exc, "sent", True) is False

        retrying = AsyncRetrying(
            stop=stop_after_attempt(policy.attempts),
            wait=policy.wait_for,
            retry=retry_if_exception(decide),
            before_sleep=_log_retry(method, path),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._send_once(method, path, params, json_body, bearer, timeout)
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    async def _send_once(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        json_body: dict[str, Any] | None,
        bearer: bool,
        timeout: float | None = None,
    ) -> Any:
        headers = {"authorization": f"Bearer {self._key.get_secret_value()}"} if bearer else {}
        # A longer read for a slow call (the exchange); connecting stays bounded as usual.
        extra: dict[str, Any] = {}
        if timeout is not None:
            extra["timeout"] = httpx.Timeout(timeout, connect=self._http.timeout.connect)
        try:
            response = await self._http.request(
                method, path, params=params, json=json_body, headers=headers, **extra
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise network_error(exc, self._host, sent=False) from None
        except httpx.TransportError as exc:
            raise network_error(exc, self._host, sent=True) from None
        request_id = response.headers.get("x-request-id")
        log.info(
            "%s %s -> %s%s",
            method,
            path,
            response.status_code,
            f" (request id {request_id})" if request_id else "",
        )
        payload = _json_or_none(response)
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
            # A list answer keeps its envelope's paging next to the items.
            return payload if isinstance(payload["data"], list) else payload["data"]
        raise v3_error(
            response.status_code,
            payload,
            request_id=request_id,
            retry_after=_retry_after(response.headers),
        )


def _page(limit: int | None, offset: int | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if limit is not None:
        params["limit"] = limit
    if offset is not None:
        params["offset"] = offset
    return params


__all__ = ["CALLBACK_URI_PATHS", "EXCHANGE_TIMEOUT", "NylasV3Client"]
