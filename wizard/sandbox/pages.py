"""HTML of the pages a browser sees: the sandbox landing page, the fake Nylas sign-in errors (of
both APIs), and the fake Zoom consent and error pages.

Every interpolated value goes through html.escape. The pages need no JavaScript: a plain form
is what a keyboard user, a screen reader and a test's HTTP client can all drive.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape

from wizard.sandbox.credentials import DemoCredentials

_NYLAS_STYLE = "body{font-family:sans-serif;max-width:40em;margin:3em auto;color:#222}"
_ZOOM_STYLE = (
    "body{font-family:sans-serif;max-width:42em;margin:3em auto;padding:0 1em;color:#232333}"
    "h1{color:#0b5cff}button{font-size:1em;padding:.5em 1.5em;margin-right:1em}"
    ".error{border:1px solid #e02828;padding:1em;color:#e02828}"
    # The whole email shows: a browser's default field is about 20 characters wide.
    "label{display:block;margin-bottom:.3em}"
    "input[type=email]{width:100%;box-sizing:border-box;font-size:1em;padding:.4em}"
)


def _document(title: str, style: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{style}</style></head>\n"
        f"<body>\n{body}\n</body></html>\n"
    )


def landing(
    base_url: str,
    credentials: DemoCredentials,
    *,
    show_secrets: bool,
    zoom_app_name: str,
    zoom_user_email: str,
) -> str:
    def secret(value: str) -> str:
        # Only the fixed public demo values are ever printed; custom ones stay hidden.
        return escape(value) if show_secrets else "(custom value, not shown)"

    rows = [
        ("Nylas API base URL (region)", escape(base_url)),
        ("Nylas client ID", escape(credentials.nylas_client_id)),
        ("Nylas client secret", secret(credentials.nylas_client_secret)),
        ("Zoom app name", escape(zoom_app_name)),
        ("Zoom client ID", escape(credentials.zoom_client_id)),
        ("Zoom client secret", secret(credentials.zoom_client_secret)),
        ("Zoom app redirect URL", escape(f"{base_url}/connect/callback")),
        ("Zoom user (prefilled)", escape(zoom_user_email)),
    ]
    table = "\n".join(
        f"<tr><th>{name}</th><td><code>{value}</code></td></tr>" for name, value in rows
    )
    # What the page says (Connect only, the Connect demo values) is an answer tests and
    # trainees read: widening it to v3 is a change of behaviour, not of wording.
    body = f"""<h1>Nylas Connect sandbox</h1>
<p>This is an offline imitation of the Nylas Connect API (beta) and of Zoom's consent page,
running on your own computer. Nothing here reaches Nylas or Zoom, and no real account is
touched. Point the wizard at the base URL below and use these demo values.</p>
<table>
{table}
</table>
<p>The demo secrets are public training values; they work only in this sandbox.</p>
<ul>
<li><a href="/healthz">Health check</a> (JSON)</li>
<li>API endpoints: <code>/connect/integrations</code>, <code>/connect/auth</code>,
<code>/connect/grants</code> (HTTP Basic auth with the Nylas client ID and secret)</li>
</ul>"""
    return _document("Nylas Connect sandbox", _NYLAS_STYLE, body)


def nylas_error(title: str, message: str) -> str:
    body = f"<h1>{escape(title)}</h1>\n<p>{escape(message)}</p>"
    return _document(f"Nylas - {title}", _NYLAS_STYLE, body)


def zoom_error(message: str) -> str:
    body = f'<h1>Zoom</h1>\n<div class="error"><p>{escape(message)}</p></div>'
    return _document("Zoom - Error", _ZOOM_STYLE, body)


def zoom_consent(
    *,
    app_name: str,
    email: str,
    scopes: Iterable[str],
    hidden: Mapping[str, str],
    notice: str | None = None,
) -> str:
    """Zoom's authorize page: the signed-in user allows or declines the app."""
    scope_items = "\n".join(f"<li><code>{escape(s)}</code></li>" for s in scopes)
    hidden_inputs = "\n".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in hidden.items()
    )
    notice_html = f'<div class="error" role="alert"><p>{escape(notice)}</p></div>' if notice else ""
    body = f"""<h1>zoom</h1>
{notice_html}
<form method="post" action="/zoom/oauth/authorize">
{hidden_inputs}
<p><label for="email">Signed in to Zoom as</label>
<input type="email" id="email" name="email" value="{escape(email)}" required></p>
<p><strong>{escape(app_name)}</strong> would like to access your Zoom account:</p>
<ul>
{scope_items}
</ul>
<p><button type="submit" id="allow" name="decision" value="allow">Allow</button>
<button type="submit" id="decline" name="decision" value="deny" formnovalidate>Decline</button></p>
</form>"""
    return _document(f"Zoom - Authorize {app_name}", _ZOOM_STYLE, body)
