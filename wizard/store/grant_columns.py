"""The grant row of the history, declared once.

Each field of `HistoryRecord` is a column of the `grants` table, with its kind (how SQLite
stores it, how a row and a fallback-journal line become the field), whether the filter searches
it and what it sorts by. `SHOWN` is the table both front ends show (`zoom-onboard history` and
the History window): its headers and how each cell is written. From these come the SQL select
list, the search, the order, the CSV header and cells and the displayed cells; adding a column
takes a field here (and a `SHOWN` entry to show it) and a migration in store/database.py.

Import-light and Qt-free: the command, the window's model and the store all read it.
"""

from __future__ import annotations

import csv
import datetime
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, NamedTuple, TextIO

from wizard.store.spreadsheet import cell as spreadsheet_cell

__all__ = [
    "CELLS_SQL",
    "CSV_COLUMNS",
    "HEADERS",
    "SHOWN",
    "GrantQuery",
    "HistoryRecord",
    "LocalTime",
    "cells",
    "write_csv",
]


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("text expected")
    return value


def _optional_text(value: object) -> str | None:
    return None if value is None else _text(value)


def _optional_bool(value: object) -> bool | None:
    if not (value is None or isinstance(value, bool)):
        raise TypeError("true, false or null expected")
    return value


@dataclass(frozen=True)
class Kind:
    """How a column is kept: its SQLite type, the types a readable row may hold (checked by
    SQLite, one pass in C), and how a stored value and a journal value become the field."""

    sql_type: str
    typeof: tuple[str, ...]
    from_sql: Callable[[Any], Any] | None  # None: the value as SQLite gives it
    from_json: Callable[[object], Any]  # raises TypeError for a value of the wrong type


ROW_ID = Kind("INTEGER", ("integer", "null"), None, lambda _value: None)  # the journal has none
TEXT = Kind("TEXT", ("text",), None, _text)
OPTIONAL_TEXT = Kind("TEXT", ("text", "null"), None, _optional_text)
FLAG = Kind("INTEGER", ("integer",), bool, lambda value: value is True)
VERDICT = Kind(
    "INTEGER", ("integer", "null"), lambda v: None if v is None else bool(v), _optional_bool
)


@dataclass(frozen=True)
class Column:
    kind: Kind
    searched: bool = False  # the filter finds a grant by this column
    sort: str | None = None  # the SQL a table sorted by this column orders by (else the column)
    default: object = None  # for a journal line without it (written by an older version)


def column(
    kind: Kind, *, searched: bool = False, sort: str | None = None, default: object = None
) -> dict[str, Column]:
    return {"column": Column(kind, searched, sort, default)}


@dataclass(frozen=True)
class HistoryRecord:
    """One grant. The fields are in the CSV's order: the API and region up front, and whether
    it was practice, so that real and sandbox grants are never mistaken for each other in a
    spreadsheet. No defaults: a record is made whole, from a row or a journal line (so
    positionally, 100,000 at a time)."""

    api: str = field(metadata=column(TEXT, searched=True, default="connect"))
    region: str = field(metadata=column(TEXT, searched=True))
    practice: bool = field(metadata=column(FLAG, default=False))
    id: int | None = field(metadata=column(ROW_ID))  # None: only in the fallback journal
    created_at: str = field(metadata=column(TEXT))  # ISO 8601, UTC
    profile: str = field(metadata=column(TEXT, searched=True))
    account_id: str = field(
        metadata=column(TEXT, searched=True, sort="coalesce(nullif(account_id, ''), customer)")
    )
    customer: str | None = field(metadata=column(OPTIONAL_TEXT, searched=True))
    login_hint: str | None = field(metadata=column(OPTIONAL_TEXT, searched=True))
    integration_id: str | None = field(metadata=column(OPTIONAL_TEXT, searched=True))
    grant_id: str = field(metadata=column(TEXT, searched=True))
    email: str | None = field(metadata=column(OPTIONAL_TEXT, searched=True))
    grant_status: str | None = field(metadata=column(OPTIONAL_TEXT, searched=True))
    verified: bool | None = field(metadata=column(VERDICT))
    note: str | None = field(metadata=column(OPTIONAL_TEXT))  # e.g. "found later, ..."
    operator: str = field(metadata=column(TEXT, searched=True))


