"""SQL on the `grants` table: the writes, and the one read path of the command, the window and
the diagnostics.

A read selects from the database and the fallback journal together: the journal's grants (and
the database records its verifications complete) go into a temporary table, so that one
statement filters, sorts, counts and pages both, with the same search rule. Functions here
raise (sqlite3.Error, OSError); the history (store/history.py) decides what to do about it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from wizard.store import database
from wizard.store.grant_columns import (
    JOURNAL_TABLE,
    SELECT_LIST,
    WELL_TYPED,
    GrantQuery,
    HistoryRecord,
    as_row,
    from_row,
)
from wizard.store.journal import JournalContents

__all__ = ["Listing", "insert", "mark_deleted", "read", "recorded_since", "verify"]

# -- writing (on a connection opened for writing) ---------------------------------------------


def insert(conn: sqlite3.Connection, entry: Mapping[str, object]) -> None:
    """One grant row; `entry` maps column names (this module's callers' constants) to values."""
    names = ", ".join(entry)
    values = ", ".join(f":{name}" for name in entry)
    conn.execute(f"INSERT INTO grants ({names}) VALUES ({values})", entry)  # noqa: S608


def verify(conn: sqlite3.Connection, entry: Mapping[str, object]) -> bool:
    """What verification found, on the newest record of the grant (`note`: kept when None);
    False when there is no such record."""
    cursor = conn.execute(
        "UPDATE grants SET email = :email, grant_status = :grant_status, "
        "verified = :verified, verified_at = :at, note = COALESCE(:note, note) "
        "WHERE id = (SELECT max(id) FROM grants WHERE grant_id = :grant_id)",
        entry,
    )
    return cursor.rowcount > 0


def mark_deleted(conn: sqlite3.Connection, grant_id: str, words: str) -> None:
    conn.execute(
        "UPDATE grants SET grant_status = 'deleted', note = CASE WHEN "
        "coalesce(note, '') = '' THEN ? ELSE note || '; ' || ? END WHERE grant_id = ?",
        (words, words, grant_id),
    )


def recorded_since(conn: sqlite3.Connection, grant_id: str, since: str) -> bool:
    """Whether `grant_id` was written at or after `since` (ISO 8601, UTC, as written)."""
    row = conn.execute(
        "SELECT 1 FROM grants WHERE grant_id = ? AND created_at >= ? LIMIT 1", (grant_id, since)
    ).fetchone()
    return row is not None


# -- reading ----------------------------------------------------------------------------------


@dataclass
class Listing:
    records: list[HistoryRecord] = field(default_factory=list)
    total: int = 0  # how many grants the query matches, on every page (when counted)
    hidden: int = 0  # practice grants it leaves out (when counted)
    bad_ids: list[int] = field(default_factory=list)  # unreadable rows it matched (when counted)
    bad: int = 0  # how many


def read(
    db_path: Path | None,
    journal: JournalContents,
    query: GrantQuery,
    *,
    offset: int = 0,
    limit: int | None = None,
    counted: bool = True,
) -> Listing:
    """The records of `query` from `offset` (`limit`: at most that many), from the database
    at `db_path` (None: the journal only) and the journal; `counted`: with the totals."""
    with _reading(db_path) as (conn, has_table):
        if not has_table and not journal:
            return Listing()
        source = _source(conn, journal, has_table)
        where, params = query.where()
        sql = (
            f"SELECT {SELECT_LIST} FROM {source} WHERE ({WELL_TYPED}) AND {where} "  # noqa: S608
            f"ORDER BY {query.order()} LIMIT ? OFFSET ?"  # constants, and SQL of constants
        )
        limit_ = -1 if limit is None else max(0, limit)
        listing = Listing([from_row(row) for row in conn.execute(sql, (*params, limit_, offset))])
        if counted:
            _count(conn, source, query, listing)
        return listing


@contextlib.contextmanager
def _reading(db_path: Path | None) -> Iterator[tuple[sqlite3.Connection, bool]]:
    # Reading never creates the database; one created but never migrated has no table yet.
    if db_path is None or not db_path.exists():
        with database.connect(":memory:") as conn:
            yield conn, False
        return
    with database.connect(db_path) as conn:
        yield conn, conn.execute("PRAGMA user_version").fetchone()[0] > 0


def _count(conn: sqlite3.Connection, source: str, query: GrantQuery, listing: Listing) -> None:
    where, params = query.where(include_practice=True)
    total, practice = conn.execute(
        f"SELECT count(*), coalesce(sum(practice != 0), 0) FROM {source} "  # noqa: S608
        f"WHERE ({WELL_TYPED}) AND {where}",
        params,
    ).fetchone()
    listing.total, listing.hidden = total, 0
    if not query.include_practice:
        listing.total, listing.hidden = total - practice, practice
    # Rows written by hand, or by a broken tool: few, if any.
    bad = f"SELECT id FROM {source} WHERE NOT ({WELL_TYPED}) AND {where} ORDER BY id"  # noqa: S608
    listing.bad_ids = [row[0] for row in conn.execute(bad, params)]
    listing.bad = len(listing.bad_ids)


def _source(conn: sqlite3.Connection, journal: JournalContents, has_table: bool) -> str:
    """What a read selects from: the grants table, the journal's table, or both."""
    if not journal:
        return "main.grants"
    rows = _journal_rows(conn, journal, has_table)
    conn.execute(f"CREATE TEMP TABLE journal ({JOURNAL_TABLE})")
    marks = ", ".join("?" for _ in SELECT_LIST.split(", "))
    conn.executemany(f"INSERT INTO temp.journal VALUES ({marks})", map(as_row, rows))  # noqa: S608
    if not has_table:
        return "temp.journal"
    return (
        f"(SELECT {SELECT_LIST} FROM main.grants WHERE id NOT IN "  # noqa: S608
        "(SELECT id FROM temp.journal WHERE id IS NOT NULL) "
        f"UNION ALL SELECT {SELECT_LIST} FROM temp.journal)"
    )


