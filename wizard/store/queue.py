"""The day's work queue: the customer accounts an operator was given, and how each one ended.

It lives in the same SQLite database as the history (store/database.py), so it survives a
restart or a crash and the wizard can offer to resume where the operator left off. Entries made
on the offline sandbox are practice and are kept apart from real ones.

An entry names the customer by a Nylas account id (Connect) or a Zoom email (v3's login hint),
with an optional reference of the operator's own ("Acme #123"). Import is all or nothing: a
paste or a CSV with one bad line imports no line, and every bad line is named.

All methods block on disk I/O: async callers use `asyncio.to_thread`.
"""

from __future__ import annotations

import csv
import io
import sqlite3
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from wizard.store import database
from wizard.store.entries import EntryState, NewEntry, QueueEntry, QueueImportError
from wizard.store.owner import is_alive, this_process
from wizard.store.spreadsheet import cell
from wizard.validation import validate_account_id, validate_customer, validate_login_hint

__all__ = [
    "EntryState",
    "NewEntry",
    "QueueEntry",
    "QueueImportError",
    "WorkQueue",
    "decode_import",
    "parse_entries",
    "write_queue_csv",
]

MAX_ENTRIES_PER_IMPORT = 10_000
LINK_EXPIRED = (
    "The link sent to the customer expired before their answer came back: Retry, then send a "
    "new link."
)

# A first row made of these is a header, not a customer: it names the columns.
_HEADER_WORDS = frozenset(
    {"account", "account id", "account_id", "email", "zoom email", "login hint", "login_hint"}
)
_CUSTOMER_WORDS = frozenset({"customer", "customer reference", "reference", "name", "company"})


