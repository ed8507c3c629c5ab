"""The onboarding history: every grant this computer obtained, kept so that none is ever lost.

Grants go to SQLite (WAL, synchronous=FULL: once `record_grant` returns, a power cut or SIGKILL
cannot undo it). When the database cannot take a write (damaged, read-only, locked, disk full)
the grant is appended to a JSON Lines fallback file instead, and `records` lists both, merged,
so nothing becomes invisible. The write methods never raise: losing the operator's place in the
flow over a history problem would be worse than the problem.

Connections: one per call. sqlite3 connections may not cross threads by default, these methods
run on `asyncio.to_thread` workers and in several processes (wizard and CLI side by side), and
opening a connection costs well under a millisecond for a handful of writes a day; SQLite's own
locking (busy timeout) then serialises writers, with no lock of ours to get wrong.

All methods block on disk I/O: async callers use `HistoryRecorder` or `asyncio.to_thread`.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import datetime
import errno
import functools
import getpass
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

from wizard.store import database
from wizard.store.owner import this_process
from wizard.store.spreadsheet import cell as spreadsheet_cell

__all__ = [
    "History",
    "HistoryRecord",
    "HistoryRecorder",
    "PendingAuthorization",
    "write_csv",
]


class AccountRef(Protocol):
    """What the history keeps of a customer (the flow's CustomerAccount is one)."""

    @property
    def account_id(self) -> str | None: ...

    @property
    def customer(self) -> str | None: ...

    @property
    def login_hint(self) -> str | None: ...


class VerifiedRef(Protocol):
    """What the history keeps of a verification (the flow's OnboardingResult is one)."""

    @property
    def grant_id(self) -> str: ...

    @property
    def email(self) -> str | None: ...

    @property
    def grant_status(self) -> str | None: ...

    @property
    def verified(self) -> bool: ...

    @property
    def renewed(self) -> bool: ...

    @property
    def missing_scopes(self) -> tuple[str, ...]: ...


log = logging.getLogger(__name__)


_COLUMNS = (
    "id, created_at, profile, region, account_id, integration_id, grant_id, email, "
    "grant_status, verified, operator, api, customer, login_hint, practice, note"
)


_TEXT = ("created_at", "profile", "region", "account_id", "grant_id", "operator")
_OPTIONAL_TEXT = (
    "integration_id",
    "email",
    "grant_status",
    "api",
    "customer",
    "login_hint",
    "note",
)
# 1 when every column has the type a record needs (sorting and printing fail on others).
_WELL_TYPED = " AND ".join(
    [f"typeof({c}) = 'text'" for c in _TEXT]
    + [f"typeof({c}) IN ('text', 'null')" for c in _OPTIONAL_TEXT]
    + ["typeof(verified) IN ('integer', 'null')", "typeof(practice) = 'integer'"]
)


@dataclass(frozen=True)
class HistoryRecord:
    id: int | None  # None for a grant that is only in the fallback file
    created_at: str  # ISO 8601, UTC
    profile: str
    region: str
    account_id: str
    integration_id: str | None
    grant_id: str
    email: str | None
    grant_status: str | None
    verified: bool | None
    operator: str
    api: str = "connect"
    customer: str | None = None
    login_hint: str | None = None
    practice: bool = False
    note: str | None = None  # e.g. "found later, not confirmed by state"


@dataclass(frozen=True)
class PendingAuthorization:
    """An authorization that did not end with a captured callback (yet)."""

    id: int
    started_at: float
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
    owner: str | None = None  # host:pid of the process that listens for it
    api_url: str | None = None  # where it was made (None: before API URLs were kept)


class History:
    def __init__(self, db_path: Path, fallback_path: Path) -> None:
        self.db_path = db_path
        self.fallback_path = fallback_path
        self.problems: list[str] = []
        self.skipped = 0  # unreadable rows and lines left out of the last `records()`
        self._lock = threading.Lock()  # guards `problems` and appends to the fallback file
        try:
            in_fallback = fallback_path.stat().st_size > 0
        except OSError:
            in_fallback = False
        if in_fallback:
            self._note(
                f"Some grants are in {fallback_path} because the history database could not be "
                "written at the time; they are listed together with the others."
            )

    # -- writing ---------------------------------------------------------------------------

    def record_grant(
        self,
        *,
        profile: str,
        region: str,
        account_id: str,
        integration_id: str | None,
        grant_id: str,
        api: str = "connect",
        customer: str | None = None,
        login_hint: str | None = None,
        practice: bool = False,
        note: str | None = None,
    ) -> None:
        """Keep a captured grant. Never raises."""
        try:
            entry: dict[str, Any] = {
                "created_at": _now(),
                "profile": profile,
                "region": region,
                "account_id": account_id,
                "integration_id": integration_id,
                "grant_id": grant_id,
                "operator": _operator(),
                "api": api,
                "customer": customer,
                "login_hint": login_hint,
                "practice": practice,
                "note": note,
            }
            try:
                self._insert(entry)
                return
            except Exception as exc:  # sqlite3.Error, OSError, or anything odd: fall back
                problem = self._explain(exc)
            self._fall_back({"type": "grant", **entry}, problem, grant_id, account_id)
        except Exception:
            log.exception("the grant %s for account %s could not be recorded", grant_id, account_id)

    def update_verification(
        self,
        grant_id: str,
        *,
        email: str | None,
        grant_status: str | None,
        verified: bool,
        note: str | None = None,
    ) -> None:
        """Add what verification found to the newest record of this grant (`note`: kept when
        None). Never raises."""
        try:
            entry: dict[str, Any] = {
                "type": "verification",
                "at": _now(),
                "grant_id": grant_id,
                "email": email,
                "grant_status": grant_status,
                "verified": verified,
                "note": note,
            }
            try:
                if self._update(entry):
                    return
                # No row: the capture itself went to the fallback file, so the update goes
                # there too and `records` joins them. Not a new problem in itself.
                problem = None
            except Exception as exc:  # see record_grant
                problem = self._explain(exc)
            self._fall_back(entry, problem, grant_id, None)
        except Exception:
            log.exception("the verification of grant %s could not be recorded", grant_id)

    def mark_deleted(self, grant_id: str) -> str:
        """The grant was revoked on Nylas: every record of it says so, when and from which
        computer (status "deleted", the note). Returns the words; never raises."""
        words = (
            f"deleted on Nylas {_now()[:16].replace('T', ' ')} UTC by {_operator()} on "
            f"{socket.gethostname()}"
        )
        try:
            if self.db_path.exists():
                with database.connect(self.db_path) as conn:
                    database.open_for_writing(conn)
                    conn.execute(
                        "UPDATE grants SET grant_status = 'deleted', note = CASE WHEN "
                        "coalesce(note, '') = '' THEN ? ELSE note || '; ' || ? END "
                        "WHERE grant_id = ?",
                        (words, words, grant_id),
                    )
        except Exception as exc:
            log.warning("the deletion of %s could not be recorded: %s", grant_id, _describe(exc))
        return words

    # -- authorizations in progress ------------------------------------------------------

    def begin_authorization(
        self,
        *,
        api: str,
        region: str,
        profile: str,
        integration_id: str | None,
        account_id: str | None,
        customer: str | None,
        login_hint: str | None,
        expires_at: float,
        state_sha256: str,
        practice: bool,
        api_url: str | None = None,
    ) -> int | None:
        """Keep an authorization before its browser opens; its row id, or None when the
        database cannot take it (then a late grant cannot be found later). Never raises."""
        entry = {
            "owner": this_process(),
            "api_url": api_url,
            "started_at": time.time(),
            "api": api,
            "region": region,
            "profile": profile,
            "integration_id": integration_id,
            "account_id": account_id,
            "customer": customer,
            "login_hint": login_hint,
            "expires_at": expires_at,
            "state_sha256": state_sha256,
            "practice": practice,
        }
        try:
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
            with database.connect(self.db_path) as conn:
                database.open_for_writing(conn)
                cursor = conn.execute(
                    "INSERT INTO authorizations (started_at, api, region, profile, "
                    "integration_id, account_id, customer, login_hint, expires_at, "
                    "state_sha256, practice, owner, api_url) VALUES (:started_at, :api, "
                    ":region, :profile, :integration_id, :account_id, :customer, :login_hint, "
                    ":expires_at, :state_sha256, :practice, :owner, :api_url)",
                    entry,
                )
                return cursor.lastrowid
        except Exception as exc:
            log.warning("the authorization could not be recorded: %s", _describe(exc))
            return None

    def end_authorization(
        self, auth_id: int, outcome: str, *, grant_id: str | None = None, note: str | None = None
    ) -> bool:
        """connected, refused, expired or abandoned. True when this call ended it (it was still
        open): two checks for late grants, in two windows say, never both record its grant.
        Never raises."""
        try:
            with database.connect(self.db_path) as conn:
                database.open_for_writing(conn)
                cursor = conn.execute(
                    "UPDATE authorizations SET outcome = ?, grant_id = ?, note = ?, "
                    "ended_at = ? WHERE id = ? AND outcome IS NULL",
                    (outcome, grant_id, note, time.time(), auth_id),
                )
                return cursor.rowcount == 1
        except Exception as exc:
            log.warning("the end of authorization %s was not recorded: %s", auth_id, _describe(exc))
            return False

    def grant_recorded_since(self, grant_id: str, since: float) -> bool:
        """Whether `grant_id` was written since `since` (epoch seconds): a process that died
        between writing a grant and closing its authorization left both. Never raises (False:
        the database could not tell)."""
        if not self.db_path.exists():
            return False
        stamp = datetime.datetime.fromtimestamp(since, datetime.UTC).isoformat(
            timespec="microseconds"
        )
        try:
            with database.connect(self.db_path) as conn:
                row = conn.execute(
                    "SELECT 1 FROM grants WHERE grant_id = ? AND created_at >= ? LIMIT 1",
                    (grant_id, stamp),
                ).fetchone()
        except Exception as exc:
            log.warning("the history could not be searched for %s: %s", grant_id, _describe(exc))
            return False
        return row is not None

    def open_authorizations(
        self,
        *,
        api: str | None = None,
        region: str | None = None,
        practice: bool | None = None,
        api_url: str | None = None,
    ) -> list[PendingAuthorization]:
        """Those without an outcome, oldest first: their grant may have been made after the
        tool stopped listening. Reconciliation (wizard/flow/reconcile.py) closes them once it
        has asked Nylas; nothing is closed here without asking."""
        if not self.db_path.exists():
            return []
        params = {
            "api": api,
            "region": region,
            "practice": None if practice is None else int(practice),
            "api_url": api_url,
        }
        try:
            with database.connect(self.db_path) as conn:
                rows = conn.execute(
                    "SELECT id, started_at, api, region, profile, integration_id, account_id, "
                    "customer, login_hint, expires_at, state_sha256, practice, owner, api_url "
                    "FROM authorizations WHERE outcome IS NULL "
                    "AND (:api IS NULL OR api = :api) AND (:region IS NULL OR region = :region) "
                    "AND (:practice IS NULL OR practice = :practice) "
                    "AND (:api_url IS NULL OR api_url = :api_url) ORDER BY started_at",
                    params,
                ).fetchall()
        except Exception as exc:
            self._note(f"Open authorizations could not be read ({_describe(exc)}).")
            return []
        return [
            PendingAuthorization(  # type: ignore[misc]
                *row[:11], practice=bool(row[11]), owner=row[12], api_url=row[13]
            )
            for row in rows
        ]

    # -- reading ---------------------------------------------------------------------------

    def query(
        self,
        *,
        text: str = "",
        include_practice: bool = True,
        order_by: str = "created_at",
        descending: bool = True,
        offset: int = 0,
        limit: int | None = 500,
    ) -> list[HistoryRecord]:
        """One page of the database's grants, filtered and sorted by SQLite (the History window
        reads 100,000 rows a page at a time). The fallback file's grants come first on the
        first page. `order_by` is a column name of HistoryRecord."""
        column = _ORDERABLE.get(order_by)
        if column is None:
            raise ValueError(f"cannot sort by {order_by!r}")
        records: list[HistoryRecord] = []
        if offset == 0:
            records = self._fallback_only(text, include_practice)
        if not self.db_path.exists():
            return records
        where, params = _where(text, include_practice)
        direction = "DESC" if descending else "ASC"
        sql = (
            f"SELECT {_COLUMNS}, {_WELL_TYPED} FROM grants WHERE {where} "  # noqa: S608
            f"ORDER BY {column} {direction}, id {direction} LIMIT ? OFFSET ?"  # constants only
        )
        with database.connect(self.db_path) as conn:
            if conn.execute("PRAGMA user_version").fetchone()[0] == 0:
                return records
            rows = conn.execute(sql, (*params, -1 if limit is None else limit, offset)).fetchall()
        return records + [_record_of(row) for row in rows if row[16]]

    def count(self, *, text: str = "", include_practice: bool = True) -> tuple[int, int]:
        """(how many match, how many practice grants the filter hides): the truth, whatever
        the window has loaded so far."""
        fallback = self._fallback_only(text, True)
        shown = sum(1 for r in fallback if include_practice or not r.practice)
        hidden = len(fallback) - shown
        if not self.db_path.exists():
            return shown, hidden
        with self._lock:  # a skipped row is said by the latest read only
            self.problems[:] = [p for p in self.problems if not p.startswith(_SKIPPED)]
            self.skipped = 0
        where, params = _where(text, True)
        with database.connect(self.db_path) as conn:
            if conn.execute("PRAGMA user_version").fetchone()[0] == 0:
                return shown, hidden
            total, practice, bad = conn.execute(
                "SELECT coalesce(sum(well), 0), coalesce(sum(well AND practice != 0), 0), "  # noqa: S608
                "coalesce(sum(NOT well), 0) FROM "
                f"(SELECT ({_WELL_TYPED}) AS well, practice FROM grants WHERE {where})",
                params,
            ).fetchone()
        if bad:  # left out of the window like out of `history`, and said so
            self._skipped(bad, f"row(s) of the history database {self.db_path}")
        if include_practice:
            return shown + total, hidden
        return shown + total - practice, hidden + practice

    def _fallback_only(self, text: str, include_practice: bool) -> list[HistoryRecord]:
        grants, updates = self._read_fallback()
        if not grants:
            return []
        needle = text.strip().casefold()
        by_id = {g.grant_id: g for g in grants}
        for update in updates:
            grant = by_id.get(str(update["grant_id"]))
            if grant is not None:
                by_id[grant.grant_id] = dataclasses.replace(
                    grant,
                    email=update["email"],
                    grant_status=update["grant_status"],
                    verified=update["verified"],
                )
        return [
            g
            for g in sorted(by_id.values(), key=lambda r: r.created_at, reverse=True)
            if (include_practice or not g.practice) and (not needle or _matches(g, needle))
        ]

    def records(
        self, *, account_id: str | None = None, text: str | None = None, limit: int = 1000
    ) -> list[HistoryRecord]:
        """Newest first, from the database and the fallback file together."""
        unreadable = f"The history database {self.db_path} could not be read"
        with self._lock:  # a read problem holds until the next read, not forever
            self.problems[:] = [
                p for p in self.problems if not p.startswith((unreadable, _SKIPPED))
            ]
            self.skipped = 0
        grants, updates = self._read_fallback()
        try:
            rows = self._select(account_id, None if text else limit)
        except Exception as exc:
            rows = []
            self._note(
                f"{unreadable} ({_describe(exc)}); only the grants in {self.fallback_path} are "
                "listed. Close other copies of the app and check the file, then Refresh."
            )
        if not grants and not updates and not text:
            return rows[: max(0, limit)]  # the usual case: the database's order is the order
        merged: dict[tuple[str, str, str], HistoryRecord] = {}
        for record in rows + [g for g in grants if account_id in (None, g.account_id)]:
            # A grant in both places (should not happen) is shown once; the database wins.
            merged.setdefault((record.created_at, record.grant_id, record.account_id), record)
        ordered = sorted(merged.values(), key=lambda r: (r.created_at, r.id or 0), reverse=True)
        newest: dict[str, int] = {}
        for index, record in enumerate(ordered):
            newest.setdefault(record.grant_id, index)
        for update in updates:  # in file order, so a later verification wins
            index_of = newest.get(str(update["grant_id"]))
            if index_of is not None:
                ordered[index_of] = dataclasses.replace(
                    ordered[index_of],
                    email=update["email"],
                    grant_status=update["grant_status"],
                    verified=update["verified"],
                )
        if text:
            needle = text.strip().casefold()
            ordered = [r for r in ordered if _matches(r, needle)]
        return ordered[: max(0, limit)]

    # -- SQLite ----------------------------------------------------------------------------

    def _insert(self, entry: dict[str, Any]) -> None:
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        with database.connect(self.db_path) as conn:
            database.open_for_writing(conn)
            conn.execute(
                "INSERT INTO grants (created_at, profile, region, account_id, integration_id, "
                "grant_id, operator, api, customer, login_hint, practice, note) VALUES "
                "(:created_at, :profile, :region, :account_id, :integration_id, :grant_id, "
                ":operator, :api, :customer, :login_hint, :practice, :note)",
                entry,
            )  # autocommit: one statement, one durable transaction

    def _update(self, entry: dict[str, Any]) -> bool:
        if not self.db_path.exists():
            return False  # don't create a database just to find nothing in it
        with database.connect(self.db_path) as conn:
            database.open_for_writing(conn)
            cursor = conn.execute(
                "UPDATE grants SET email = :email, grant_status = :grant_status, "
                "verified = :verified, verified_at = :at, note = COALESCE(:note, note) "
                "WHERE id = (SELECT max(id) FROM grants WHERE grant_id = :grant_id)",
                entry,
            )
            return cursor.rowcount > 0

    def _select(self, account_id: str | None, limit: int | None) -> list[HistoryRecord]:
        if not self.db_path.exists():
            return []  # reading must not create the database
        with database.connect(self.db_path) as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                return []  # created but never migrated: no table yet
            # The types are checked by SQLite (one pass in C); Python only builds records.
            query = f"SELECT {_COLUMNS}, {_WELL_TYPED} FROM grants"  # noqa: S608 (constants)
            params: list[Any] = []
            if account_id is not None:
                query += " WHERE account_id = ?"
                params.append(account_id)
            query += " ORDER BY created_at DESC, id DESC"
            if limit is not None:
                query += " LIMIT ?"
                params.append(max(0, limit))
            records: list[HistoryRecord] = []
            bad: list[str] = []
            append = records.append
            for row in conn.execute(query, params):
                if row[16]:
                    append(_record_of(row))
                else:  # a row written by hand, or by a broken tool
                    bad.append(str(row[0]))
            if bad:
                self._skipped(
                    len(bad),
                    f"row(s) of the history database {self.db_path} (id {', '.join(bad[:10])}"
                    f"{', ...' if len(bad) > 10 else ''})",
                )
            return records

    # -- the fallback file -----------------------------------------------------------------

    def _fall_back(
        self, entry: dict[str, Any], problem: str | None, grant_id: str, account_id: str | None
    ) -> None:
        try:
            self._append(entry)
        except Exception as exc:
            # Last resort: the log line is the only copy left, so it carries the grant id.
            log.error(
                "GRANT NOT SAVED: %s %s for account %s could not be written to the history "
                "database (%s) nor to %s (%s); copy the grant id now",
                entry.get("type"),
                grant_id,
                account_id,
                problem or "no row",
                self.fallback_path,
                _describe(exc),
            )
            self._note(
                f"The grant {grant_id} could not be saved to the history at all "
                f"({_describe(exc)}); copy it now. It is also in the log file."
            )
            return
        if problem is not None:
            log.warning("%s (grant %s)", problem, grant_id)
            self._note(problem)

    def _append(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n"
        data = line.encode("utf-8")
        self.fallback_path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
        with self._lock:
            if _ends_without_newline(self.fallback_path):
                # A crash cut the last line short; start ours on a fresh line so it stays whole.
                data = b"\n" + data
            fd = os.open(self.fallback_path, flags, 0o600)
            try:
                written = os.write(fd, data)  # one O_APPEND write: other processes can't interleave
                if written != len(data):
                    raise OSError(errno.EIO, f"short write ({written} of {len(data)} bytes)")
                os.fsync(fd)
            finally:
                os.close(fd)

    def _read_fallback(self) -> tuple[list[HistoryRecord], list[dict[str, Any]]]:
        grants: list[HistoryRecord] = []
        updates: list[dict[str, Any]] = []
        try:
            raw = self.fallback_path.read_bytes()
        except FileNotFoundError:
            return grants, updates
        except OSError as exc:
            self._note(
                f"The history fallback file {self.fallback_path} could not be read "
                f"({_describe(exc)}); the grants in it are not listed."
            )
            return grants, updates
        bad: list[str] = []
        for number, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line.decode("utf-8"))
                if item.get("type") == "grant":
                    grants.append(_fallback_record(item))
                elif item.get("type") == "verification":
                    updates.append(_fallback_update(item))
                else:
                    raise ValueError("unknown entry type")
            # RecursionError: a line nested thousands deep (json.loads recurses per level).
            except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
                bad.append(str(number))
        if bad:
            self._skipped(
                len(bad),
                f"line(s) of the history fallback file {self.fallback_path} (line "
                f"{', '.join(bad[:10])}{', ...' if len(bad) > 10 else ''})",
            )
        return grants, updates

    def _skipped(self, count: int, where: str) -> None:
        with self._lock:
            self.skipped += count
        self._note(
            f"{_SKIPPED} {count} {where}: they are not listed; the rest are. Keep the file for "
            "an engineer."
        )

    # -- problems --------------------------------------------------------------------------

    def _note(self, problem: str) -> None:
        with self._lock:
            if problem not in self.problems:
                self.problems.append(problem)

    def _explain(self, exc: BaseException) -> str:
        """A sentence for the operator: what is wrong with the database, and where grants go."""
        instead = f"grants are being written to {self.fallback_path} instead."
        return database.explain(exc, self.db_path, instead)


# The API and region up front, and whether it was practice: real and sandbox grants must never
# be mistaken for each other in a spreadsheet.
CSV_COLUMNS = (
    "api",
    "region",
    "practice",
    "id",
    "created_at",
    "profile",
    "account_id",
    "customer",
    "login_hint",
    "integration_id",
    "grant_id",
    "email",
    "grant_status",
    "verified",
    "note",
    "operator",
)
assert set(CSV_COLUMNS) == {f.name for f in dataclasses.fields(HistoryRecord)}


def write_csv(records: Iterable[HistoryRecord], out: TextIO) -> None:
    """A header row of the field names, then one row per record (for spreadsheets)."""
    names = list(CSV_COLUMNS)
    writer = csv.writer(out)
    writer.writerow(names)
    for record in records:
        writer.writerow([spreadsheet_cell(getattr(record, name)) for name in names])


def verification_note(result: VerifiedRef) -> str | None:
    """What the history's note says of a verified grant: a renewal, missing Zoom scopes."""
    parts = []
    if result.renewed:
        parts.append("renewed: this Zoom user's grant existed before and was re-authenticated")
    if result.missing_scopes:
        parts.append(f"missing Zoom scopes: {', '.join(result.missing_scopes)}")
    return "; ".join(parts) or None


class HistoryRecorder:
    """The flow's `GrantRecorder` (and authorization log): hands grants and authorizations to a
    `History` without blocking the event loop."""

    def __init__(
        self,
        history: History,
        *,
        profile: str,
        region: str,
        integration_id: str | None,
        api: str = "connect",
        practice: bool = False,
        api_url: str | None = None,
    ) -> None:
        self.history = history
        self.profile = profile
        self.region = region
        self.integration_id = integration_id
        self.api = api
        self.practice = practice
        self.api_url = api_url

    async def grant_captured(self, grant_id: str, provider: str, account: AccountRef) -> None:
        await asyncio.to_thread(
            self.history.record_grant,
            profile=self.profile,
            region=self.region,
            account_id=account.account_id or "",
            integration_id=self.integration_id,
            grant_id=grant_id,
            api=self.api,
            customer=account.customer,
            login_hint=account.login_hint,
            practice=self.practice,
        )

    async def grant_deleted(self, grant_id: str) -> str:
        return await asyncio.to_thread(self.history.mark_deleted, grant_id)

    async def grant_verified(self, result: VerifiedRef) -> None:
        await asyncio.to_thread(
            functools.partial(
                self.history.update_verification,
                result.grant_id,
                email=result.email,
                grant_status=result.grant_status,
                verified=result.verified,
                note=verification_note(result),
            )
        )

    async def authorization_started(
        self, account: AccountRef, *, expires_at: int, state_sha256: str
    ) -> int | None:
        return await asyncio.to_thread(
            functools.partial(
                self.history.begin_authorization,
                api=self.api,
                region=self.region,
                profile=self.profile,
                integration_id=self.integration_id,
                account_id=account.account_id,
                customer=account.customer,
                login_hint=account.login_hint,
                expires_at=expires_at,
                state_sha256=state_sha256,
                practice=self.practice,
                api_url=self.api_url,
            )
        )

    async def authorization_ended(
        self, auth_id: int, outcome: str, *, grant_id: str | None = None, note: str | None = None
    ) -> None:
        await asyncio.to_thread(
            functools.partial(
                self.history.end_authorization, auth_id, outcome, grant_id=grant_id, note=note
            )
        )


# -- helpers -------------------------------------------------------------------------------


def _now() -> str:
    # Fixed format (always microseconds, always +00:00) so the text sorts by time.
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="microseconds")


