"""Validation of v3 API requests: the body, whole numbers and choices in the query, callback
URIs and connector settings, each refused with api.invalid_request_error."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from wizard.http.server import Request
from wizard.sandbox.v3.errors import invalid
from wizard.sandbox.v3.state import GrantQuery

GRANTS_LIMIT_DEFAULT = 10
GRANTS_LIMIT_MAX = 200
_GRANT_SORTS = ("created_at", "updated_at")
_ORDERS = ("asc", "desc")
_GRANT_STATUSES = ("valid", "invalid")
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]", "::1")
_PLATFORMS = ("web", "desktop", "js", "ios", "android")


def json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, RecursionError):
        raise invalid("The body must be JSON.") from None
    if not isinstance(body, dict):
        raise invalid("The body must be a JSON object.")
    return body


def whole_number(text: str | None, name: str) -> int | None:
    if text is None or text == "":
        return None
    try:
        value = int(text)
    except ValueError:
        raise invalid(f"{name} must be a whole number; it was {text!r}.") from None
    if value < 0:
        raise invalid(f"{name} must not be negative.")
    return value


def choice(text: str | None, name: str, allowed: tuple[str, ...], default: str) -> str:
    if text is None or text == "":
        return default
    if text not in allowed:
        raise invalid(f"{name} must be one of {', '.join(allowed)}; it was {text!r}.")
    return text


def grant_query(request: Request) -> GrantQuery:
    """GET /v3/grants's query parameters; the first problem found is the one answered."""
    q = request.query_one
    since, before = whole_number(q("since"), "since"), whole_number(q("before"), "before")
    sort_by = choice(q("sort_by"), "sort_by", _GRANT_SORTS, "created_at")
    order_by = choice(q("order_by"), "order_by", _ORDERS, "desc")
    limit = whole_number(q("limit"), "limit")
    limit = GRANTS_LIMIT_DEFAULT if limit is None else limit
    if not 1 <= limit <= GRANTS_LIMIT_MAX:
        raise invalid(f"limit must be between 1 and {GRANTS_LIMIT_MAX}; it was {limit}.")
    offset = whole_number(q("offset"), "offset") or 0
    status = q("grant_status")
    if status and status not in _GRANT_STATUSES:
        raise invalid(
            f"grant_status must be one of {', '.join(_GRANT_STATUSES)}; it was {status!r}."
        )
    return GrantQuery(
        provider=q("provider"),
        email=q("email"),
        status=status,
        since=since,
        before=before,
        sort_by=sort_by,
        order_by=order_by,
        limit=limit,
        offset=offset,
    )


def callback_uri(body: dict[str, Any]) -> tuple[str, str]:
    """The new callback URI's url and platform."""
    url, platform = body.get("url"), body.get("platform", "web")
    if not isinstance(url, str) or not url:
        raise invalid("url is required.")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid(f"{url!r} is not a URL.")
    if (
        parts.scheme == "http"
        and parts.netloc.rpartition(":")[0] not in _LOCAL_HOSTS
        and (parts.hostname not in _LOCAL_HOSTS)
    ):
        raise invalid("Plain http is allowed only for localhost.")
    if platform not in _PLATFORMS:
        raise invalid(f"Unknown platform {platform!r}.")
    return url, platform


def new_connector(body: dict[str, Any]) -> tuple[str, str, str]:
    """A new connector's provider, client id and client secret."""
    provider = body.get("provider")
    if provider != "zoom":
        raise invalid("The sandbox supports provider 'zoom'.")
    if body.get("scope"):
        raise invalid("Zoom connectors take no scopes: set them on the Zoom app.")
    settings = body.get("settings")
    if not isinstance(settings, dict) or not all(
        isinstance(settings.get(k), str) and settings.get(k) for k in ("client_id", "client_secret")
    ):
        raise invalid("settings.client_id and client_secret are required.")
    return provider, settings["client_id"], settings["client_secret"]
