"""Typed errors of the Nylas Connect client.

Every failure the client can meet ends as one of these, each with a `hint` that tells a support
person what to do next. No secret ever goes into a message.
"""

from __future__ import annotations

import ssl
from typing import Any


class NylasError(Exception):
    """Base of every error the client raises."""

    hint: str = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint


class NylasApiError(NylasError):
    """Nylas answered with its error envelope (or an HTTP error without one)."""

    hint = (
        "Check the request and try again; if it keeps failing, copy the diagnostics for an "
        "engineer."
    )

    def __init__(
        self,
        message: str,
        *,
        type: str,
        http_status: int,
        event_code: int | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.type = type
        self.http_status = http_status
        self.event_code = event_code
        self.request_id = request_id
        self.retry_after = retry_after

    def __str__(self) -> str:
        details = [self.type, f"HTTP {self.http_status}"]
        if self.event_code is not None:
            details.append(f"event {self.event_code}")
        if self.request_id:
            details.append(f"request id {self.request_id}")
        return f"{self.message} ({', '.join(details)})"


class AuthenticationFailed(NylasApiError):
    hint = (
        "Check the Nylas client id and secret, and that the region (US or EU) is the one "
        "where this Nylas application lives."
    )


class NotFound(NylasApiError):
    hint = "It does not exist (any more) on this Nylas application."


class IntegrationAlreadyExists(NylasApiError):
    hint = "A Zoom integration already exists on this Nylas application; it will be reused."


class RedirectUriNotAllowed(NylasApiError):
    hint = "Add this redirect URI to the Zoom integration's redirect URIs, then try again."


class ScopesConflict(NylasApiError):
    hint = "Request only scopes the Zoom app has (set them on the Zoom app in the Marketplace)."


class InvalidRequest(NylasApiError):
    hint = "Correct the value named in the message and try again."


class RateLimited(NylasApiError):
    hint = "Nylas is limiting requests; wait a minute and try again."


class ServerError(NylasApiError):
    hint = "Nylas had a problem; wait a moment and try again. If it persists, check Nylas status."


class TokenExchangeFailed(NylasApiError):
    hint = (
        "The sign-in code could not be turned into a grant (a code works once and only for a "
        "short time). Start the connection again for a new sign-in link."
    )


class ApiKeyRefusedAtExchange(AuthenticationFailed):
    """v3 `token.unauthorized_access`: the code exchange did not accept the API key."""

    hint = (
        "Nylas did not accept the API key at the code exchange: check the API key (Nylas "
        "dashboard > API keys) and that it belongs to this application and region."
    )


class ReauthEmailInvalid(NylasApiError):
    """v3 `grant.reauth_email_invalid`: another Zoom user signed in than the grant's own."""

    hint = (
        "The Zoom user who signed in is not the one whose grant is being renewed. The customer "
        "opens the link again and signs in as that Zoom user (a private window if another Zoom "
        "account is signed in there)."
    )


class AccessDenied(NylasApiError):
    """v3 `grant.access_denied` (403): the key is valid, this use of it is not allowed."""

    hint = (
        "Nylas refused access to this grant or resource (HTTP 403): it may belong to another "
        "application, or the application's plan does not allow it. Ask the application's "
        "owner to check the Nylas dashboard, or Nylas support."
    )


class ResourceBlocked(NylasApiError):
    """v3 `api.resource_blocked` (423): Nylas has locked the application or grant."""

    hint = (
        "Nylas has blocked this application or grant (HTTP 423, often a billing or account "
        "review). Trying again will not help: ask the application's owner to check the Nylas "
        "dashboard, or Nylas support."
    )


class SignInExpired(TokenExchangeFailed):
    """v3 `grant.login_id_invalid`: the hosted-auth session expired before it came back."""

    hint = "The sign-in took too long and expired. Start the connection again for a new link."


class NylasProtocolError(NylasError):
    """The answer was not what the API documents (not JSON, wrong shape)."""

    hint = (
        "The server did not answer like the Nylas API. Check the API URL (region or custom URL) "
        "and any proxy in between."
    )


class NylasNetworkError(NylasError):
    """No answer at all: DNS, refused connection, timeout, TLS, proxy."""

    def __init__(self, message: str, *, kind: str, sent: bool, hint: str) -> None:
        super().__init__(message, hint=hint)
        self.kind = kind
        # False when the request never left this computer, so repeating it is always safe.
        self.sent = sent


_TYPES: dict[str, type[NylasApiError]] = {
    "integration_already_exists": IntegrationAlreadyExists,
    "redirect_uri_not_allowed": RedirectUriNotAllowed,
    "scopes_conflict": ScopesConflict,
}

# Nylas v3: the same failures under v3's names, with v3's words for what to do.
_V3_TYPES: dict[str, type[NylasApiError]] = {
    "grant.callback_uri_not_allowed": RedirectUriNotAllowed,
    "grant.scopes_conflict": ScopesConflict,
    "token.exchange_failed": TokenExchangeFailed,
    "invalid_grant": TokenExchangeFailed,
    "invalid_client": AuthenticationFailed,
    "token.unauthorized_access": ApiKeyRefusedAtExchange,
    "grant.reauth_email_invalid": ReauthEmailInvalid,
    "grant.login_id_invalid": SignInExpired,
    "grant.access_denied": AccessDenied,
    "api.resource_blocked": ResourceBlocked,
}
# v3 statuses whose meaning is not "check the API key" (Connect reads 403 as bad credentials).
_V3_STATUSES: dict[int, type[NylasApiError]] = {403: AccessDenied, 423: ResourceBlocked}
_V3_HINTS: dict[type[NylasApiError], str] = {
    AuthenticationFailed: (
        "Check the Nylas API key (Nylas dashboard > API keys), and that the region (US or EU) "
        "is the one where this Nylas application lives."
    ),
    RedirectUriNotAllowed: (
        "Register this computer's redirect URI on the Nylas application (callback URIs), "
        "then try again."
    ),
    NotFound: "It does not exist (any more) on this Nylas application.",
}


def v3_error(
    status: int, payload: Any, *, request_id: str | None = None, retry_after: float | None = None
) -> NylasApiError:
    """The typed exception for a v3 error answer: the API envelope
    `{request_id, error: {type, message}}` or the OAuth style of /v3/connect/token
    `{error, error_description, error_code}`; matched on the status first."""
    body = payload if isinstance(payload, dict) else {}
    error = body.get("error")
    if isinstance(error, dict):
        err_type = str(error.get("type") or _default_type(status))
        message = str(error.get("message") or _default_message(status))
    elif isinstance(error, str) and error:
        err_type = error
        message = str(body.get("error_description") or _default_message(status))
    else:
        err_type, message = _default_type(status), _default_message(status)
    cls = _V3_STATUSES.get(status) or _class_for_status(status)
    if cls in (InvalidRequest, AuthenticationFailed, NylasApiError, AccessDenied):
        cls = _V3_TYPES.get(err_type, cls)
    rid = body.get("request_id") or request_id
    if status == 401 and message == _default_message(401):
        message = "Nylas did not accept the API key."
    return cls(
        message,
        type=err_type,
        http_status=status,
        request_id=str(rid) if rid else None,
        retry_after=retry_after,
        hint=_V3_HINTS.get(cls),
    )


def api_error(status: int, payload: Any, retry_after: float | None = None) -> NylasApiError:
    """Build the typed exception for an HTTP error answer (envelope or not)."""
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        error = {}
    err_type = str(error.get("type") or _default_type(status))
    message = str(error.get("message") or _default_message(status))
    event_code = error.get("event_code")
    request_id = error.get("request_id")
    cls = _TYPES.get(err_type) or _class_for_status(status)
    return cls(
        message,
        type=err_type,
        http_status=status,
        event_code=event_code if isinstance(event_code, int) else None,
        request_id=str(request_id) if request_id else None,
        retry_after=retry_after,
    )


def _class_for_status(status: int) -> type[NylasApiError]:
    if status in (401, 403):
        return AuthenticationFailed
    if status == 404:
        return NotFound
    if status == 429:
        return RateLimited
    if status >= 500:
        return ServerError
    if 400 <= status < 500:
        return InvalidRequest
    return NylasApiError


def _default_type(status: int) -> str:
    return {401: "unauthorized", 403: "forbidden", 404: "not_found", 429: "rate_limited"}.get(
        status, "server_error" if status >= 500 else "http_error"
    )


def _default_message(status: int) -> str:
    if status == 401:
        return "Nylas did not accept the client id and secret."
    if status == 404:
        return "Nylas has no such resource."
    if status == 429:
        return "Too many requests to Nylas."
    if status >= 500:
        return f"Nylas answered with server error {status}."
    return f"Nylas answered with HTTP {status}."


def network_error(exc: BaseException, host: str, sent: bool) -> NylasNetworkError:
    """Explain an httpx transport failure in plain words."""
    chain = _causes(exc)
    text = " ".join(str(e) for e in chain).lower()
    if any(isinstance(e, ssl.SSLCertVerificationError) for e in chain) or "certificate" in text:
        return NylasNetworkError(
            f"The certificate of {host} was not trusted.",
            kind="tls",
            sent=False,
            hint="A company proxy may be inspecting TLS: install its root certificate in the "
            "operating system's certificate store (this app uses it), or ask IT.",
        )
    if any(isinstance(e, ssl.SSLError) for e in chain):
        return NylasNetworkError(
            f"A secure connection to {host} could not be set up.",
            kind="tls",
            sent=False,
            hint="Check the API URL (https) and any proxy in between.",
        )
    if (
        "name or service not known" in text
        or "nodename nor servname" in text
        or ("getaddrinfo" in text or "name resolution" in text or "no address associated" in text)
    ):
        return NylasNetworkError(
            f"The name {host} could not be resolved.",
            kind="dns",
            sent=False,
            hint="Check the internet connection and the API URL.",
        )
    if "proxy" in text:
        return NylasNetworkError(
            f"The proxy refused the connection to {host}.",
            kind="proxy",
            sent=False,
            hint="Check the system proxy settings (HTTPS_PROXY) or ask IT.",
        )
    if "timed out" in text or "timeout" in type(exc).__name__.lower():
        return NylasNetworkError(
            f"{host} did not answer in time.",
            kind="timeout",
            sent=sent,
            hint="Check the internet connection and try again.",
        )
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in text:
        return NylasNetworkError(
            f"{host} refused the connection.",
            kind="refused",
            sent=False,
            hint="Check the API URL and port; for the sandbox, check that it is running.",
        )
    return NylasNetworkError(
        f"The connection to {host} failed.",
        kind="other",
        sent=sent,
        hint="Check the internet connection and try again.",
    )


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen
