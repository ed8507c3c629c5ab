"""`zoom-onboard history` as a table, written by SQLite: the common case, made fast.

The general command (wizard/cli/history_cmd.py) builds a record per grant and formats it in
Python, after importing argparse, logging, asyncio and the store: at 10,000 grants the imports
were most of its time, at 100,000 the records and their formatting. Here SQLite writes each
line itself (the cells' SQL comes from the one declaration of the row, `SHOWN` in
store/grant_columns.py, padded with printf) and Python only passes the lines on in big chunks.
Same bytes as the general table; tests/cli/test_history_table.py compares the two.

Only the plain case comes here: `history` with --include-practice or --account-id, a database
whose rows are all readable, and no fallback journal. Anything else (other flags, -h, no
grants, unreadable rows, a journal, an error) returns None and the general command runs, with
its problems worded as always. Imports: sqlite3, the grant row's module and where the files
are (store/paths.py), nothing else.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
from collections.abc import Sequence

from wizard.store.grant_columns import CELLS_SQL, HEADERS, WELL_TYPED, GrantQuery, LocalTime

__all__ = ["PY_WHITESPACE", "layout", "practice_note", "print_fast_table"]

# What str.rstrip() strips (the general table strips each line so): rtrim's second argument.
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# store/database.py's BUSY_TIMEOUT_SECONDS (that module imports subprocess, re, ...); a test
# keeps the two equal.
BUSY_TIMEOUT_SECONDS = 2.0
_CHUNK = 4096  # lines per write


def layout(widths: Sequence[int]) -> tuple[list[int], str]:
    """The column widths (each at least its header's) and the header and rule lines."""
    widths = [max(len(h), w) for h, w in zip(HEADERS, widths, strict=True)]
    row_format = "  ".join(f"{{:<{w}}}" for w in widths)
    head = [row_format.format(*HEADERS).rstrip()]
    head.append(row_format.format(*("-" * w for w in widths)).rstrip())
    return widths, "\n".join(head) + "\n"


def practice_note(hidden: int) -> str:
    return (
        f"Note: {hidden} practice grant(s) of the offline sandbox not listed; add "
        "--include-practice to see them."
    )


def _query(argv: Sequence[str]) -> GrantQuery | None:
    """The query of `history` with these flags, or None when they are not the plain ones
    (argparse's abbreviations, -h, a value that looks like a flag: the general command)."""
    account_id: str | None = None
    include_practice = False
    rest = list(argv)
    while rest:
        flag = rest.pop(0)
        if flag == "--include-practice" and not include_practice:
            include_practice = True
        elif flag == "--account-id" and account_id is None and rest:
            account_id = rest.pop(0)
        elif flag.startswith("--account-id=") and account_id is None:
            account_id = flag.partition("=")[2]
        else:
            return None
        if account_id is not None and account_id.startswith("-"):
            return None
    return GrantQuery(account_id=account_id, include_practice=include_practice)


def _paths() -> tuple[str, str]:
    from wizard.store.paths import AppPaths  # platformdirs only without ZOOM_ONBOARD_HOME

    paths = AppPaths.default()
    return str(paths.history_db), str(paths.history_fallback)


def print_fast_table(argv: Sequence[str]) -> int | None:
    """Print the table of `history argv[...]` and return the exit code; None: not the plain
    case, nothing printed (the general command runs)."""
    query = _query(argv)
    # FILTER clauses need SQLite 3.30 (2019); an older library (some Linux distributions)
    # gets the general command.
    if query is None or sqlite3.sqlite_version_info < (3, 30):
        return None
    db, fallback = _paths()
    try:
        if os.path.getsize(fallback) > 0:
            return None  # grants in the fallback journal: merged by the general command
    except OSError:
        pass
    if not os.path.isfile(db):
        return None
    try:
        conn = sqlite3.connect(db, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        return _print(conn, query)
    except sqlite3.Error:
        return None  # nothing written yet (see _more): the general command says what is wrong
    except _PrintingFailed as exc:
        print(f"Note: {exc}", file=sys.stderr)
        return 1  # Outcome.FAILED: part of the table is missing
    finally:
        conn.close()


def _print(conn: sqlite3.Connection, query: GrantQuery) -> int | None:
    # Cells that are not this app's own UTC times are converted by the window's clock.
    clock = LocalTime()
    conn.create_function(
        "local_time", 1, lambda v: clock(v) if isinstance(v, str) else None, deterministic=True
    )
    conn.execute("PRAGMA temp_store = MEMORY")  # the table of cells below: 20 MB at 100,000
    conn.execute("BEGIN")  # one snapshot: the widths are those of the rows printed
    if conn.execute("PRAGMA user_version").fetchone()[0] == 0:
        return None
    where, params = query.where(include_practice=True)
    count = len(CELLS_SQL)
    cells = ", ".join(f"{sql} AS c{at}" for at, sql in enumerate(CELLS_SQL))
    listed = "1" if query.include_practice else "practice = 0"
    # The cells are made once, in order, into a table in memory (rowid: the order): the widths
    # and the lines are read from it. Sorting the whole table beats a row lookup per entry of
    # the time index (2x at 100,000 grants out of time order); one account's are found by index.
    conn.execute(
        f"CREATE TEMP TABLE shown AS SELECT ({WELL_TYPED}) AS wt, {listed} AS listed, "  # noqa: S608
        f"{cells} FROM grants {'NOT INDEXED' if query.account_id is None else ''} "
        f"WHERE {where} ORDER BY {query.order()}",
        params,
    )
    # The widths, the practice grants left out, and what the general command handles:
    # unreadable rows (worded, exit 1), no grants (worded), a NUL in a cell (SQLite's length
    # and printf stop at it).
    listed_ok = "FILTER (WHERE wt AND listed)"
    nul = " + ".join(f"instr(c{at}, char(0))" for at in range(count))
    widths = ", ".join(f"max(length(c{at})) {listed_ok}" for at in range(count))
    stats = conn.execute(
        f"SELECT count(*) FILTER (WHERE NOT wt), count(*) {listed_ok}, "  # noqa: S608
        f"count(*) FILTER (WHERE wt AND NOT listed), sum({nul}) {listed_ok}, {widths} "
        "FROM temp.shown"
    ).fetchone()
    bad, rows, hidden, nul_at = stats[:4]
    if bad or not rows or nul_at:
        return None
    widths_, head = layout([w or 0 for w in stats[4:]])
    pattern = "  ".join("%!-*s" if at < count - 1 else "%!s" for at in range(count))
    args = ", ".join(f"{w}, c{at}" if at < count - 1 else f"c{at}" for at, w in enumerate(widths_))
    lines = conn.execute(
        f"SELECT rtrim(printf('{pattern}', {args}), ?) FROM temp.shown WHERE listed "  # noqa: S608
        "ORDER BY rowid",
        (PY_WHITESPACE,),
    )
    chunk = lines.fetchmany(_CHUNK)  # an error up to here prints nothing: the general command
    out = sys.stdout
    out.write(head)
    while chunk:
        out.write("\n".join([line for (line,) in chunk]))
        out.write("\n")
        chunk = _more(lines)
    with contextlib.suppress(sqlite3.Error):  # printed: closing the connection ends it too
        conn.execute("ROLLBACK")  # nothing was written but the temporary table
    if hidden:
        print(practice_note(hidden), file=sys.stderr)
    return 0


class _PrintingFailed(Exception):
    """SQLite failed after the table began: not retried by the general command (the lines
    would be printed twice)."""


def _more(lines: sqlite3.Cursor) -> list[tuple[str]]:
    try:
        return lines.fetchmany(_CHUNK)
    except sqlite3.Error as exc:
        raise _PrintingFailed(f"The history could not be read to the end: {exc}") from exc
