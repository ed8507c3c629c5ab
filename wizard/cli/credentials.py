"""Where the headless commands get secrets: environment, a saved profile, or a hidden prompt.

Never from the command line, where every other user of the computer can read them.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import SecretStr

from wizard.logs import remember_secret

# What each API needs from the environment (or a profile, or a prompt). v3's NYLAS_CLIENT_ID
# (the application id) is optional: it is looked up from the API key.
ENV_NAMES = {
    "connect": ("NYLAS_CLIENT_ID", "NYLAS_CLIENT_SECRET", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"),
    "v3": ("NYLAS_API_KEY", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"),
}
OPTIONAL = {"connect": (), "v3": ("NYLAS_CLIENT_ID",)}
SECRET_NAMES = frozenset({"NYLAS_CLIENT_SECRET", "NYLAS_API_KEY", "ZOOM_CLIENT_SECRET"})


@dataclass(frozen=True)
class Credentials:
    nylas_client_id: str | None  # Connect: the client id; v3: the application id, if known
    nylas_secret: SecretStr  # Connect: the client secret; v3: the API key
    zoom_client_id: str
    zoom_client_secret: SecretStr


class MissingCredentials(ValueError):
    pass


def read_credentials(
    env: Mapping[str, str] | None = None,
    *,
    api: str = "connect",
    fallback: Mapping[str, str] | None = None,
    interactive: bool | None = None,
    zoom: bool = True,
) -> Credentials:
    """Environment first, then `fallback` (a profile or the sandbox's demo values), then a
    prompt on a terminal. `zoom=False`: only the Nylas credentials (asking Nylas about grants
    needs no Zoom app)."""
    env = os.environ if env is None else env
    fallback = fallback or {}
    if interactive is None:
        interactive = sys.stdin.isatty() and sys.stderr.isatty()
    values: dict[str, str] = {}
    missing: list[str] = []
    names = [n for n in (*ENV_NAMES[api], *OPTIONAL[api]) if zoom or not n.startswith("ZOOM_")]
    for name in names:
        value = (env.get(name) or fallback.get(name) or "").strip()
        required = name not in OPTIONAL[api]
        if not value and interactive and required:
            ask = getpass.getpass if name in SECRET_NAMES else input
            value = ask(f"{name.replace('_', ' ').title()}: ").strip()
        if not value and required:
            missing.append(name)
        values[name] = value
    if missing:
        raise MissingCredentials(
            f"Missing {', '.join(missing)}: set them in the environment, choose a saved profile "
            "with --profile, or run on a terminal to be asked."
        )
    secret_name = "NYLAS_API_KEY" if api == "v3" else "NYLAS_CLIENT_SECRET"
    remember_secret(values[secret_name], values.get("ZOOM_CLIENT_SECRET", ""))
    return Credentials(
        values.get("NYLAS_CLIENT_ID") or None,
        SecretStr(values[secret_name]),
        values.get("ZOOM_CLIENT_ID", ""),
        SecretStr(values.get("ZOOM_CLIENT_SECRET", "")),
    )
