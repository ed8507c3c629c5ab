"""The grants worklist's row: what Nylas says of one Zoom grant, with what this computer's
history knows of it (who the customer is, when it was recorded, with which profile); the table
both front ends show (`zoom-onboard grants` and the Grants window) and its CSV.

Import-light and Qt-free, like store/grant_columns.py: the command, the window's model and
the flow (wizard/flow/grants.py, which makes the rows) all read it.
"""

from __future__ import annotations

import csv
import datetime
from collections.abc import Callable, Iterable
from dataclasses import astuple, dataclass, fields
from typing import NamedTuple, TextIO

from wizard.store.grant_columns import LocalTime
from wizard.store.spreadsheet import cell as spreadsheet_cell

__all__ = ["CSV_COLUMNS", "HEADERS", "SHOWN", "ListedGrant", "cells", "csv_row", "write_csv"]

INVALID = "invalid"


@dataclass(frozen=True)
class ListedGrant:
    """One Zoom grant of the application. The fields are the CSV's, in its order."""

    grant_id: str
    grant_status: str | None  # "valid", "invalid", or None: Nylas did not say
    email: str | None  # the Zoom user
    account_id: str | None  # Connect only
    created_at: int | None  # epoch seconds, Nylas's
    updated_at: int | None  # a renewal moves it
    # From the history, when this computer recorded the grant (None otherwise).
    customer: str | None = None
    recorded_at: str | None = None  # ISO 8601, UTC, as the history keeps it
    profile: str | None = None
    operator: str | None = None

    @property
    def needs_attention(self) -> bool:
        """Only "invalid" means re-authenticate; no status at all is unknown, not invalid."""
        return self.grant_status == INVALID

    @property
    def known_here(self) -> bool:
        return self.recorded_at is not None

    @property
    def reference(self) -> str | None:
        """How the operator knows the customer: the history's reference, else the email."""
        return self.customer or self.email


def _epoch(value: int | None) -> str:
    if value is None:
        return "-"
    try:
        return datetime.datetime.fromtimestamp(value).strftime("%Y-%m-%d %H:%M")
    except (OverflowError, OSError, ValueError):
        return str(value)


def _iso_utc(value: int | None) -> str | None:
    if value is None:
        return None
    try:
        return datetime.datetime.fromtimestamp(value, datetime.UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return str(value)


class Shown(NamedTuple):
    header: str
    cell: Callable[[ListedGrant, LocalTime], str]  # "-" when there is nothing to show


SHOWN: tuple[Shown, ...] = (
    Shown("Status", lambda g, _: g.grant_status or "unknown"),
    Shown("Zoom user", lambda g, _: g.email or "-"),
    Shown("Customer", lambda g, _: g.customer or g.account_id or "-"),
    Shown("Grant id", lambda g, _: g.grant_id),
    Shown("Created", lambda g, _: _epoch(g.created_at)),
    Shown("Updated", lambda g, _: _epoch(g.updated_at)),
    Shown("Recorded here", lambda g, clock: clock(g.recorded_at) if g.recorded_at else "-"),
    Shown("Profile", lambda g, _: g.profile or "-"),
)
HEADERS = tuple(shown.header for shown in SHOWN)
CSV_COLUMNS = tuple(f.name for f in fields(ListedGrant))


def cells(grant: ListedGrant, clock: LocalTime) -> tuple[str, ...]:
    """The grant as the table of either front end shows it (times in local time)."""
    return tuple(shown.cell(grant, clock) for shown in SHOWN)


def csv_row(grant: ListedGrant) -> list[str]:
    """One CSV row: Nylas's times in ISO 8601 UTC, text behind the spreadsheet formula guard
    (an email or a customer's name comes from people)."""
    values = list(astuple(grant))
    for at, name in enumerate(CSV_COLUMNS):
        if name in ("created_at", "updated_at"):
            values[at] = _iso_utc(values[at])
    return [spreadsheet_cell(value) for value in values]


def write_csv(grants: Iterable[ListedGrant], out: TextIO) -> int:
    """A header row of the field names, then one row per grant; how many rows."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for grant in grants:
        writer.writerow(csv_row(grant))
        count += 1
    return count
