"""The fake Zoom OAuth app: its registration, the codes it issues and the code exchange.

Kept apart from both fake Nylas APIs' state because in reality they are two companies: Nylas only
learns what Zoom tells it through the callback and the token exchange.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

# Scopes configured on the sandbox's Zoom app (scopes live on the Zoom app, not on Nylas).
ZOOM_APP_SCOPES: tuple[str, ...] = (
    "meeting:write:meeting",
    "meeting:update:meeting",
    "meeting:delete:meeting",
    "user:read:user",
)
CODE_TTL = 600.0  # Zoom's authorization codes are short-lived


class ZoomOAuthError(Exception):
    """A token exchange Zoom refused; `code` is Zoom's numeric error code."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{reason} ({code})")
        self.code = code
        self.reason = reason


@dataclass
class _IssuedCode:
    client_id: str
    redirect_uri: str
    email: str
    scope: list[str]
    issued_at: float


@dataclass
class ConsentResult:
    """What Nylas gets from a successful exchange: whose Zoom account, and which scopes."""

    email: str
    scope: list[str]


@dataclass
class FakeZoom:
    client_id: str
    client_secret: str = field(repr=False)
    app_name: str
    user_email: str  # prefilled on the consent page; a trainer may type another
    # The app's OAuth redirect URLs (the Nylas callbacks): Connect's and v3's, as a Zoom app
    # set up for both APIs lists both on its allow list.
    registered_redirects: Callable[[], tuple[str, ...]]
    clock: Callable[[], float]
    scopes: tuple[str, ...] = ZOOM_APP_SCOPES
    _codes: dict[str, _IssuedCode] = field(default_factory=dict, repr=False)

    def accepts_redirect(self, redirect_uri: str) -> bool:
        return redirect_uri in self.registered_redirects()

    def knows_client(self, client_id: str) -> bool:
        return _same(client_id, self.client_id)

    def issue_code(self, client_id: str, redirect_uri: str, email: str, scope: list[str]) -> str:
        code = secrets.token_urlsafe(24)
        self._codes[code] = _IssuedCode(client_id, redirect_uri, email, scope, self.clock())
        return code

    def exchange(
        self, code: str, client_id: str, client_secret: str, redirect_uri: str
    ) -> ConsentResult:
        """Zoom's POST /oauth/token, as Nylas calls it. A code works once, even if refused."""
        issued = self._codes.pop(code, None)
        if not (self.knows_client(client_id) and _same(client_secret, self.client_secret)):
            raise ZoomOAuthError(4702, "Invalid client")
        if issued is None or self.clock() - issued.issued_at > CODE_TTL:
            raise ZoomOAuthError(4700, "Invalid authorization code")
        if issued.client_id != client_id:
            raise ZoomOAuthError(4700, "Invalid authorization code")
        if issued.redirect_uri != redirect_uri or not self.accepts_redirect(redirect_uri):
            raise ZoomOAuthError(4709, "Redirect URI mismatch")
        return ConsentResult(issued.email, issued.scope)


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
