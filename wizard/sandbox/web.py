"""Answers both halves build the same way: pages, JSON with its request id, redirects back."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from wizard.http.server import Request, Response
from wizard.sandbox import pages


def html(status: int, page: str) -> Response:
    response = Response.html(status, page)
    # Real consent pages refuse to be framed (clickjacking); the sandbox's do too.
    response.headers.append(("x-frame-options", "DENY"))
    return response


def nylas_page(status: int, title: str, message: str) -> Response:
    """Nylas's error page, where a sign-in stops when there is nowhere safe to redirect."""
    return html(status, pages.nylas_error(title, message))


def json_response(
    status: int, payload: Any, request_id: str, headers: tuple[tuple[str, str], ...] = ()
) -> Response:
    return Response(
        status,
        json.dumps(payload).encode(),
        "application/json",
        [("x-request-id", request_id), *headers],
    )


def with_query(url: str, params: list[tuple[str, str]]) -> str:
    """`url` with `params` appended to whatever query it already has."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + params
    return urlunsplit(parts._replace(query=urlencode(query)))


def state_param(state: str | None) -> list[tuple[str, str]]:
    """The app's `state`, to hand back on a redirect, if it sent one."""
    return [] if state is None else [("state", state)]


def client_ip(request: Request) -> str | None:
    """The browser's address as a grant records it (no port, no brackets)."""
    return request.peer.rpartition(":")[0].strip("[]") or None
