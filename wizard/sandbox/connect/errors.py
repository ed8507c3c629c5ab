"""The Connect API's error types, their event codes and its JSON envelopes.

Event codes 25003, 25016 and 702 are documented by Nylas; the others are sandbox-chosen
(Nylas does not publish them), so clients must not depend on their values.
"""

from __future__ import annotations

from typing import Any

from wizard.http.server import Response
from wizard.sandbox.routes import Call
from wizard.sandbox.web import json_response

# type -> (HTTP status, event code)
ERROR_TYPES: dict[str, tuple[int, int]] = {
    "invalid_request": (400, 10020),  # sandbox-chosen
    "provider_not_supported": (400, 25002),  # sandbox-chosen
    "integration_already_exists": (400, 25001),  # sandbox-chosen; status unconfirmed
    "redirect_uri_not_allowed": (400, 25003),  # documented
    "scopes_conflict": (400, 25016),  # documented
    "app_id_not_allowed": (400, 702),  # documented (never raised by the sandbox today)
    "unauthorized": (401, 10010),  # sandbox-chosen
    "not_found": (404, 10040),  # sandbox-chosen
    "method_not_allowed": (405, 10050),  # sandbox-chosen
    "rate_limit_exceeded": (429, 10429),  # sandbox-chosen
    "internal_error": (500, 10500),  # sandbox-chosen
    "bad_gateway": (502, 10502),  # sandbox-chosen
    "service_unavailable": (503, 10503),  # sandbox-chosen
    "gateway_timeout": (504, 10504),  # sandbox-chosen
}

# For injected status faults: the type Nylas would most plausibly send with that status.
_TYPE_BY_STATUS = {status: name for name, (status, _) in reversed(ERROR_TYPES.items())}


class ApiError(Exception):
    """An error answer; raised anywhere in endpoint code and turned into the envelope once."""

    def __init__(
        self,
        type_: str,
        message: str,
        *,
        status: int | None = None,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(message)
        default_status, self.event_code = ERROR_TYPES[type_]
        self.type = type_
        self.message = message
        self.status = status if status is not None else default_status
        self.headers = headers


def method_not_allowed(call: Call, allowed: str) -> ApiError:
    return ApiError(
        "method_not_allowed",
        f"{call.method} is not allowed on {call.request.path}; use {allowed}.",
        headers=(("allow", allowed),),
    )


def type_for_status(status: int) -> str:
    return _TYPE_BY_STATUS.get(status, "internal_error" if status >= 500 else "invalid_request")


def error_response(error: ApiError, request_id: str) -> Response:
    payload = {
        "success": False,
        "error": {
            "type": error.type,
            "http_code": error.status,
            "event_code": error.event_code,
            "message": error.message,
            "request_id": request_id,
        },
    }
    return json_response(error.status, payload, request_id, error.headers)


def ok(data: Any, request_id: str) -> Response:
    return json_response(200, {"success": True, "data": data}, request_id)


def ok_list(items: list[Any], limit: int, offset: int, request_id: str) -> Response:
    payload = {"success": True, "data": items, "limit": limit, "offset": offset}
    return json_response(200, payload, request_id)
