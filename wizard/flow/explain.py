"""Every error the core can raise, in words a support person can act on (CLI and wizard alike).

Every word returned has been through the log's redaction (`wizard.logs.redact_text`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pydantic import ValidationError

from wizard.flow.v3_backend import ZoomAppMismatch
from wizard.listener.listener import CallbackRefused, ListenerTimeout, PortInUse
from wizard.listener.redirect_uri import InvalidRedirectUri
from wizard.logs import redact_text
from wizard.nylas.errors import NylasApiError, NylasError, NylasNetworkError
from wizard.outcome import Outcome
from wizard.store.secrets import KeyringRefused


@dataclass(frozen=True)
class Explanation:
    type: str
    message: str
    hint: str
    outcome: Outcome

    def text(self) -> str:
        return f"{self.message} {self.hint}".strip()


def explain(exc: BaseException) -> Explanation:
    """The words for `exc`, redacted like the log: a server or proxy that echoes a credential
    in its error message (or its error type) must not get it printed or shown."""
    words = _explain(exc)
    return replace(
        words,
        type=redact_text(words.type),
        message=redact_text(words.message),
        hint=redact_text(words.hint),
    )


def _explain(exc: BaseException) -> Explanation:
    match exc:
        # Connect wraps Zoom's access_denied in oauth_failed; its description names it.
        case CallbackRefused() if "access_denied" in f"{exc.error} {exc.description}":
            # A decline is the customer's choice: nothing to do with any secret.
            return Explanation(
                "refused",
                "The customer's Zoom user declined to connect the app.",
                "If that was a mistake, start the sign-in again and choose Allow, signed in as the "
                "customer's Zoom user.",
                Outcome.FAILED,
            )
        case CallbackRefused():
            return Explanation(
                "refused",
                f"Zoom access was not granted: {exc.description or exc.error}",
                "If Zoom reported an invalid client, check the Zoom app's client id and secret "
                "on the Zoom connector or integration; otherwise try again.",
                Outcome.FAILED,
            )
        case ListenerTimeout():
            # Its message already says what to do (the listener knows what it saw).
            return Explanation("timeout", str(exc), "", Outcome.TIMEOUT)
        case TimeoutError():
            return Explanation("timeout", "The operation timed out.", "Try again.", Outcome.TIMEOUT)
        case PortInUse():
            return Explanation("port_in_use", str(exc), "", Outcome.BAD_INPUT)
        case InvalidRedirectUri():
            return Explanation("invalid_redirect_uri", str(exc), "", Outcome.BAD_INPUT)
        case ZoomAppMismatch():
            # Not a failure of Nylas: a choice the operator has to make.
            return Explanation("zoom_app_mismatch", exc.message, exc.hint, Outcome.BAD_INPUT)
        case NylasNetworkError():
            return Explanation(f"network_{exc.kind}", exc.message, exc.hint, Outcome.FAILED)
        case NylasApiError():
            return Explanation(exc.type, str(exc), exc.hint, Outcome.FAILED)
        case NylasError():
            return Explanation("protocol", exc.message, exc.hint, Outcome.FAILED)
        case KeyringRefused():
            # Its message says what to do; the keyring was asked once and stays in use.
            return Explanation("keyring_refused", str(exc), "", Outcome.FAILED)
        case ValidationError():
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            return Explanation(
                "invalid_input",
                f"{where}: {first['msg']}",
                "Correct the value and try again.",
                Outcome.BAD_INPUT,
            )
        case ValueError():
            return Explanation("invalid_input", str(exc), "", Outcome.BAD_INPUT)
        case _:
            return Explanation(
                "internal",
                f"Unexpected error: {type(exc).__name__}",
                "Copy the diagnostics (zoom-onboard --diagnostics) for an engineer.",
                Outcome.FAILED,
            )