def _operator() -> str:
    try:
        return getpass.getuser() or "unknown"
    except Exception:  # no login name in the environment (services, some containers)
        return "unknown"


_describe = database.describe


def _ends_without_newline(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            if f.tell() == 0:
                return False
            f.seek(-1, os.SEEK_END)
            return f.read(1) != b"\n"
    except FileNotFoundError:
        return False


_SKIPPED = "Unreadable, skipped:"


def _text(item: dict[str, Any], key: str, *, optional: bool = False) -> Any:
    value = item.get(key) if optional else item[key]
    if not (isinstance(value, str) or (optional and value is None)):
        raise TypeError(f"{key} has the wrong type")
    return value


def _fallback_record(item: dict[str, Any]) -> HistoryRecord:
    return HistoryRecord(
        id=None,
        created_at=_text(item, "created_at"),
        profile=_text(item, "profile"),
        region=_text(item, "region"),
        account_id=_text(item, "account_id"),
        integration_id=_text(item, "integration_id", optional=True),
        grant_id=_text(item, "grant_id"),
        email=None,
        grant_status=None,
        verified=None,
        operator=_text(item, "operator"),
        api=_text(item, "api", optional=True) or "connect",
        customer=_text(item, "customer", optional=True),
        login_hint=_text(item, "login_hint", optional=True),
        practice=item.get("practice") is True,
        note=_text(item, "note", optional=True),
    )


def _fallback_update(item: dict[str, Any]) -> dict[str, Any]:
    verified = item["verified"]
    if not isinstance(verified, bool):
        raise TypeError("verified has the wrong type")
    return {
        "grant_id": _text(item, "grant_id"),
        "email": _text(item, "email", optional=True),
        "grant_status": _text(item, "grant_status", optional=True),
        "verified": verified,
    }


_ORDERABLE = {
    "created_at": "created_at",
    "api": "api",
    "region": "region",
    "account_id": "coalesce(nullif(account_id, ''), customer)",
    "grant_id": "grant_id",
    "email": "email",
    "grant_status": "grant_status",
    "verified": "verified",
    "profile": "profile",
    "operator": "operator",
}
# What the filter searches, as one case-folded text per row (database.casefold: Python's, since
# SQLite's lower() folds ASCII only).
_HAYSTACK = " || char(31) || ".join(
    f"casefold(coalesce({c}, ''))"
    for c in (
        "profile",
        "region",
        "account_id",
        "integration_id",
        "grant_id",
        "email",
        "grant_status",
        "operator",
        "api",
        "customer",
        "login_hint",
    )
)


def _where(text: str, include_practice: bool) -> tuple[str, tuple[object, ...]]:
    clauses, params = [], []
    if not include_practice:
        clauses.append("practice = 0")
    needle = text.strip().casefold()
    if needle:
        clauses.append(f"instr({_HAYSTACK}, ?) > 0")
        params.append(needle)
    return " AND ".join(clauses) or "1", tuple(params)


def _record_of(row: tuple[Any, ...]) -> HistoryRecord:
    verified = row[9]
    return HistoryRecord(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        row[6],
        row[7],
        row[8],
        None if verified is None else bool(verified),
        row[10],
        row[11],
        row[12],
        row[13],
        bool(row[14]),
        row[15],
    )


def _matches(record: HistoryRecord, needle: str) -> bool:
    haystack = (
        record.profile,
        record.region,
        record.account_id,
        record.integration_id,
        record.grant_id,
        record.email,
        record.grant_status,
        record.operator,
        record.api,
        record.customer,
        record.login_hint,
    )
    return any(needle in value.casefold() for value in haystack if value)
