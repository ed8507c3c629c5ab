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
        if not self.name.strip():
            raise ValueError("Enter a name for the integration, for example 'Zoom'.")
        validate_lifetime(self.expires_in)


@dataclass(frozen=True)
class CustomerAccount:
    account_id: str
    login_hint: str | None = None
    expires_in: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "account_id", validate_account_id(self.account_id))
        hint = (self.login_hint or "").strip() or None
        if hint is not None and not _EMAIL.fullmatch(hint):
            raise ValueError(
                f"The Zoom login hint {hint!r} is not an email address; "
                "enter the customer's Zoom email or leave it empty."
            )
        object.__setattr__(self, "login_hint", hint)
        if self.expires_in is not None:
            validate_lifetime(self.expires_in)


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
