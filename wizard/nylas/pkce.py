"""PKCE as Nylas v3 computes it, which is not RFC 7636.

challenge = base64( lowercase hex( sha256(verifier) ) ), '=' padding removed: 86 characters.
(RFC 7636 would be base64url of the raw digest; Nylas refuses that.) Published check: verifier
"nylas" -> "ZTk2YmY2Njg2YTNjMzUxMGU5ZTkyN2RiNzA2OWNiMWNiYTliOTliMDIyZjQ5NDgzYTZjZTMyNzA4MDllNjhhMg".
"""

from __future__ import annotations

import base64
import hashlib
import secrets

VERIFIER_BYTES = 32  # as the Nylas CLI: 43 characters of base64url


def new_code_verifier() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(VERIFIER_BYTES)).decode().rstrip("=")


def nylas_code_challenge(verifier: str) -> str:
    hex_digest = hashlib.sha256(verifier.encode("ascii")).hexdigest()
    # Hex digits and padding only: the standard and URL-safe alphabets agree on this text.
    return base64.b64encode(hex_digest.encode("ascii")).decode("ascii").rstrip("=")
