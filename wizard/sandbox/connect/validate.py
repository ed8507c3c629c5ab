"""Validation of Connect API requests; each message names the field and says what is expected."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from wizard.http.server import Request
from wizard.sandbox.connect.errors import ApiError

EXPIRES_IN_MIN = 60
EXPIRES_IN_MAX = 315_360_000  # ten years, as the SDKs allow
LIST_LIMIT_MAX = 200
LIST_LIMIT_DEFAULT = 100


def invalid(message: str) -> ApiError:
    return ApiError("invalid_request", message)


def json_object(request: Request, allowed: Iterable[str]) -> dict[str, Any]:
    """The body as a JSON object with only known fields (a typo must not pass silently)."""
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid(f"The request body is not valid JSON: {exc}.") from None
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        raise invalid(f"Unknown field {names}; allowed fields are {', '.join(sorted(allowed))}.")
    return body


def required_str(body: dict[str, Any], name: str) -> str:
    if name not in body:
        raise invalid(f"The field '{name}' is required.")
    value = body[name]
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"The field '{name}' must be a non-empty string.")
    return value


def optional_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(f"The field '{name}' must be a string.")
    return value


def optional_object(body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid(f"The field '{name}' must be a JSON object.")
    return value


def expires_in(body: dict[str, Any]) -> int | None:
    value = body.get("expires_in")
    if value is None:
        return None
    # bool is an int in Python but not in JSON.
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid("The field 'expires_in' must be a whole number of seconds.")
    if not EXPIRES_IN_MIN <= value <= EXPIRES_IN_MAX:
        raise invalid(
            f"The field 'expires_in' must be between {EXPIRES_IN_MIN} and {EXPIRES_IN_MAX} "
            f"seconds; got {value}."
        )
    return value


def string_list(body: dict[str, Any], name: str) -> list[str] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise invalid(f"The field '{name}' must be a list of non-empty strings.")
    return list(value)


def redirect_uris(body: dict[str, Any]) -> list[str]:
    uris = string_list(body, "redirect_uris")
    if not uris:
        raise invalid("The field 'redirect_uris' must be a non-empty list of URLs.")
    for uri in uris:
        parts = urlsplit(uri)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise invalid(f"Each redirect URI must be an absolute http or https URL; got {uri!r}.")
        if parts.fragment:
            raise invalid(f"A redirect URI must not contain a #fragment; got {uri!r}.")
    return uris


def zoom_settings(body: dict[str, Any]) -> tuple[str, str]:
    """The Zoom app's client ID and secret; both are needed, also in a PATCH."""
    settings = body.get("settings")
    if not isinstance(settings, dict):
        raise invalid(
            "The field 'settings' must be a JSON object with the Zoom app's client_id and "
            "client_secret."
        )
    values = []
    for key in ("client_id", "client_secret"):
        value = settings.get(key)
        if not isinstance(value, str) or not value.strip():
            raise invalid(
                f"The field 'settings.{key}' must be a non-empty string (from the Zoom app's "
                "Basic Information page)."
            )
        values.append(value)
    return values[0], values[1]


def page(request: Request) -> tuple[int, int]:
    """The `limit` and `offset` query parameters of a list endpoint."""
    limit = _query_int(request, "limit", LIST_LIMIT_DEFAULT, 1, LIST_LIMIT_MAX)
    offset = _query_int(request, "offset", 0, 0, None)
    return limit, offset


def _query_int(request: Request, name: str, default: int, low: int, high: int | None) -> int:
    raw = request.query_one(name)
    if raw is None:
        return default
    bounds = f"at least {low}" if high is None else f"between {low} and {high}"
    # isdigit() alone accepts "²"; require plain ASCII digits. int() raises ValueError beyond
    # 4300 digits (a 500 "sandbox bug" before): leading zeros go, then at most 18 digits.
    digits = raw.lstrip("0") or "0"
    if (
        not (raw.isascii() and raw.isdigit())
        or len(digits) > 18
        or not (low <= int(digits) and (high is None or int(digits) <= high))
    ):
        shown = raw if len(raw) <= 40 else raw[:40] + "..."
        raise invalid(
            f"The query parameter '{name}' must be a whole number {bounds}; got {shown!r}."
        )
    return int(digits)