_FIELDS: tuple[tuple[str, Column], ...] = tuple(
    (f.name, f.metadata["column"]) for f in fields(HistoryRecord)
)
CSV_COLUMNS = tuple(name for name, _ in _FIELDS)
SELECT_LIST = ", ".join(CSV_COLUMNS)
# 1 when every column has the type a record needs (sorting and printing fail on others).
WELL_TYPED = " AND ".join(
    f"typeof({name}) IN ({', '.join(repr(t) for t in c.kind.typeof)})" for name, c in _FIELDS
)
# The journal's grants in SQLite, so that one statement filters and sorts both sources.
JOURNAL_TABLE = ", ".join(f"{name} {c.kind.sql_type}" for name, c in _FIELDS)
# What the filter searches, as one case-folded text per row: casefold is Python's, registered
# in SQL by store/database.py (SQLite's lower() folds ASCII only).
_HAYSTACK = " || char(31) || ".join(
    f"casefold(coalesce({name}, ''))" for name, c in _FIELDS if c.searched
)
# (position, conversion) of the columns whose SQLite value is not the field's (flags)
_CONVERT = tuple(
    (at, c.kind.from_sql) for at, (_, c) in enumerate(_FIELDS) if c.kind.from_sql is not None
)


def from_row(row: Iterable[Any]) -> HistoryRecord:
    """A record of a row selected with SELECT_LIST (checked WELL_TYPED)."""
    values = list(row)
    for at, convert in _CONVERT:
        values[at] = convert(values[at])
    return HistoryRecord(*values)


def from_journal(item: Mapping[str, object]) -> HistoryRecord:
    """A record of a grant line of the fallback journal; TypeError when a value is of the wrong
    type (a missing optional value is the field's default: a journal of an older version)."""
    values: dict[str, Any] = {}
    for name, c in _FIELDS:
        value = item.get(name)
        if value in (None, "") and c.default is not None:
            values[name] = c.default
        else:
            values[name] = c.kind.from_json(value)
    return HistoryRecord(**values)


def as_row(record: HistoryRecord) -> tuple[object, ...]:
    return tuple(getattr(record, name) for name in CSV_COLUMNS)


# -- the search and the order -----------------------------------------------------------------


@dataclass(frozen=True)
class GrantQuery:
    """Which grants, in which order: the command, the window and the diagnostics ask alike."""

    text: str = ""  # found in any searched column, case folded
    include_practice: bool = True
    account_id: str | None = None
    order_by: str = "created_at"  # a field of HistoryRecord
    descending: bool = True
    grant_ids: tuple[str, ...] | None = None  # only these grants (the grants worklist's page)

    def where(self, *, include_practice: bool | None = None) -> tuple[str, tuple[object, ...]]:
        """The SQL condition and its parameters (`include_practice`: instead of the query's)."""
        clauses: list[str] = []
        params: list[object] = []
        practice = self.include_practice if include_practice is None else include_practice
        if not practice:
            clauses.append("practice = 0")
        if self.account_id is not None:
            clauses.append("account_id = ?")
            params.append(self.account_id)
        if self.grant_ids is not None:
            # One ? per id: a page is at most 200 (SQLite takes 32,766 parameters).
            clauses.append(f"grant_id IN ({', '.join('?' * len(self.grant_ids))})")
            params.extend(self.grant_ids)
        needle = self.text.strip().casefold()
        if needle:
            clauses.append(f"instr({_HAYSTACK}, ?) > 0")
            params.append(needle)
        return " AND ".join(clauses) or "1", tuple(params)

    def order(self) -> str:
        for name, c in _FIELDS:
            if name == self.order_by:
                direction = "DESC" if self.descending else "ASC"
                return f"{c.sort or name} {direction}, id {direction}"
        raise ValueError(f"cannot sort by {self.order_by!r}")


# -- what people read: the table of both front ends, and the CSV -----------------------------


class LocalTime:
    """Stored in UTC; operators read their own clock. The offset is looked up once per UTC
    minute (a day of grants shares a few; zones change offset on a whole minute, some at half
    past the hour), not converted per row. Each text is read whole, so that it shows the same
    whatever came before it (the command's SQL asks this only of the rows it cannot convert
    itself)."""

    def __init__(self) -> None:
        self._offsets: dict[float, datetime.timedelta] = {}

    def __call__(self, iso: str) -> str:
        try:
            moment = datetime.datetime.fromisoformat(iso)
            if moment.tzinfo is None:
                return iso  # not a time this app wrote: shown as it is
            minute = moment.timestamp() // 60
            offset = self._offsets.get(minute)
            if offset is None:
                offset = moment.astimezone().utcoffset() or datetime.timedelta(0)
                self._offsets[minute] = offset
            # The app writes UTC; another offset's wall clock is moved as before, not converted.
            when = moment.replace(tzinfo=None, microsecond=0) + offset
        except (ValueError, OverflowError):
            return iso
        return when.isoformat(" ")


