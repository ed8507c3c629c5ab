"""Async client of the Nylas Connect (integrations, auth requests, grants) API.

Retries follow one rule: repeat only what cannot do harm twice. Reads are repeated after network
failures, 5xx and 429; writes only when the request never left this computer (connect errors) or
when Nylas said 429 (it did not process it). Retry-After is honoured up to a cap.
"""

from __future__ import annotations

import base64
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self, TypeVar
from urllib.parse import urlsplit

import httpx
import truststore
from pydantic import BaseModel, SecretStr, ValidationError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from wizard import __version__
from wizard.nylas.errors import (
    NotFound,
    NylasApiError,
    NylasError,
    NylasNetworkError,
    NylasProtocolError,
    RateLimited,
    ServerError,
    api_error,
    network_error,
)
from wizard.nylas.models import (
    ZOOM,
    AuthRequest,
    AuthRequestCreate,
    Grant,
    Integration,
    IntegrationCreate,
    IntegrationUpdate,
)

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
_SAFE_METHODS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    backoff: float = 0.5  # seconds before the 2nd attempt; doubles after
    max_wait: float = 10.0  # a longer Retry-After is not waited for: the error goes to the user

    def wait_for(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, NylasApiError) and exc.retry_after is not None:
            return min(float(exc.retry_after), self.max_wait)
        return min(self.backoff * 2.0 ** (state.attempt_number - 1), self.max_wait)


NO_RETRY = RetryPolicy(attempts=1)


def basic_auth_header(client_id: str, client_secret: str) -> str:
    # Built here, never copied from the guide: its example token encodes quotes and a newline.
    token = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")
    return f"Basic {token}"


def system_ssl_context() -> ssl.SSLContext:
    """The operating system's trust store, so TLS-inspecting company proxies work."""
    return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def api_http_client(
    base_url: str, timeout: float, transport: httpx.AsyncBaseTransport | None
) -> httpx.AsyncClient:
    """The HTTP client both API clients use: the OS trust store, the system proxy, a bounded
    connect, never a redirect followed (a redirect of an API call is a misconfiguration)."""
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        verify=system_ssl_context(),
        trust_env=True,  # system proxy settings
        transport=transport,
        headers={"user-agent": f"zoom-onboard/{__version__}", "accept": "application/json"},
        follow_redirects=False,
    )


