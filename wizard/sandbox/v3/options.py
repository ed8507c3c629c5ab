"""V3Options: how the sandbox's v3 answers where Nylas is silent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class V3Options:
    """Where Nylas is silent (UNCONFIRMED): let the sandbox answer both ways, so a client can be
    tested against each. Read on every request, so a test may switch them mid-run."""

    # A re-authentication keeps the grant's first `state` ("initial"), or overwrites it.
    renewal_state: Literal["initial", "overwritten"] = "initial"
    # False: grants are answered without "grant_status" (the spec makes it optional).
    grant_status_field: bool = True
    # True: grants are answered with "scope": null (seen by Nylas's Java SDK).
    scope_null: bool = False
    # True: when the hosted auth's login_hint names a user who already has a grant and another
    # Zoom user signs in, the exchange answers 400 grant.reauth_email_invalid (nothing changes).
    reauth_email_check: bool = False


DEFAULT_V3_OPTIONS = V3Options()
