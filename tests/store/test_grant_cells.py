"""Each displayed cell is declared once (`SHOWN` in store/grant_columns.py) and spelled twice,
in Python for the window and in SQL for the command's table: both give the same text."""

from __future__ import annotations

import contextlib
import datetime
import os
import sqlite3
import sys
import time
from collections.abc import Iterator

from hypothesis import HealthCheck, given, settings, strategies as st

from wizard.cli import history_table
from wizard.store import database
from wizard.store.grant_columns import (
    CELLS_SQL,
    JOURNAL_TABLE,
    SELECT_LIST,
    HistoryRecord,
    LocalTime,
    as_row,
    cells,
    from_row,
)

# Times as this app writes them, and the odd ones SQLite and Python read differently.
ISO_UTC = st.datetimes(
    min_value=datetime.datetime(1960, 1, 1), max_value=datetime.datetime(2045, 12, 31)
).map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00"))
# UTC; a summer time; a half-hour zone that changes at half past a UTC hour; a zone that
# changed its offset by 24 hours (Samoa skipped 2011-12-30).
ZONES = ("UTC", "Europe/Berlin", "America/St_Johns", "Pacific/Apia")
ODD_TIMES = st.sampled_from(
    [
        "2026-02-30T05:00:00.000000+00:00",  # SQLite: March 2nd; Python: not a date
        "2026-12-01T24:00:00.000000+00:00",  # SQLite: the next day
        "2026-12-01T05:00:59.999999+00:00",  # SQLite rounds to milliseconds
        "2026-12-01T05:00:00.12345x+00:00",
        "2026-12-01 05:00:00.000000+00:00",
        "2026-12-01T05:00:00.000000+05:30",
        "2026-12-01T05:00:00.000000",
        "2026-12-01T05:00:00Z",
        "2038-01-19T03:14:08.000000+00:00",
        "1970-12-31T23:59:59.000000+00:00",
        "9999-12-31T23:59:59.000000+00:00",
        "not a time",
        "",
    ]
)
TEXT = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=12)
OPTIONAL = st.none() | TEXT | st.sampled_from(["", " ", "x\u00a0"])


@st.composite
def records(draw: st.DrawFn) -> HistoryRecord:
    return HistoryRecord(
        api=draw(st.sampled_from(["v3", "connect"]) | TEXT),
        region=draw(st.sampled_from(["us", "eu", "sandbox"]) | TEXT),
        practice=draw(st.booleans()),
        id=None,
        created_at=draw(ISO_UTC | ODD_TIMES),
        profile=draw(TEXT),
        account_id=draw(st.just("") | TEXT),
        customer=draw(OPTIONAL),
        login_hint=draw(OPTIONAL),
        integration_id=draw(OPTIONAL),
        grant_id=draw(TEXT),
        email=draw(OPTIONAL),
        grant_status=draw(OPTIONAL),
        verified=draw(st.none() | st.booleans()),
        note=draw(OPTIONAL),
        operator=draw(TEXT),
    )


def _sql_cells(rows: list[HistoryRecord]) -> list[tuple[str, ...]]:
    conn = sqlite3.connect(":memory:")
    try:
        conn.create_function("local_time", 1, LocalTime(), deterministic=True)
        conn.execute(f"CREATE TABLE grants ({JOURNAL_TABLE})")
        marks = ", ".join("?" for _ in SELECT_LIST.split(", "))
        conn.executemany(f"INSERT INTO grants VALUES ({marks})", map(as_row, rows))  # noqa: S608
        selected = ", ".join(CELLS_SQL)
        return conn.execute(f"SELECT {selected} FROM grants ORDER BY rowid").fetchall()  # noqa: S608
    finally:
        conn.close()


@contextlib.contextmanager
def _zone(name: str) -> Iterator[None]:
    """The process's time zone, for Python and SQLite's C library alike (POSIX)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), min_size=1, max_size=8))
def test_sql_cells_are_the_python_cells(rows: list[HistoryRecord]) -> None:
    for zone in ZONES if hasattr(time, "tzset") else ("",):
        with _zone(zone) if zone else contextlib.nullcontext():
            # Through a row, as the store reads it back (flags as SQLite keeps them).
            clock = LocalTime()
            assert _sql_cells(rows) == [cells(from_row(as_row(r)), clock) for r in rows], zone


def test_the_local_time_of_every_kind_of_text_is_the_same_in_any_order() -> None:
    times = [
        "2026-03-08T05:10:00.000000+00:00",  # America/St_Johns changes at 05:30 UTC
        "2026-12-01T05:00:00.12345x+00:00",
        "2026-12-01T05:00:00.000000+00:00",
    ]
    forward, backward = LocalTime(), LocalTime()
    assert [forward(t) for t in times] == [backward(t) for t in reversed(times)][::-1]


def test_the_whitespace_the_table_trims_is_pythons() -> None:
    every = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())
    assert every == history_table.PY_WHITESPACE


def test_the_table_waits_for_a_busy_database_as_the_store_does() -> None:
    assert history_table.BUSY_TIMEOUT_SECONDS == database.BUSY_TIMEOUT_SECONDS


def test_any_stored_flag_or_verdict_reads_as_python_reads_it() -> None:
    # A row written by another tool: a practice flag of 5, a verdict of 2 or -1.
    base = as_row(
        HistoryRecord("v3", "us", False, None, "2026-12-01T05:00:00.000000+00:00", "p", "a",
                      None, None, None, "g", None, None, None, None, "op")
    )  # fmt: skip
    at = SELECT_LIST.split(", ")
    rows = []
    for practice, verified in ((5, 2), (0, -1), (1, 0), (0, None)):
        row = list(base)
        row[at.index("practice")], row[at.index("verified")] = practice, verified
        rows.append(tuple(row))
    conn = sqlite3.connect(":memory:")
    try:
        conn.create_function("local_time", 1, LocalTime(), deterministic=True)
        conn.execute(f"CREATE TABLE grants ({JOURNAL_TABLE})")
        conn.executemany(f"INSERT INTO grants VALUES ({', '.join('?' * len(at))})", rows)  # noqa: S608
        got = conn.execute(f"SELECT {', '.join(CELLS_SQL)} FROM grants ORDER BY rowid").fetchall()  # noqa: S608
    finally:
        conn.close()
    assert got == [cells(from_row(row), LocalTime()) for row in rows]
