"""Checks of what an operator types, with messages that say what to do. Standard library only:
the command line's argument parser uses them before any of the core is loaded."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from wizard.defaults import MAX_GRANT_LIFETIME, MIN_GRANT_LIFETIME

# Nylas account ids are opaque tokens; letters, digits and a few separators cover them.
_ACCOUNT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,255}")
_GRANT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

MAX_LOGIN_HINT = 254  # the longest email address (RFC 5321 path limit)
MAX_CUSTOMER = 200


def validate_login_hint(text: str) -> str:
    hint = text.strip()
    if len(hint) > MAX_LOGIN_HINT:
        raise ValueError(
            f"The Zoom login hint is {len(hint)} characters long; an email address has at "
            f"most {MAX_LOGIN_HINT}. Enter the customer's Zoom email or leave it empty."
        )
    if not _EMAIL.fullmatch(hint) or _CONTROL.search(hint):
        raise ValueError(
            f"The Zoom login hint {hint[:60]!r} is not an email address; "
            "enter the customer's Zoom email or leave it empty."
        )
    return hint


def validate_customer(text: str | None) -> str | None:
    value = (text or "").strip()
    if not value:
        return None
    if _CONTROL.search(value):
        raise ValueError(
            "The customer reference contains control characters (a line break, a tab or an "
            "escape); type it on one line."
        )
    if len(value) > MAX_CUSTOMER:
        raise ValueError(
            f"The customer reference is {len(value)} characters long; keep it to at most "
            f"{MAX_CUSTOMER}."
        )
    return value


def validate_name(text: str, what: str = "integration name", limit: int = 256) -> str:
    value = text.strip()
    if not value:
        raise ValueError(f"Enter a name for the {what}, for example 'Zoom'.")
    if _CONTROL.search(value):
        raise ValueError(
            f"The {what} contains control characters (a line break, a tab or an escape); "
            "type it on one line."
        )
    if len(value) > limit:
        raise ValueError(
            f"The {what} is {len(value)} characters long; at most {limit} are allowed."
        )
    return value


def validate_account_id(text: str) -> str:
    value = text.strip()
    if not value:
        raise ValueError("Enter the customer's Nylas account id.")
    return _matching(
        _ACCOUNT_ID,
        value,
        "is not a Nylas account id: use only letters, digits and . _ : @ -, at most 256 "
        "characters, as shown in the Nylas dashboard.",
    )


def validate_grant_id(text: str) -> str:
    """A Nylas grant id as the grants list shows it (a UUID on both APIs)."""
    return _matching(
        _GRANT_ID,
        text.strip(),
        "is not a Nylas grant id: copy it from `zoom-onboard grants` or the Grants window "
        "(letters, digits and -, like 4394b253-...).",
    )


def _matching(pattern: re.Pattern[str], value: str, problem: str) -> str:
    """An id `pattern` matches whole; else `problem`, after the start of what was typed."""
    if not pattern.fullmatch(value):
        raise ValueError(f"{value[:40]!r} {problem}")
    return value


def validate_lifetime(seconds: int) -> int:
    if not MIN_GRANT_LIFETIME <= seconds <= MAX_GRANT_LIFETIME:
        raise ValueError(
            f"A grant lifetime must be between {MIN_GRANT_LIFETIME} seconds and "
            f"{MAX_GRANT_LIFETIME // 86400} days; {seconds} seconds is outside that."
        )
    return seconds


MAX_LANDING_PAGE = 2048
_LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def validate_landing_page(text: str) -> str:
    """The https address of the landing page a company hosts for customers elsewhere
    (resources/landing/): registered as a second redirect URI, exactly as typed. Plain http
    only on this computer (the sandbox's practice copy), as Nylas allows only localhost."""
    url = text.strip()
    if not url or len(url) > MAX_LANDING_PAGE or _CONTROL.search(url) or " " in url:
        raise ValueError(
            "The landing page address must be one https address of at most "
            f"{MAX_LANDING_PAGE} characters, e.g. https://www.example.com/zoom-connected.html."
        )
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    loopback = parts.netloc.lower().split(":")[0] in _LOOPBACK_HOSTS or host == "::1"
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise ValueError(
            f"The landing page {url[:80]!r} must be an https address (Nylas sends the customer "
            "there with their answer in the address)."
        )
    if not host or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(
            f"The landing page {url[:80]!r} must be a plain address of a page: a host and a "
            "path, without '?', '#' or a user name."
        )
    return url
