"""The onboarding history: every grant this computer obtained, kept so that none is ever lost.

Grants go to SQLite (WAL, synchronous=FULL: once `record_grant` returns, a power cut or SIGKILL
cannot undo it). When the database cannot take a write (damaged, read-only, locked, disk full)
the grant is appended to a JSON Lines fallback journal instead, and every read lists both,
merged, so nothing becomes invisible. No method raises: losing the operator's place in the flow
over a history problem would be worse than the problem; what went wrong is in `problems`.

`History` is the facade of: the grant row (store/grant_columns.py), the SQL of the grants table
and the one read path (store/grants.py), the authorizations (store/authorizations.py), the
fallback journal (store/journal.py) and the database with the wording of its problems
(store/database.py). The async recorder is store/recorder.py.

Connections: one per call. sqlite3 connections may not cross threads by default, these methods
run on `asyncio.to_thread` workers and in several processes (wizard and CLI side by side), and
opening a connection costs well under a millisecond for a handful of writes a day; SQLite's own
locking (busy timeout) then serialises writers, with no lock of ours to get wrong.

All methods block on disk I/O: async callers use `HistoryRecorder` (store/recorder.py) or
`asyncio.to_thread`.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import getpass
import logging
import socket
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from wizard.store import database, grants
from wizard.store.authorizations import (
    Authorizations,
    AuthorizationStart,
    KnownAuthorization,
    PendingAuthorization,
    as_captured,
)
from wizard.store.grant_columns import GrantQuery, HistoryRecord, write_csv
from wizard.store.grants import Listing
from wizard.store.history_problems import Problems
from wizard.store.journal import Journal, JournalContents
from wizard.store.owner import this_process

__all__ = [
    "AuthorizationStart",
    "GrantQuery",
    "History",
    "HistoryRecord",
    "KnownAuthorization",
    "Listing",
    "PendingAuthorization",
    "write_csv",
]

log = logging.getLogger(__name__)

T = TypeVar("T")


class History:
    def __init__(self, db_path: Path, fallback_path: Path) -> None:
        self.db_path = db_path
        self.fallback_path = fallback_path
        self._problems = Problems(db_path, fallback_path)
        self._journal = Journal(fallback_path)
        self._authorizations = Authorizations(db_path)
        if self._journal.has_entries():
            self._problems.in_journal()

    @property
    def problems(self) -> list[str]:
        """What went wrong, in words for the operator."""
        return self._problems.words

    @property
    def skipped(self) -> int:
        """Unreadable rows and lines left out of the latest listing."""
        return self._problems.skipped

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
        """Keep a captured grant."""
        try:
            entry = _grant_entry(
                profile=profile,
                region=region,
                account_id=account_id,
                integration_id=integration_id,
                grant_id=grant_id,
                api=api,
                customer=customer,
                login_hint=login_hint,
                practice=practice,
                note=note,
            )
            try:
                _write(self.db_path, functools.partial(grants.insert, entry=entry), create=True)
                return
            except Exception as exc:  # sqlite3.Error, OSError, or anything odd: fall back
                problem = self._problems.write_failed(exc)
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
        None)."""
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
                if _write(self.db_path, functools.partial(grants.verify, entry=entry)):
                    return
                # No row: the capture itself went to the fallback journal, so the update goes
                # there too and reads join them. Not a new problem in itself.
                problem = None
            except Exception as exc:  # see record_grant
                problem = self._problems.write_failed(exc)
            self._fall_back(entry, problem, grant_id, None)
        except Exception:
            log.exception("the verification of grant %s could not be recorded", grant_id)

    def mark_deleted(self, grant_id: str) -> str:
        """The grant was revoked on Nylas: every record of it says so, when and from which
        computer (status "deleted", the note). Returns the words."""
        words = (
            f"deleted on Nylas {_now()[:16].replace('T', ' ')} UTC by {_operator()} on "
            f"{socket.gethostname()}"
        )
        try:
            _write(
                self.db_path, functools.partial(grants.mark_deleted, grant_id=grant_id, words=words)
            )
        except Exception as exc:
            log.warning("the deletion of %s could not be recorded: %s", grant_id, _describe(exc))
        return words

    # -- authorizations in progress ------------------------------------------------------

    def begin_authorization(self, start: AuthorizationStart) -> int | None:
        """Keep an authorization before its browser opens; its row id, or None when the
        database cannot take it (then a late grant cannot be found later)."""
        entry = {"owner": this_process(), "started_at": time.time(), **dataclasses.asdict(start)}
        return _safely(
            functools.partial(self._authorizations.begin, entry), None, "the authorization"
        )

    def find_authorization(self, state_sha256: str) -> KnownAuthorization | None:
        """The authorization made with this state, open or ended; None when none was made here
        (or the database cannot be read: then `problems` says so)."""
        find = functools.partial(self._authorizations.find, state_sha256)
        try:
            return find()
        except Exception as exc:
            self._problems.unreadable_database(exc)
            return None

    def end_authorization(
        self, auth_id: int, outcome: str, *, grant_id: str | None = None, note: str | None = None
    ) -> bool:
        """connected, refused, expired or abandoned. True when this call ended it (it was still
        open): two checks for late grants, in two windows say, never both record its grant."""
        end = functools.partial(
            self._authorizations.end, auth_id, outcome, grant_id=grant_id, note=note
        )
        return _safely(end, False, f"the end of authorization {auth_id}")

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
        where = {
            "api": api,
            "region": region,
            "practice": None if practice is None else int(practice),
            "api_url": api_url,
        }
        try:
            return self._authorizations.open(where)
        except Exception as exc:
            self._problems.unreadable("Open authorizations", exc)
            return []

    def record_late_grant(
        self,
        auth: PendingAuthorization,
        *,
        grant_id: str,
        account_id: str,
        email: str | None,
        grant_status: str | None,
        verified: bool,
        note: str,
    ) -> bool:
        """A grant found on Nylas for `auth` after the tool stopped listening: the authorization
        closed as connected and the grant kept with what the API said of it, in one
        transaction. True when this call closed it (the grant is in the history, now or from
        before a crash); False when another check had, or when the database could not take it
        (then nothing is written, and the next check tries again)."""
        now = _now()
        row = _grant_entry(**as_captured(auth), now=now)
        row.update(account_id=account_id, grant_id=grant_id, note=note)
        row.update(email=email, grant_status=grant_status, verified=verified, verified_at=now)
        late = functools.partial(self._authorizations.record_late_grant, auth, row, note)
        return _safely(late, False, f"the late grant {grant_id}")

    # -- reading: one path for the command, the window and the diagnostics ------------------

    def listing(self, query: GrantQuery, *, limit: int | None = None) -> Listing:
        """The first `limit` records of `query` (None: all), with how many match and how many
        practice grants it hides; says what it could not read in `problems` and `skipped`."""
        self._problems.new_listing()
        return self._read(query, offset=0, limit=limit, counted=True)

    def page(
        self, query: GrantQuery, *, offset: int = 0, limit: int | None = None
    ) -> list[HistoryRecord]:
        """Records `offset` to `offset + limit` of `query` (the window loads 500 at a time)."""
        return self._read(query, offset=offset, limit=limit, counted=False).records

    def known_grants(
        self, grant_ids: Sequence[str], *, practice: bool | None = None
    ) -> dict[str, HistoryRecord]:
        """What the history knows of these grants (the grants worklist joins a page of Nylas's
        grants with it): the newest record of each, by grant id, in one query; `practice`:
        only the sandbox's (True) or only real ones (False). Unknown ids are left out."""
        if not grant_ids:
            return {}
        query = GrantQuery(grant_ids=tuple(dict.fromkeys(grant_ids)))  # newest first
        known: dict[str, HistoryRecord] = {}
        for record in self._read(query, offset=0, limit=None, counted=False).records:
            if practice is None or record.practice == practice:
                known.setdefault(record.grant_id, record)
        return known

    def records(
        self, *, account_id: str | None = None, text: str | None = None, limit: int = 1000
    ) -> list[HistoryRecord]:
        """Newest first, practice grants included: `listing` of the plain query."""
        query = GrantQuery(text=text or "", account_id=account_id)
        return self.listing(query, limit=max(0, limit)).records

    def _read(self, query: GrantQuery, *, offset: int, limit: int | None, counted: bool) -> Listing:
        try:
            journal = self._read_journal(counted)
            read = functools.partial(
                grants.read, journal=journal, query=query, offset=offset, limit=limit
            )
            try:
                listing = read(self.db_path, counted=counted)
            except Exception as exc:
                self._problems.unreadable_database(exc)
                listing = read(None, counted=counted)
        except Exception as exc:  # the query itself, or the journal's grants
            log.exception("the history could not be read")
            self._problems.unreadable("The history", exc)
            return Listing()
        if listing.bad:
            self._problems.skipped_rows(listing.bad, listing.bad_ids)
        return listing

    def _read_journal(self, counted: bool) -> JournalContents:
        try:
            contents = self._journal.read()
        except OSError as exc:
            self._problems.unreadable_journal(exc)
            return JournalContents()
        if contents.bad_lines and counted:
            self._problems.skipped_lines(contents.bad_lines)
        return contents

    # -- the fallback journal -------------------------------------------------------------

    def _fall_back(
        self, entry: dict[str, Any], problem: str | None, grant_id: str, account_id: str | None
    ) -> None:
        try:
            self._journal.append(entry)
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
            self._problems.not_saved(grant_id, exc)
            return
        if problem is not None:
            log.warning("%s (grant %s)", problem, grant_id)
            self._problems.note(problem)


# -- helpers -------------------------------------------------------------------------------


def _write(
    db_path: Path, work: Callable[[sqlite3.Connection], T], *, create: bool = False
) -> T | None:
    """`work` on a connection open for writing; without `create`, a database that does not
    exist is not made just to find nothing in it (then None)."""
    if create:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    elif not db_path.exists():
        return None
    with database.connect(db_path) as conn:
        database.open_for_writing(conn)
        return work(conn)


def _safely(work: Callable[[], T], default: T, what: str) -> T:
    """`work`'s result, or `default` (logged) when it raises."""
    try:
        return work()
    except Exception as exc:
        log.warning("%s could not be recorded: %s", what, _describe(exc))
        return default


def _grant_entry(*, now: str | None = None, **columns: object) -> dict[str, Any]:
    """A new grant row: `columns`, stamped with the time and the operator."""
    return {"created_at": now or _now(), "operator": _operator(), **columns}


def _now() -> str:
    # Fixed format (always microseconds, always +00:00) so the text sorts by time.
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="microseconds")


def _operator() -> str:
    try:
        return getpass.getuser() or "unknown"
    except Exception:  # no login name in the environment (services, some containers)
        return "unknown"


_describe = database.describe
