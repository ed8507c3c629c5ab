"""The pages the browser sees after the redirect: self-contained, every value escaped.

No external resources (the CSP sent with them forbids any), so they render offline and leak
nothing; `prefers-color-scheme` follows the person's browser theme.
"""

from __future__ import annotations

from html import escape

__all__ = [
    "already_done_page",
    "error_page",
    "not_for_this_request_page",
    "refused_page",
    "success_page",
]

# Sent with every page: nothing may be loaded, and the callback URL must not leak as referrer.
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
)

_STYLE = """
:root { color-scheme: light dark; --bg: #f6f7f9; --card: #fff; --fg: #1d2330; --muted: #5b6475;
  --ok: #1a7f37; --bad: #c62828; --warn: #9a6700; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #15181e; --card: #1f232b; --fg: #e6e9ef; --muted: #a0a8b8;
    --ok: #4ac26b; --bad: #ff7b72; --warn: #d29922; } }
body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
  background: var(--bg); color: var(--fg);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { background: var(--card); max-width: 34rem; margin: 1rem; padding: 2rem 2.25rem;
  border-radius: 12px; box-shadow: 0 2px 12px rgba(0, 0, 0, .12);
  border-top: 5px solid var(--accent); }
h1 { margin: 0 0 .75rem; font-size: 1.35rem; color: var(--accent); }
p { margin: .5rem 0; }
.muted { color: var(--muted); font-size: .9rem; }
blockquote { margin: .75rem 0; padding: .5rem .9rem; border-left: 3px solid var(--accent);
  background: var(--bg); white-space: pre-wrap; overflow-wrap: anywhere; }
"""


def _page(title: str, accent: str, body_html: str) -> str:
    # `title` and `body_html` are built by this module only; callers' values arrive escaped.
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f'<body><main style="--accent: var(--{accent})"><h1>{escape(title)}</h1>'
        f"{body_html}</main></body></html>\n"
    )


def success_page() -> str:
    return _page(
        "Zoom is connected",
        "ok",
        "<p>You can close this tab and return to Zoom onboarding.</p>",
    )


def refused_page(description: str, error: str, error_code: str | None = None) -> str:
    """Consent declined or the provider failed: never looks like success."""
    code = f"{error}" + (f", code {error_code}" if error_code else "")
    if error == "access_denied":
        body = (
            "<p>The Zoom user chose not to allow access, so nothing was connected.</p>"
            "<p>If that was a mistake, start the connection again in Zoom onboarding and "
            "choose <b>Allow</b>, signed in as the customer's Zoom user.</p>"
        )
    else:
        reason = escape(description) if description else "No reason was given."
        body = (
            f"<p>Nothing was connected. The service said:</p><blockquote>{reason}</blockquote>"
            "<p>Return to Zoom onboarding: it says what to do next.</p>"
        )
    return _page(
        "Zoom was not connected", "bad", body + f'<p class="muted">Error: {escape(code)}</p>'
    )


def failed_page() -> str:
    """The answer was for this request, but it could not be turned into a grant."""
    return _page(
        "Zoom was not connected",
        "bad",
        "<p>Zoom onboarding received the answer but could not complete the connection "
        "with Nylas. Return to the app: it says why and what to do next.</p>",
    )


def stateless_error_ignored_page() -> str:
    """An error callback without the request's state: anyone could have sent it."""
    return _page(
        "This answer was ignored",
        "warn",
        "<p>This page carries an error but no sign of the connection being made, so Zoom "
        "onboarding ignored it and is still waiting for the customer's answer.</p>"
        "<p>Return to the app and use the link it shows now.</p>",
    )


def not_for_this_request_page(detail: str | None = None) -> str:
    """State mismatch, stale link, forged or unverifiable callback: nothing was connected."""
    extra = f'<p class="muted">{escape(detail)}</p>' if detail else ""
    return _page(
        "This link is not for the current connection",
        "warn",
        "<p>This page was opened from an old tab or a link of another request, so nothing "
        "was connected by it.</p>"
        "<p>Return to the app and use the link it shows now.</p>" + extra,
    )


def already_done_page() -> str:
    return _page(
        "This connection is already finished",
        "warn",
        "<p>The app has already received the answer for this connection. You can close this "
        "tab and return to Zoom onboarding.</p>",
    )


def error_page(status_line: str, message: str) -> str:
    """Small page for stray requests (404, 405, 400): nothing about the flow."""
    return _page(status_line, "warn", f"<p>{escape(message)}</p>")
