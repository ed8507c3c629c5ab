"""One request pipeline for both Nylas clients (Connect and v3): the HTTP client, the retry
rule, the mapping of network failures, the log line, and reading JSON and pydantic models.

An API client gives only what differs: the headers of a request (its authentication) and the
decoding of an answer (its envelope and its error shape). The retry rule: repeat only what
cannot do harm twice. Reads are repeated after network failures, 5xx and 429; writes only when
the request never left this computer or after a 429 (Nylas did not process it); a request sent
`once` (v3's code exchange) only when it never left. Retry-After is honoured up to a cap.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self, TypeVar
from urllib.parse import urlsplit

import httpx
import truststore
from pydantic import BaseModel, ValidationError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from wizard import __version__
from wizard.nylas.errors import (
    NylasApiError,
    NylasNetworkError,
    NylasProtocolError,
    RateLimited,
    ServerError,
    network_error,
)

log = logging.getLogger("wizard.nylas")

M = TypeVar("M", bound=BaseModel)
_SAFE_METHODS = frozenset({"GET", "HEAD"})

# method, path, the answer, its JSON (None when it was not JSON) -> the data, or raise
Decoder = Callable[[str, str, httpx.Response, Any], Any]


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


class Transport:
    """Sends a request, retried by the rule above, and hands its answer to the API's decoder."""

    def __init__(
        self,
        base_url: str,
        host: str,
        *,
        timeout: float,
        retry: RetryPolicy,
        decode: Decoder,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.retry = retry
        self._host = host
        self._decode = decode
        self.http = api_http_client(base_url, timeout, transport)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        once: bool = False,
        timeout: float | None = None,
    ) -> Any:
        """`once`: never repeated once sent (a one-time code), whatever the answer.
        `timeout`: a longer read for a slow call; connecting stays bounded as usual."""
        decide = _retryable(method, self.retry)
        if once:
            unsent = _retryable("POST", NO_RETRY)

            def decide(exc: BaseException) -> bool:  # only a request that never left
                return unsent(exc) and getattr(exc, "sent", True) is False

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.retry.attempts),
            wait=self.retry.wait_for,
            retry=retry_if_exception(decide),
            before_sleep=_log_retry(method, path),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._send_once(method, path, params, json_body, headers, timeout)
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    async def _send_once(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        json_body: dict[str, Any] | None,
        headers: dict[str, str] | None,
        timeout: float | None,
    ) -> Any:
        extra: dict[str, Any] = {}
        if timeout is not None:
            extra["timeout"] = httpx.Timeout(timeout, connect=self.http.timeout.connect)
        try:
            response = await self.http.request(
                method, path, params=params, json=json_body, headers=headers or {}, **extra
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
        return self._decode(method, path, response, json_or_none(response))


def api_host(base_url: str) -> str:
    """The host of an API base URL, or ValueError saying what is wrong with it."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"The API URL {base_url!r} is not an http(s) URL.")
    return parts.hostname


class ClosingClient:
    """What both API clients share: their transport, opened once their inputs are checked, and
    `async with` that closes it on the way out."""

    base_url: str
    transport: Transport

    def _open(
        self,
        base_url: str,
        *,
        timeout: float,
        retry: RetryPolicy | None,
        decode: Decoder,
        transport: httpx.AsyncBaseTransport | None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.transport = Transport(
            self.base_url,
            api_host(base_url),
            timeout=timeout,
            retry=retry or RetryPolicy(),
            decode=decode,
            transport=transport,
        )

    @property
    def retry(self) -> RetryPolicy:
        return self.transport.retry

    def _auth_headers(self) -> dict[str, str]:
        """The API's authentication (Connect: Basic; v3: Bearer)."""
        raise NotImplementedError

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: dict[str, Any] | None = None,
        authenticated: bool = True,
        once: bool = False,
        timeout: float | None = None,
    ) -> Any:
        """One call through the transport, authenticated unless told (v3's hosted-auth
        exchange sends the key in its body)."""
        return await self.transport.request(
            method,
            path,
            params=params,
            json_body=json_body,
            headers=self._auth_headers() if authenticated else {},
            once=once,
            timeout=timeout,
        )

    async def aclose(self) -> None:
        await self.transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


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


def retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare for APIs, and backing off is right anyway


def json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    # JSONDecodeError and UnicodeDecodeError are ValueErrors, and so is a number longer than
    # Python's int conversion limit (4300 digits); nesting deeper than the recursion limit
    # raises RecursionError. All of them mean: not a JSON answer we can read.
    except (ValueError, RecursionError):
        return None


def page(limit: int | None, offset: int | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if limit is not None:
        params["limit"] = limit
    if offset is not None:
        params["offset"] = offset
    return params


def segment(value: str) -> str:
    """An id as one path segment, or ValueError (no traversal, no empty segment)."""
    if not value or "/" in value or value in (".", ".."):
        raise ValueError(f"{value!r} is not a valid id.")
    return value


def parse(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise NylasProtocolError(
            f"The answer did not look like a {model.__name__}: {_first_error(exc)}"
        ) from None


def parse_list(model: type[M], data: Any) -> list[M]:
    # The list shape is unconfirmed: accept a bare list or an object with a list in "data".
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        data = data["data"]
    if not isinstance(data, list):
        raise NylasProtocolError(f"Expected a list of {model.__name__}, got {type(data).__name__}.")
    return [parse(model, item) for item in data]


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    return f"{where}: {first['msg']}"


__all__ = [
    "NO_RETRY",
    "ClosingClient",
    "Decoder",
    "RetryPolicy",
    "Transport",
    "api_host",
    "api_http_client",
    "json_or_none",
    "page",
    "parse",
    "parse_list",
    "retry_after",
    "segment",
    "system_ssl_context",
]
