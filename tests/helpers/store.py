"""The store's stand-ins: a keyring in memory, and the owner mark a crashed process leaves."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import keyring
import keyring.backend
import keyring.errors

if TYPE_CHECKING:
    from wizard.store.history import History


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


def record_v3_grant(
    history: History,
    grant_id: str,
    customer: str,
    *,
    profile: str = "Support",
    region: str = "us",
    practice: bool = False,
) -> None:
    """A v3 grant this computer obtained (the history's row as a capture writes it)."""
    history.record_grant(
        profile=profile,
        region=region,
        account_id="",
        integration_id=None,
        grant_id=grant_id,
        api="v3",
        customer=customer,
        practice=practice,
    )
