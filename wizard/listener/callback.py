"""Reading the query string Nylas appends to the redirect URI, one parser per API.

Connect: success is `success=true&provider=zoom&grant_id=<uuid>` (state may or may not be
echoed). v3: success is `code=<code>&state=<state>` (no grant id: the code is exchanged for it),
and the state is required. Both: failure is any `error` (a `success=false` may stand beside it).
Anything else is malformed. Reasons never quote the values: the state must not reach a log.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import parse_qsl

__all__ = [
    "Callback",
    "CallbackParser",
    "CodeCallback",
    "ErrorCallback",
    "GrantCallback",
    "MalformedCallback",
    "parse_callback",
    "parse_v3_callback",
]

# The parameters we read; a repeat of any of them makes the callback ambiguous.
_KNOWN = ("success", "provider", "grant_id", "state", "error", "error_code", "error_description")
_KNOWN_V3 = ("code", "state", "error", "error_code", "error_description")
_GRANT_ID_RE = re.compile(r"[A-Za-z0-9_-]{8,128}")
_PROVIDER_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_MAX_STATE = 1024
# Authorization codes are opaque; Nylas's are a few hundred characters of URL-safe text.
_CODE_RE = re.compile(r"[A-Za-z0-9._~+/=-]{8,2048}")
_MAX_FIELDS = 64
_MAX_ERROR = 100
_MAX_DESCRIPTION = 1000
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_T = TypeVar("_T")


class MalformedCallback(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class GrantCallback:
    grant_id: str
    provider: str
    state: str | None


@dataclass(frozen=True)
class ErrorCallback:
    error: str
    error_code: str | None
    description: str
    state: str | None


@dataclass(frozen=True)
class CodeCallback:
    """v3: an authorization code to exchange for the grant (works once)."""

    code: str
    state: str

    def __repr__(self) -> str:  # the code is a credential until it is exchanged
        return "CodeCallback(code=<hidden>, state=<hidden>)"


Callback = GrantCallback | CodeCallback | ErrorCallback
CallbackParser = Callable[[str], Callback]


def parse_callback(query: str) -> GrantCallback | ErrorCallback:
    """Connect: parse the raw query string (without `?`); MalformedCallback when it is neither."""
    return _parse(query, _KNOWN, "success", _grant)


def parse_v3_callback(query: str) -> CodeCallback | ErrorCallback:
    """v3: `code` and `state`, or the error parameters; the state is required on success."""
    return _parse(query, _KNOWN_V3, "code", _code)


def _parse(
    query: str, known: tuple[str, ...], key: str, success: Callable[[str, dict[str, str]], _T]
) -> _T | ErrorCallback:
    """Both APIs: an error wins; else `key` (what says success) must be there, for `success`."""
    params = _params(query, known)
    if "error" in params:
        return _error(params)
    value = params.get(key)
    if value is None:
        raise MalformedCallback(f"neither {key} nor error is present")
    return success(value, params)


def _grant(success: str, params: dict[str, str]) -> GrantCallback:
    if success.lower() != "true":
        raise MalformedCallback("success is not true and no error is given")
    grant_id = params.get("grant_id")
    if grant_id is None:
        raise MalformedCallback("success=true but grant_id is missing")
    if not _GRANT_ID_RE.fullmatch(grant_id):
        raise MalformedCallback("grant_id is not an id (8-128 of A-Z a-z 0-9 - _)")
    provider = params.get("provider")
    if provider is None:
        raise MalformedCallback("success=true but provider is missing")
    if not _PROVIDER_RE.fullmatch(provider):
        raise MalformedCallback("provider is not a provider name")
    return GrantCallback(grant_id=grant_id, provider=provider, state=params.get("state"))


def _code(code: str, params: dict[str, str]) -> CodeCallback:
    if not _CODE_RE.fullmatch(code):
        raise MalformedCallback("code is not an authorization code")
    state = params.get("state")
    if not state:
        raise MalformedCallback("code without state")
    return CodeCallback(code=code, state=state)


def _params(query: str, known: tuple[str, ...]) -> dict[str, str]:
    try:
        pairs = parse_qsl(
            query,
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=_MAX_FIELDS,
        )
    except UnicodeDecodeError:
        raise MalformedCallback("the query is not valid UTF-8") from None
    except ValueError:
        raise MalformedCallback("the query has too many parameters") from None

    params: dict[str, str] = {}
    for name, value in pairs:
        if name not in known:
            continue  # Nylas may add parameters; they do not change the meaning
        if name in params:
            raise MalformedCallback(f"the parameter {name!r} is repeated")
        params[name] = value

    state = params.get("state")
    if state is not None and len(state) > _MAX_STATE:
        raise MalformedCallback("the state is too long")
    return params


def _error(params: dict[str, str]) -> ErrorCallback:
    error = _clean(params["error"], _MAX_ERROR) or "unknown_error"
    code = _clean(params.get("error_code", ""), _MAX_ERROR) or None
    description = _clean(params.get("error_description", ""), _MAX_DESCRIPTION)
    return ErrorCallback(
        error=error, error_code=code, description=description, state=params.get("state")
    )


def _clean(text: str, limit: int) -> str:
    # Shown in a page and written to logs: no control characters, bounded size.
    return _CONTROL_RE.sub(" ", text).strip()[:limit]