class Cell(NamedTuple):
    """One displayed cell, spelled twice from one declaration: in Python for a record (the
    window, the general table) and in SQL for a row of the grants table (the command's table,
    which SQLite writes: wizard/cli/history_table.py). tests/store/test_grant_cells.py holds
    them to the same text."""

    show: Callable[[HistoryRecord, LocalTime], str]
    sql: str


# SQLite's localtime, used where it agrees with LocalTime: this app's own times (microseconds,
# +00:00) within 1971-2037, where SQLite calls the C library as Python does (outside it SQLite
# maps the year into that range), of real dates (SQLite reads 02-30 as 03-02 and hour 24 as the
# next day; Python refuses both); the fraction is left out (SQLite rounds it to milliseconds,
# 59.9999 to the next second). Any other text goes to LocalTime itself, registered in SQL as
# local_time(text) by the command.
_DIGIT = "[0-9]"
_ISO_UTC = f"{_DIGIT * 4}-{_DIGIT * 2}-{_DIGIT * 2}T{_DIGIT * 2}:{_DIGIT * 2}:{_DIGIT * 2}"
_ISO_UTC += f".{_DIGIT * 6}+00:00"


def _local_time(name: str) -> Cell:
    written = (
        f"{name} GLOB '{_ISO_UTC}' AND {name} BETWEEN '1971' AND '2038' "
        f"AND substr({name}, 12, 2) < '24' "
        f"AND (substr({name}, 9, 2) <= '28' OR date({name}, '+0 days') = substr({name}, 1, 10))"
    )
    return Cell(
        lambda r, clock: clock(getattr(r, name)),
        f"CASE WHEN {written} THEN datetime(substr({name}, 1, 19), 'localtime') "
        f"ELSE local_time({name}) END",
    )


def _as_is(name: str) -> Cell:
    return Cell(lambda r, _: getattr(r, name), name)


def _first_of(*names: str) -> Cell:
    """The first of these text columns that is not empty, else "-"."""

    def show(r: HistoryRecord, _: LocalTime) -> str:
        return next((v for v in (getattr(r, n) for n in names) if v), "-")

    # CASE, not coalesce(nullif(...)): no function calls, a third faster on 100,000 rows
    cases = " ".join(f"WHEN {n} <> '' THEN {n}" for n in names)
    return Cell(show, f"CASE {cases} ELSE '-' END")


def _marked(name: str, flag: str, words: str) -> Cell:
    """The text column, followed by `words` when the flag is set."""
    return Cell(
        lambda r, _: f"{getattr(r, name)}{words}" if getattr(r, flag) else getattr(r, name),
        f"{name} || CASE WHEN {flag} THEN '{words}' ELSE '' END",
    )


def _verdict(name: str) -> Cell:
    words = {True: "yes", False: "no", None: "-"}
    return Cell(
        lambda r, _: words[getattr(r, name)],
        f"CASE WHEN {name} IS NULL THEN '-' WHEN {name} THEN 'yes' ELSE 'no' END",
    )


class Shown(NamedTuple):
    header: str
    sort_by: str  # the field a click on the header sorts by
    how: Cell  # "-" when there is nothing to show

    @property
    def cell(self) -> Callable[[HistoryRecord, LocalTime], str]:
        return self.how.show


SHOWN: tuple[Shown, ...] = (
    Shown("API", "api", _as_is("api")),
    Shown("Region", "region", _marked("region", "practice", " (practice)")),
    Shown("When (local time)", "created_at", _local_time("created_at")),
    Shown("Account / customer", "account_id", _first_of("account_id", "customer")),
    Shown("Grant id", "grant_id", _as_is("grant_id")),
    Shown("Zoom user", "email", _first_of("email")),
    Shown("Status", "grant_status", _first_of("grant_status")),
    Shown("Verified", "verified", _verdict("verified")),
    Shown("Profile", "profile", _first_of("profile")),
    Shown("Operator", "operator", _as_is("operator")),
)
HEADERS = tuple(shown.header for shown in SHOWN)
_CELLS = tuple(shown.how.show for shown in SHOWN)
CELLS_SQL = tuple(shown.how.sql for shown in SHOWN)
assert {s.sort_by for s in SHOWN} <= set(CSV_COLUMNS)


def cells(record: HistoryRecord, clock: LocalTime) -> tuple[str, ...]:
    """The record as the table of either front end shows it."""
    return tuple([cell(record, clock) for cell in _CELLS])


def write_csv(records: Iterable[HistoryRecord], out: TextIO) -> None:
    """A header row of the field names, then one row per record (for spreadsheets)."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for record in records:
        writer.writerow([spreadsheet_cell(value) for value in as_row(record)])
