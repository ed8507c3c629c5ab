"""What the operator types in, validated once here for both the CLI and the wizard."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import SecretStr

from wizard.defaults import DEFAULT_GRANT_LIFETIME, DEFAULT_INTEGRATION_NAME
from wizard.listener.redirect_uri import LoopbackRedirectUri
from wizard.validation import (
    validate_account_id,
    validate_customer,
    validate_lifetime,
    validate_login_hint,
    validate_name,
)

if TYPE_CHECKING:
    from wizard.store.entries import QueueEntry

__all__ = [
    "CustomerAccount",
    "IntegrationSpec",
    "ZoomApp",
    "validate_account_id",
    "validate_lifetime",
]


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
    # v3: move the connector to this Zoom app when it holds another one (the operator's
    # explicit choice: the application's existing Zoom grants were made with the old app).
    replace_zoom_app: bool = False

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
    # Connect: the grant this consent re-authenticates (kept by the auth request's grant_id).
    renews: str | None = None

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


def account_for_entry(entry: QueueEntry, api: str) -> CustomerAccount:
    """A queue entry as the account to onboard on this API ("connect" or "v3"), for the
    wizard and the command line alike; ValueError says what the entry lacks."""
    if api == "connect":
        if not entry.account_id:
            raise ValueError(
                f"{entry.label}: the Connect API needs the customer's Nylas account id, and this "
                "entry has only a Zoom email. Use Nylas API v3, or add the customer again by "
                "account id."
            )
        # A re-authentication from the grants worklist names the Zoom user too.
        return CustomerAccount(
            entry.account_id,
            login_hint=entry.login_hint,
            customer=entry.customer,
            renews=entry.renews,
        )
    # v3 has no account id: what the operator was given becomes the reference in the history.
    reference = entry.customer or entry.login_hint or entry.account_id
    return CustomerAccount(customer=reference, login_hint=entry.login_hint)