def decode_import(data: bytes, source: str) -> str:
    """The text of a pasted or imported list: UTF-8 with or without a byte-order mark (a
    spreadsheet's 'CSV UTF-8'), the same rule for a file, standard input and the window."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(
            f"{source} is not saved as UTF-8: in the spreadsheet, save it as 'CSV UTF-8' (or "
            "paste the cells), then add it again."
        ) from None


def parse_entries(text: str, *, already: Iterable[QueueEntry] = ()) -> list[NewEntry]:
    """Lines pasted from a spreadsheet (tabs) or a CSV file (commas, or semicolons as Excel
    writes them in most European locales): an account id or a Zoom email, then an optional
    customer reference; a header row is recognised (and its column names followed) and
    skipped. Raises QueueImportError naming every bad line; returns the entries otherwise."""
    text = text.removeprefix("\ufeff")  # a byte-order mark that reached us as text
    rows, problems = _rows(text)
    key_column, customer_column, header = _columns(rows)
    waiting = {
        key.casefold(): e.id
        for e in already
        if not e.state.done
        for key in (e.account_id, e.login_hint)
        if key
    }
    seen: dict[str, int] = {}
    entries: list[NewEntry] = []
    for number, cells in rows:
        if number == header:
            continue
        if len(cells) > 2:
            problems.append((number, f"{len(cells)} columns; expected at most 2"))
            continue
        key = cells[key_column] if key_column < len(cells) else ""
        customer = cells[customer_column] if customer_column < len(cells) else None
        try:
            entry = _entry(key, customer or None)
        except ValueError as exc:
            problems.append((number, str(exc)))
            continue
        folded = key.casefold()
        if folded in seen:
            problems.append((number, f"{key!r} is already on line {seen[folded]}"))
            continue
        if folded in waiting:
            problems.append((number, f"{key!r} is already in the queue and not done"))
            continue
        seen[folded] = number
        entries.append(entry)
    if len(entries) > MAX_ENTRIES_PER_IMPORT:
        last = rows[-1][0] if rows else 0
        problems.append((last, f"more than {MAX_ENTRIES_PER_IMPORT} entries in one import"))
    if problems:
        raise QueueImportError(sorted(problems))
    return entries


MAX_FIELD = 1000  # characters: an account id, an email or a reference is far shorter


def _rows(text: str) -> tuple[list[tuple[int, list[str]]], list[tuple[int, str]]]:
    """(line number, cells) of the non-blank rows, with the delimiter that reads every line
    as one or two cells whose first is an account id or a Zoom email; problems found while
    reading (an over-long field) are named by line."""
    candidates = [_read(text, delimiter) for delimiter in ("\t", ",", ";")]
    fitting = [c for c in candidates if not c[1] and _fits(c[0])]
    if fitting:
        # The one that splits most lines in two: a lone email may hold a comma by accident.
        return max(fitting, key=lambda c: sum(len(cells) == 2 for _, cells in c[0]))
    # None fits: the one most lines agree with, so the problems are named line by line.
    return min(candidates, key=lambda c: (len(c[1]), -sum(len(r[1]) == 2 for r in c[0])))


def _read(text: str, delimiter: str) -> tuple[list[tuple[int, list[str]]], list[tuple[int, str]]]:
    rows: list[tuple[int, list[str]]] = []
    problems: list[tuple[int, str]] = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error:  # a field beyond the csv module's limit (131,072 characters)
            problems.append((start, f"a cell is far too long (at most {MAX_FIELD} characters)"))
            break  # the rest of the text cannot be read reliably
        cells = [cell.strip() for cell in row]
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            continue  # blank lines are fine
        if any(len(cell) > MAX_FIELD for cell in cells):
            problems.append((start, f"a cell is longer than {MAX_FIELD} characters"))
            continue
        rows.append((start, cells))
    return rows, problems


def _fits(rows: list[tuple[int, list[str]]]) -> bool:
    """Every row has at most two cells, and an account id or Zoom email where the key goes
    (the first column, or the one a header names)."""
    key, _customer, header = _columns(rows)
    body = [cells for number, cells in rows if number != header]
    return bool(body) and all(
        len(cells) <= 2 and key < len(cells) and _is_key(cells[key]) for cells in body
    )


def _columns(rows: list[tuple[int, list[str]]]) -> tuple[int, int, int | None]:
    """(key column, customer column, header line): a header names them in either order."""
    if rows and _is_header(rows[0][1]):
        number, names = rows[0]
        folded = [name.casefold() for name in names]
        if len(folded) == 2 and folded[0] in _CUSTOMER_WORDS:
            return 1, 0, number
        return 0, 1, number
    return 0, 1, None


def _is_header(cells: list[str]) -> bool:
    folded = [cell.casefold() for cell in cells]
    return bool(folded) and (
        folded[0] in _HEADER_WORDS or all(c in _HEADER_WORDS | _CUSTOMER_WORDS for c in folded)
    )


def _is_key(cell: str) -> bool:
    try:
        _entry(cell, None)
    except ValueError:
        return False
    return True


def _entry(key: str, customer: str | None) -> NewEntry:
    if not key:
        raise ValueError("the first column is empty; give an account id or a Zoom email")
    reference = validate_customer(customer) if customer else None
    if "@" in key and "." in key.rpartition("@")[2]:
        return NewEntry(None, validate_login_hint(key), reference)
    return NewEntry(validate_account_id(key), None, reference)


class WorkQueue:
    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path

    # -- filling ---------------------------------------------------------------------------

    def add(self, entries: Sequence[NewEntry], *, practice: bool) -> list[int]:
        """All in one transaction: every entry is added, or none."""
        now = time.time()
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        with database.connect(self.db_path) as conn:
            database.open_for_writing(conn)
            conn.execute("BEGIN IMMEDIATE")
            try:
                ids = [
                    int(
                        conn.execute(
                            "INSERT INTO queue (added_at, account_id, login_hint, customer, "
                            "practice, state, updated_at, renews) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (
                                now,
                                e.account_id,
                                e.login_hint,
                                e.customer,
                                int(practice),
                                EntryState.WAITING.value,
                                now,
                                e.renews,
                            ),
                        ).lastrowid
                        or 0
                    )
                    for e in entries
                ]
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return ids

    def import_text(self, text: str, *, practice: bool) -> list[int]:
        """Parse and add (QueueImportError, and nothing added, when a line is bad)."""
        return self.add(
            parse_entries(text, already=self.entries(practice=practice)), practice=practice
        )

    # -- reading ---------------------------------------------------------------------------

    def entries(self, *, practice: bool) -> list[QueueEntry]:
        """In the order they were added."""
        if not self.db_path.exists():
            return []
        with database.connect(self.db_path) as conn:
            if not _has_queue(conn):
                return []
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM queue WHERE practice = ? ORDER BY id",  # noqa: S608
                (int(practice),),
            ).fetchall()
        return [_entry_of(row) for row in rows]

    def get(self, entry_id: int) -> QueueEntry:
        with database.connect(self.db_path) as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM queue WHERE id = ?",  # noqa: S608
                (entry_id,),
            ).fetchone()
        if row is None:
            raise KeyError(f"There is no queue entry {entry_id}.")
        return _entry_of(row)

    def next_waiting(self, *, practice: bool) -> QueueEntry | None:
        """The first entry to work on, in list order: a waiting one, or one interrupted by a
        window or command that is gone (it is taken again)."""
        return next((e for e in self.entries(practice=practice) if e.to_work_on), None)

    def interrupted(self, *, practice: bool) -> list[QueueEntry]:
        """Left "in progress" by a window or command that is gone (a crash, a kill)."""
        return [e for e in self.entries(practice=practice) if e.interrupted]

    # -- progress --------------------------------------------------------------------------

    def start(self, entry_id: int) -> bool:
        """Claim a waiting, failed, refused or interrupted entry for this process; False when
        another running window or command has it, or it is done."""
        # A sent one too: the customer turned up after all.
        claimable = (EntryState.WAITING, EntryState.FAILED, EntryState.REFUSED, EntryState.SENT)
        marks = ", ".join("?" * len(claimable))
        with database.connect(self.db_path) as conn:
            database.open_for_writing(conn)
            # Whether the owner runs is asked inside the UPDATE: claimed in one statement.
            conn.create_function("owner_alive", 1, is_alive, deterministic=False)
            cursor = conn.execute(
                "UPDATE queue SET state = ?, owner = ?, updated_at = ? WHERE id = ? AND "  # noqa: S608
                f"(state IN ({marks}) OR (state = ? AND NOT owner_alive(owner)))",  # ? only
                (
                    EntryState.IN_PROGRESS.value,
                    this_process(),
                    time.time(),
                    entry_id,
                    *(s.value for s in claimable),
                    EntryState.IN_PROGRESS.value,
                ),
            )
            return cursor.rowcount == 1

    def send(self, entry_id: int, until: float) -> bool:
        """Its link went to the customer (flow/remote.py): SENT until `until`, worked on by
        nobody meanwhile; False unless it was in progress."""
        with database.connect(self.db_path) as conn:
            database.open_for_writing(conn)
            cursor = conn.execute(
                "UPDATE queue SET state = ?, sent_until = ?, owner = NULL, reason = NULL, "
                "updated_at = ? WHERE id = ? AND state = ?",
                (EntryState.SENT.value, until, time.time(), entry_id, EntryState.IN_PROGRESS.value),
            )
            return cursor.rowcount == 1

    def expire_sent(self, now: float | None = None) -> int:
        """SENT entries whose link stopped working fail, saying so (Retry sends a new one);
        how many."""
        if not self.db_path.exists():
            return 0
        with database.connect(self.db_path) as conn:
            if not _has_queue(conn):
                return 0
            database.open_for_writing(conn)
            cursor = conn.execute(
                "UPDATE queue SET state = ?, reason = ?, updated_at = ? "
                "WHERE state = ? AND sent_until < ?",
                (
                    EntryState.FAILED.value,
                    LINK_EXPIRED,
                    time.time(),
                    EntryState.SENT.value,
                    time.time() if now is None else now,
                ),
            )
            return cursor.rowcount

    def release(self, entry_id: int, *, reason: str | None = None) -> None:
        """Back to waiting if it is still in progress (the operator moved on to another one, a
        run stopped): never an entry whose grant already came (it is connected)."""
        self.finish(
            entry_id, EntryState.WAITING, reason=reason, only_from=(EntryState.IN_PROGRESS,)
        )

    def retry(self, entry_id: int) -> bool:
        """Back to waiting: only what ended without a grant (failed, refused, skipped) or was
        interrupted by a process that is gone. Never a connected entry (it has its grant), a
        sent one (its link is out with the customer) or one another window works on. True when
        it changed."""
        entry = self.get(entry_id)
        if not (entry.state in _RETRYABLE or entry.interrupted or entry.link_expired(time.time())):
            return False
        return self.finish(entry_id, EntryState.WAITING, only_from=(entry.state,))

    def skip(self, entry_id: int) -> bool:
        """True when it changed (never a connected entry)."""
        return self.finish(entry_id, EntryState.SKIPPED, only_from=_NOT_CONNECTED)

    def clear_done(self, *, practice: bool) -> int:
        """Remove the connected and skipped entries; how many."""
        if not self.db_path.exists():
            return 0
        with database.connect(self.db_path) as conn:
            database.open_for_writing(conn)
            cursor = conn.execute(
                "DELETE FROM queue WHERE practice = ? AND state IN (?, ?)",
                (int(practice), EntryState.CONNECTED.value, EntryState.SKIPPED.value),
            )
            return cursor.rowcount

    def finish(
        self,
        entry_id: int,
        state: EntryState,
        *,
        grant_id: str | None = None,
        email: str | None = None,
        reason: str | None = None,
        only_from: Sequence[EntryState] | None = None,
    ) -> bool:
        """Set how it ended (or where it is now); only from the states in `only_from` when
        given. True when it changed."""
        allowed = [s.value for s in (only_from or tuple(EntryState))]
        marks = ", ".join("?" * len(allowed))
        with database.connect(self.db_path) as conn:
            database.open_for_writing(conn)
            cursor = conn.execute(
                "UPDATE queue SET state = ?, grant_id = ?, email = ?, reason = ?, "  # noqa: S608
                f"updated_at = ? WHERE id = ? AND state IN ({marks})",  # only ? marks
                (state.value, grant_id, email, reason, time.time(), entry_id, *allowed),
            )
            return cursor.rowcount == 1


_COLUMNS = (
    "id, added_at, account_id, login_hint, customer, practice, state, grant_id, email, reason, "
    "updated_at, owner, sent_until, renews"
)
_NOT_CONNECTED = tuple(s for s in EntryState if s is not EntryState.CONNECTED)
_RETRYABLE = (EntryState.FAILED, EntryState.REFUSED, EntryState.SKIPPED)


def _has_queue(conn: sqlite3.Connection) -> bool:
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'queue'"
    ).fetchone()
    return found is not None


def _entry_of(row: tuple[Any, ...]) -> QueueEntry:
    (id_, added, account_id, hint, customer, practice, state, grant_id, email, reason, updated) = (
        row[:11]
    )
    return QueueEntry(
        id=id_,
        added_at=added,
        account_id=account_id,
        login_hint=hint,
        customer=customer,
        practice=bool(practice),
        state=EntryState(state),
        grant_id=grant_id,
        email=email,
        reason=reason,
        updated_at=updated,
        owner=row[11] if len(row) > 11 else None,
        sent_until=row[12] if len(row) > 12 else None,
        renews=row[13] if len(row) > 13 else None,
    )


CSV_HEADER = (
    "account_id",
    "zoom_email",
    "customer",
    "state",
    "grant_id",
    "zoom_user",
    "reason",
    "practice",
)


def write_queue_csv(entries: Iterable[QueueEntry], out: TextIO) -> None:
    """The queue with its results, for whoever handed out the list."""
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for e in entries:
        writer.writerow(
            [
                cell(e.account_id),
                cell(e.login_hint),
                cell(e.customer),
                e.state.value,
                cell(e.grant_id),
                cell(e.email),
                cell(e.reason),
                "practice (sandbox)" if e.practice else "real",
            ]
        )
