"""The v3 API's error answers and its JSON envelopes.

Errors come in v3's `{request_id, error: {type, message}}` envelope, except at the token
endpoint, which answers OAuth style; a list carries `limit` and `offset`.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from wizard.http.server import Response
from wizard.sandbox.faults import Fault
from wizard.sandbox.web import json_response

EXCHANGE_PATH = "/v3/connect/token"

# Realistic messages for the error types a client should tell apart (Nylas's errors page).
ERROR_MESSAGES = {
    "token.unauthorized_access": "Unauthorized access: the API key is not valid for this "
    "application or region.",
    "grant.reauth_email_invalid": "The email address of the user who signed in does not match "
    "the email of the grant being re-authenticated.",
    "grant.access_denied": "Access denied: the user or the provider refused access to the account.",
    "api.resource_blocked": "The resource is blocked: the application or grant is suspended.",
    "grant.login_id_invalid": "The login session is invalid or expired; start the "
    "authentication again.",
    "token.exchange_failed": "The code exchange failed: the code is not valid.",
    "grant.callback_uri_not_allowed": "The redirect_uri is not registered on this application.",
    "grant.scopes_conflict": "The requested scopes conflict with the connector's scopes.",
    "grant.not_found": "No such grant.",
    "api.authentication_error": "Unauthorized: the API key is missing or not valid.",
    "api.invalid_request_error": "The request is not valid.",
    "nylas_rate_limit_exceeded": "Too many requests; try again later.",
}


class V3Error(Exception):
    """An error answer in v3's envelope (or, for the token endpoint, OAuth style)."""

    def __init__(self, status: int, type_: str, message: str, *, oauth: bool = False) -> None:
        super().__init__(message)
        self.status, self.type, self.message, self.oauth = status, type_, message, oauth

    def body(self, request_id: str) -> dict[str, Any]:
        if self.oauth:
            return {
                "error": self.type,
                "error_description": self.message,
                "error_uri": "https://developer.nylas.com/docs/api/v3/",
                "error_code": self.status,
            }
        return {"request_id": request_id, "error": {"type": self.type, "message": self.message}}

    def response(self, request_id: str) -> Response:
        return json_response(self.status, self.body(request_id), request_id)


def invalid(message: str) -> V3Error:
    return V3Error(400, "api.invalid_request_error", message)


def not_found(message: str) -> V3Error:
    return V3Error(404, "api.not_found_error", message)


def v3_error_fault(
    error_type: str,
    status: int,
    *,
    path_prefix: str,
    method: str | None = None,
    times: int = 1,
) -> Fault:
    """A fault answering Nylas's error body for `error_type` instead of processing the request:
    OAuth style at the token endpoint, the `{request_id, error}` envelope elsewhere."""
    message = ERROR_MESSAGES.get(error_type, f"Nylas answered {error_type} (injected).")
    error = V3Error(status, error_type, message, oauth=path_prefix.startswith(EXCHANGE_PATH))
    body = json.dumps(error.body(str(uuid.uuid4()))).encode()
    return Fault(
        method=method, path_prefix=path_prefix, kind="body", status=status, times=times, body=body
    )


def ok(data: Any, request_id: str, status: int = 200) -> Response:
    return json_response(status, {"request_id": request_id, "data": data}, request_id)


def done(request_id: str) -> Response:
    """A deletion's answer: only the request id."""
    return json_response(200, {"request_id": request_id}, request_id)


def ok_list(
    items: list[Any],
    request_id: str,
    *,
    limit: int = 100,
    offset: int = 0,
    cursor: bool = True,
) -> Response:
    payload: dict[str, Any] = {
        "request_id": request_id,
        "data": items,
        "limit": limit,
        "offset": offset,
    }
    if cursor:  # grants are documented without one; the other lists keep theirs
        payload["next_cursor"] = None
    return json_response(200, payload, request_id)
