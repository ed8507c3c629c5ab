"""What the operator types in, validated once here for both the CLI and the wizard."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import SecretStr

from wizard.defaults import DEFAULT_GRANT_LIFETIME, DEFAULT_INTEGRATION_NAME
from wizard.listener.redirect_uri import LoopbackRedirectUri
from wizard.nylas.models import MAX_EXPIRES_IN, MIN_EXPIRES_IN

# Nylas account ids are opaque tokens; letters, digits and a few separators cover them.
_ACCOUNT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,255}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class ZoomApp:
    client_id: str
    client_secret: SecretStr

    def __post_init__(self) -> None:
        if not self.client_id.strip():
            raise ValueError(
                "Enter the Zoom app's client id (Zoom Marketplace > your app > Basic Information)."
            )
        if not self.client_secret.get_secret_value().strip():
            raise ValueError(
                "Enter the Zoom app's client secret "
                "(Zoom Marketplace > your app > Basic Information)."
            )


@dataclass(frozen=True)
class IntegrationSpec:
    zoom: ZoomApp
    redirect_uri: LoopbackRedirectUri
    name: str = DEFAULT_INTEGRATION_NAME
    expires_in: int = DEFAULT_GRANT_LIFETIME

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", validate_name(self.name))
        validate_lifetime(self.expires_in)


@dataclass(frozen=True)
class CustomerAccount:
    """One customer: the Nylas account id (Connect), the Zoom email as a login hint, and a
    reference of the operator's own for the history (v3 grants have no Nylas account id)."""

    account_id: str | None = None
    login_hint: str | None = None
    expires_in: int | None = None
    customer: str | None = None

    def __post_init__(self) -> None:
        if self.account_id is not None and self.account_id.strip():
            object.__setattr__(self, "account_id", validate_account_id(self.account_id))
        else:
            object.__setattr__(self, "account_id", None)
        hint = (self.login_hint or "").strip() or None
        if hint is not None:
            hint = validate_login_hint(hint)
        object.__setattr__(self, "login_hint", hint)
        if self.expires_in is not None:
            validate_lifetime(self.expires_in)
        object.__setattr__(self, "customer", validate_customer(self.customer))

    def require_for(self, api: str) -> CustomerAccount:
        """What each API needs: Connect a Nylas account id, v3 a customer reference."""
        if api == "connect" and self.account_id is None:
            raise ValueError("Enter the customer's Nylas account id.")
        if api == "v3" and self.customer is None:
            raise ValueError(
                "Enter a customer reference for the history (a name or ticket number, for "
                "example 'Acme #123'): v3 grants have no Nylas account id to find them by."
            )
        return self

    @property
    def label(self) -> str:
        """How the operator knows this customer, for messages."""
        return self.customer or self.account_id or self.login_hint or "this customer"


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
    if not _ACCOUNT_ID.fullmatch(value):
        raise ValueError(
            f"{value[:40]!r} is not a Nylas account id: use only letters, digits and . _ : @ -, "
            "at most 256 characters, as shown in the Nylas dashboard."
        )
    return value


def validate_lifetime(seconds: int) -> int:
    if not MIN_EXPIRES_IN <= seconds <= MAX_EXPIRES_IN:
        raise ValueError(
            f"A grant lifetime must be between {MIN_EXPIRES_IN} seconds and "
            f"{MAX_EXPIRES_IN // 86400} days; {seconds} seconds is outside that."
        )
    return seconds
