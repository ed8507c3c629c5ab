"""The authorizations table: sign-ins in progress, kept before their browser opens, so that a
grant made after the tool stopped listening can be found later (wizard/flow/reconcile.py) by
the SHA-256 of its state (never the state itself).

Methods raise (sqlite3.Error, OSError); the history (store/history.py) never lets them out.
"""

from __future__ import annotations

import contextlib
import datetime
import hmac
import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wizard.store import database, grants

__all__ = [
    "AuthorizationStart",
    "Authorizations",
    "KnownAuthorization",
    "PendingAuthorization",
    "as_captured",
]


@dataclass(frozen=True, kw_only=True)
class AuthorizationStart:
    """What an authorization is kept with before its browser opens (History.begin_authorization
    adds who keeps it and when)."""

    api: str
    region: str
    profile: str
    integration_id: str | None
    account_id: str | None
    customer: str | None
    login_hint: str | None
    expires_at: float
    state_sha256: str
    practice: bool
    api_url: str | None = None  # where it was made (None: before API URLs were kept)
    # A link sent to a customer elsewhere: the redirect URI it was made with, the queue entry
    # it moves.
    remote: bool = False
    redirect_uri: str | None = None
    queue_entry: int | None = None


# What an authorization knows of the customer and where: what a capture of its grant keeps.
_AS_CAPTURED = ("profile", "region", "integration_id", "api", "customer", "login_hint", "practice")


def as_captured(auth: AuthorizationStart) -> dict[str, Any]:
    """The grant columns a capture would have written, from the authorization of a grant found
    or answered after the tool stopped listening."""
    return {name: getattr(auth, name) for name in _AS_CAPTURED}


@dataclass(frozen=True, kw_only=True)
class PendingAuthorization(AuthorizationStart):
    """An authorization that did not end with a captured callback (yet)."""

    id: int
    started_at: float
    owner: str | None = None  # host:pid of the process that listens for it


@dataclass(frozen=True)
class KnownAuthorization:
    """An authorization found by its state, open or ended."""

    authorization: PendingAuthorization
    outcome: str | None  # None: still open
    grant_id: str | None
    note: str | None
    ended_at: float | None


_COLUMNS = (
    "id, started_at, api, region, profile, integration_id, account_id, customer, login_hint, "
    "expires_at, state_sha256, practice, owner, api_url, remote, redirect_uri, queue_entry"
)
# A row as read: each column is the PendingAuthorization field of its name.
_FIELDS = tuple(_COLUMNS.split(", "))
_STATE = _FIELDS.index("state_sha256")
_OPEN = (
    f"SELECT {_COLUMNS} FROM authorizations "  # noqa: S608 (constant column list)
    "WHERE outcome IS NULL AND (:api IS NULL OR api = :api) "
    "AND (:region IS NULL OR region = :region) AND (:practice IS NULL OR practice = :practice) "
    "AND (:api_url IS NULL OR api_url = :api_url) ORDER BY started_at"
)
_END = (
    "UPDATE authorizations SET outcome = ?, grant_id = ?, note = ?, ended_at = ? "
    "WHERE id = ? AND outcome IS NULL"
)


class Authorizations:
    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path

    def begin(self, entry: Mapping[str, object]) -> int | None:
        """Keep an authorization (`entry`: its columns); its row id."""
        names = ", ".join(entry)
        values = ", ".join(f":{name}" for name in entry)
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        with database.connect(self.db_path) as conn:
            database.open_for_writing(conn)
            sql = f"INSERT INTO authorizations ({names}) VALUES ({values})"  # noqa: S608
            cursor = conn.execute(sql, entry)
            return cursor.lastrowid

    def end(
        self, auth_id: int, outcome: str, *, grant_id: str | None = None, note: str | None = None
    ) -> bool:
        """connected, refused, expired or abandoned. True when this call ended it (it was
        still open): of two checks for late grants, in two windows say, one records its grant."""
        with database.connect(self.db_path) as conn:
            database.open_for_writing(conn)
            cursor = conn.execute(_END, (outcome, grant_id, note, time.time(), auth_id))
            return cursor.rowcount == 1

    def open(self, where: Mapping[str, object]) -> list[PendingAuthorization]:
        """Those without an outcome, oldest first; `where`: api, region, practice (0 or 1) and
        api_url, each None for any."""
        if not self.db_path.exists():
            return []
        with database.connect(self.db_path) as conn:
            rows = conn.execute(_OPEN, where).fetchall()
        return [_authorization(row) for row in rows]

    def find(self, state_sha256: str) -> KnownAuthorization | None:
        """The authorization made with this state, open or ended (None: not made here)."""
        if not self.db_path.exists():
            return None
        with database.connect(self.db_path) as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS}, outcome, grant_id, note, ended_at FROM authorizations "  # noqa: S608
                "WHERE state_sha256 = ? ORDER BY id DESC LIMIT 1",
                (state_sha256,),
            ).fetchone()
        if row is None or not hmac.compare_digest(str(row[_STATE]), state_sha256):
            return None
        return KnownAuthorization(_authorization(row[: len(_FIELDS)]), *row[len(_FIELDS) :])

    def record_late_grant(
        self, auth: PendingAuthorization, grant: Mapping[str, object], note: str
    ) -> bool:
        """Close `auth` as connected and write its `grant` row, in one transaction: both or
        neither. True when this call closed it (the grant is written, now or by a process that
        died before closing it); False when it was closed already."""
        since = datetime.datetime.fromtimestamp(auth.started_at, datetime.UTC).isoformat(
            timespec="microseconds"
        )
        with database.connect(self.db_path) as conn:
            database.open_for_writing(conn)
            conn.execute("BEGIN IMMEDIATE")
            try:
                grant_id = str(grant["grant_id"])
                claimed = conn.execute(_END, ("connected", grant_id, note, time.time(), auth.id))
                # Written already by a process that died before closing the authorization: once.
                if claimed.rowcount == 1 and not grants.recorded_since(conn, grant_id, since):
                    grants.insert(conn, grant)
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
            return claimed.rowcount == 1


def _authorization(row: Sequence[Any]) -> PendingAuthorization:
    fields = dict(zip(_FIELDS, row, strict=True))
    for flag in ("practice", "remote"):  # SQLite keeps them as 0 and 1
        fields[flag] = bool(fields[flag])
    return PendingAuthorization(**fields)
