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

ENV_NAMES = ("NYLAS_CLIENT_ID", "NYLAS_CLIENT_SECRET", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET")


@dataclass(frozen=True)
class Credentials:
    nylas_client_id: str
    nylas_client_secret: SecretStr
    zoom_client_id: str
    zoom_client_secret: SecretStr


class MissingCredentials(ValueError):
    pass


def read_credentials(
    env: Mapping[str, str] | None = None,
    *,
    fallback: Mapping[str, str] | None = None,
    interactive: bool | None = None,
) -> Credentials:
    """Environment first, then `fallback` (a profile or the sandbox's demo values), then a
    prompt on a terminal."""
    env = os.environ if env is None else env
    fallback = fallback or {}
    if interactive is None:
        interactive = sys.stdin.isatty() and sys.stderr.isatty()
    values: dict[str, str] = {}
    missing: list[str] = []
    for name in ENV_NAMES:
        value = (env.get(name) or fallback.get(name) or "").strip()
        if not value and interactive:
            ask = getpass.getpass if name.endswith("SECRET") else input
            value = ask(f"{name.replace('_', ' ').title()}: ").strip()
        if not value:
            missing.append(name)
        values[name] = value
    if missing:
        raise MissingCredentials(
            f"Missing {', '.join(missing)}: set them in the environment, choose a saved profile "
            "with --profile, or run on a terminal to be asked."
        )
    remember_secret(values["NYLAS_CLIENT_SECRET"], values["ZOOM_CLIENT_SECRET"])
    return Credentials(
        values["NYLAS_CLIENT_ID"],
        SecretStr(values["NYLAS_CLIENT_SECRET"]),
        values["ZOOM_CLIENT_ID"],
        SecretStr(values["ZOOM_CLIENT_SECRET"]),
    )