class ClosingClient:
    """`async with` for an API client: closes its HTTP client on the way out."""

    _http: httpx.AsyncClient

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class NylasConnectClient(ClosingClient):
    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: SecretStr | str,
        *,
        timeout: float = 15.0,
        retry: RetryPolicy = RetryPolicy(),
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"The API URL {base_url!r} is not an http(s) URL.")
        if not client_id.strip():
            raise ValueError("The Nylas client id is empty.")
        secret = client_secret if isinstance(client_secret, SecretStr) else SecretStr(client_secret)
        if not secret.get_secret_value():
            raise ValueError("The Nylas client secret is empty.")
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self.retry = retry
        self._host = parts.hostname
        self._auth = basic_auth_header(client_id, secret.get_secret_value())
        self._http = api_http_client(self.base_url, timeout, transport)

    def __repr__(self) -> str:
        return f"NylasConnectClient({self.base_url!r}, client_id={self.client_id!r})"

    # -- integrations ----------------------------------------------------------------------

    async def check_credentials(self) -> None:
        """One cheap authenticated read: raises AuthenticationFailed for a wrong id or secret."""
        await self._request("GET", "/connect/integrations", params={"limit": 1})

    async def list_integrations(
        self, limit: int | None = None, offset: int | None = None
    ) -> list[Integration]:
        data = await self._request("GET", "/connect/integrations", params=_page(limit, offset))
        return _parse_list(Integration, data)

    async def get_integration(self, provider: str = ZOOM) -> Integration:
        data = await self._request("GET", f"/connect/integrations/{provider}")
        return _parse(Integration, data)

    async def find_integration(self, provider: str = ZOOM) -> Integration | None:
        try:
            return await self.get_integration(provider)
        except NotFound:
            return None

    async def create_integration(self, spec: IntegrationCreate) -> Integration:
        data = await self._request("POST", "/connect/integrations", json_body=spec.body())
        return _parse(Integration, data)

    async def update_integration(self, provider: str, changes: IntegrationUpdate) -> Integration:
        data = await self._request(
            "PATCH", f"/connect/integrations/{provider}", json_body=changes.body()
        )
        return _parse(Integration, data)

    async def delete_integration(self, provider: str = ZOOM) -> None:
        await self._request("DELETE", f"/connect/integrations/{provider}")

    # -- auth requests and grants ----------------------------------------------------------

    async def create_auth_request(self, spec: AuthRequestCreate) -> AuthRequest:
        data = await self._request("POST", "/connect/auth", json_body=spec.body())
        return _parse(AuthRequest, data)

    async def get_grant(self, grant_id: str) -> Grant:
        data = await self._request("GET", f"/connect/grants/{_segment(grant_id)}")
        return _parse(Grant, data)

    async def list_grants(self, limit: int | None = None, offset: int | None = None) -> list[Grant]:
        data = await self._request("GET", "/connect/grants", params=_page(limit, offset))
        return _parse_list(Grant, data)

    async def delete_grant(self, grant_id: str) -> None:
        await self._request("DELETE", f"/connect/grants/{_segment(grant_id)}")

    # -- transport -------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: dict[str, Any] | None = None,
    ) -> Any:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.retry.attempts),
            wait=self.retry.wait_for,
            retry=retry_if_exception(_retryable(method, self.retry)),
            before_sleep=_log_retry(method, path),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._send_once(method, path, params, json_body)
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    async def _send_once(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        json_body: dict[str, Any] | None,
    ) -> Any:
        try:
            response = await self._http.request(
                method,
                path,
                params=params,
                json=json_body,
                headers={"authorization": self._auth},
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
        raise api_error(response.status_code, payload, retry_after=_retry_after(response.headers))


def _retryable(method: str, policy: RetryPolicy) -> Callable[[BaseException], bool]:
    safe = method in _SAFE_METHODS

    def decide(exc: BaseException) -> bool:
        if isinstance(exc, RateLimited):
            # 429 means "not processed": safe for any method, if the wait is reasonable.
            return exc.retry_after is None or exc.retry_after <= policy.max_wait
        if isinstance(exc, NylasNetworkError):
            return safe or not exc.sent
        if isinstance(exc, ServerError):
            return safe and exc.http_status in (500, 502, 503, 504)
        return False

    return decide


def _log_retry(method: str, path: str) -> Callable[[RetryCallState], None]:
    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning(
            "%s %s failed (%s); attempt %d, retrying",
            method,
            path,
            type(exc).__name__,
            state.attempt_number,
        )

    return before_sleep


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare for APIs, and backing off is right anyway


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    # JSONDecodeError and UnicodeDecodeError are ValueErrors, and so is a number longer than
    # Python's int conversion limit (4300 digits); nesting deeper than the recursion limit
    # raises RecursionError. All of them mean: not a JSON answer we can read.
    except (ValueError, RecursionError):
        return None


def _page(limit: int | None, offset: int | None) -> dict[str, int]:
    params = {}
    if limit is not None:
        params["limit"] = limit
    if offset is not None:
        params["offset"] = offset
    return params


def _segment(value: str) -> str:
    if not value or "/" in value or value in (".", ".."):
        raise ValueError(f"{value!r} is not a valid id.")
    return value


def _parse(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise NylasProtocolError(
            f"The answer did not look like a {model.__name__}: {_first_error(exc)}"
        ) from None


def _parse_list(model: type[M], data: Any) -> list[M]:
    # The list shape is unconfirmed: accept a bare list or an object with a list in "data".
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        data = data["data"]
    if not isinstance(data, list):
        raise NylasProtocolError(f"Expected a list of {model.__name__}, got {type(data).__name__}.")
    return [_parse(model, item) for item in data]


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    return f"{where}: {first['msg']}"


__all__ = [
    "NO_RETRY",
    "NylasConnectClient",
    "NylasError",
    "RetryPolicy",
    "basic_auth_header",
]