def _journal_rows(
    conn: sqlite3.Connection, journal: JournalContents, has_table: bool
) -> list[HistoryRecord]:
    """The journal's grants, and the database records its verifications change (with their
    ids: they stand in for their rows), each verification on the newest record of its grant."""
    rows: dict[tuple[str, str, str], HistoryRecord] = {}
    for grant in journal.grants:
        key = (grant.created_at, grant.grant_id, grant.account_id)
        # A grant in both places (should not happen) is listed once; the database wins.
        if key not in rows and not (has_table and _in_database(conn, key)):
            rows[key] = grant
    for update in journal.verifications:  # in file order, so a later verification wins
        candidates = [r for r in rows.values() if r.grant_id == update.grant_id]
        if has_table:
            candidates += _newest_in_database(conn, update.grant_id)
        if not candidates:
            continue
        newest = max(candidates, key=lambda r: (r.created_at, r.id or 0))
        rows[(newest.created_at, newest.grant_id, newest.account_id)] = dataclasses.replace(
            newest,
            email=update.email,
            grant_status=update.grant_status,
            verified=update.verified,
        )
    return list(rows.values())


def _in_database(conn: sqlite3.Connection, key: tuple[str, str, str]) -> bool:
    found = conn.execute(
        "SELECT 1 FROM grants WHERE created_at = ? AND grant_id = ? AND account_id = ? LIMIT 1",
        key,
    ).fetchone()
    return found is not None


def _newest_in_database(conn: sqlite3.Connection, grant_id: str) -> list[HistoryRecord]:
    rows = conn.execute(
        f"SELECT {SELECT_LIST} FROM grants WHERE ({WELL_TYPED}) AND grant_id = ? "  # noqa: S608
        "ORDER BY created_at DESC, id DESC LIMIT 1",
        (grant_id,),
    ).fetchall()
    return [from_row(row) for row in rows]
