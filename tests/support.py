"""Helpers shared by tests: free ports, sandbox credentials as a flow, event capture."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import keyring.errors

from wizard.flow import OnboardingFlow
from wizard.flow.onboarding import BrowserOpener
from wizard.listener.redirect_uri import LoopbackRedirectUri
from wizard.sandbox import SandboxServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def loopback_uri(port: int | None = None, host: str = "127.0.0.1") -> LoopbackRedirectUri:
    return LoopbackRedirectUri.parse(f"http://{host}:{port or free_port()}/callback")


def sandbox_flow(
    sandbox: SandboxServer, opener: BrowserOpener, *, secret: str | None = None, **kwargs: Any
) -> OnboardingFlow:
    """A Connect flow on the sandbox, opened as the product opens one (wizard/flow/factory.py);
    `secret` instead of the sandbox's client secret."""
    from pydantic import SecretStr

    from wizard.flow.factory import NylasCredentials, open_flow
    from wizard.target import Target

    creds = sandbox.credentials
    return open_flow(
        Target.of("connect", "sandbox", sandbox.url),
        NylasCredentials(SecretStr(secret or creds.nylas_client_secret), creds.nylas_client_id),
        opener,
        **kwargs,
    )


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A usable keyring that lives in a dict."""

    priority = 5

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.entries[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError(username) from None


@contextlib.contextmanager
def install_keyring(backend: keyring.backend.KeyringBackend) -> Iterator[None]:
    """Use this backend, then restore whatever the process had (the suite shares keyring)."""
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield
    finally:
        keyring.set_keyring(previous)


def dead_owner() -> str:
    """The owner mark (host:pid) of a process that has ended: what a crashed window leaves."""
    import socket
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return f"{socket.gethostname()}:{child.pid}"


def crash_owner_of(db_path: Path, entry_id: int) -> None:
    """Make a queue entry's owner a process that is gone, as after a crash mid-consent."""
    import sqlite3

    with sqlite3.connect(db_path) as db:
        db.execute("UPDATE queue SET owner = ? WHERE id = ?", (dead_owner(), entry_id))
