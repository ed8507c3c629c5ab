"""`zoom-onboard history`: the grants obtained on this computer, as a table or CSV."""

from __future__ import annotations

import argparse
import datetime
import sys
from collections.abc import Sequence
from typing import TextIO

from wizard.logs import setup_logging
from wizard.store.history import History, HistoryRecord, write_csv
from wizard.store.paths import AppPaths

_HEADERS = ("Time", "Account", "Grant id", "Email", "Status", "Verified", "Operator")


def run_history(args: argparse.Namespace) -> int:
    paths = AppPaths.default()
    # Console logging only with -v: the problems are printed below in plain words anyway.
    verbose = bool(getattr(args, "verbose", False))
    setup_logging(paths.log_file, verbose=verbose, console=verbose)
    history = History(paths.history_db, paths.history_fallback)
    account_id = getattr(args, "account_id", None)
    records = history.records(account_id=account_id, limit=1_000_000)
    if getattr(args, "csv", False):
        write_csv(records, sys.stdout)
    elif records:
        print_table(records, sys.stdout)
    elif account_id:
        print(f"No grants recorded for account {account_id}.")
    else:
        print("No grants recorded yet.")
    for problem in history.problems:
        print(f"Note: {problem}", file=sys.stderr)
    return 0


def print_table(records: Sequence[HistoryRecord], out: TextIO) -> None:
    rows = [_row(record) for record in records]
    widths = [max(len(cells[i]) for cells in [_HEADERS, *rows]) for i in range(len(_HEADERS))]
    for cells in [_HEADERS, tuple("-" * w for w in widths), *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip(), file=out)


def _row(record: HistoryRecord) -> tuple[str, ...]:
    verified = {True: "yes", False: "no", None: "-"}[record.verified]
    return (
        _local_time(record.created_at),
        record.account_id,
        record.grant_id,
        record.email or "-",
        record.grant_status or "-",
        verified,
        record.operator,
    )


def _local_time(iso: str) -> str:
    # Stored in UTC; operators read their own clock.
    try:
        return datetime.datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return iso
