"""The history's lookup by grant ids (the grants worklist joins each page of Nylas's grants with
it): the newest record of each grant, practice apart, in one query per page."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.store import record_v3_grant
from wizard.store import database
from wizard.store.history import History


@pytest.fixture
def history(tmp_path: Path) -> History:
    return History(tmp_path / "history.sqlite3", tmp_path / "fallback.jsonl")


def test_the_newest_record_of_each_known_grant(history: History) -> None:
    record_v3_grant(history, "g-1", "Acme (first consent)")
    record_v3_grant(history, "g-1", "Acme (renewed)")
    record_v3_grant(history, "g-2", "Globex")
    known = history.known_grants(["g-1", "g-2", "g-unknown"])
    assert set(known) == {"g-1", "g-2"}
    assert known["g-1"].customer == "Acme (renewed)"
    assert history.known_grants([]) == {}


def test_practice_and_real_records_are_kept_apart(history: History) -> None:
    record_v3_grant(history, "g-1", "Real")
    record_v3_grant(history, "g-2", "Practice", practice=True)
    assert set(history.known_grants(["g-1", "g-2"], practice=False)) == {"g-1"}
    assert set(history.known_grants(["g-1", "g-2"], practice=True)) == {"g-2"}
    assert set(history.known_grants(["g-1", "g-2"])) == {"g-1", "g-2"}


def test_a_page_of_two_hundred_ids_is_one_query(
    history: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(300):
        record_v3_grant(history, f"g-{number}", f"Customer {number}")
    statements: list[str] = []
    plain = database.connect

    @contextlib.contextmanager
    def traced(path: Path | str) -> Iterator[sqlite3.Connection]:
        with plain(path) as conn:
            conn.set_trace_callback(statements.append)
            yield conn

    monkeypatch.setattr(database, "connect", traced)
    known = history.known_grants([f"g-{n}" for n in range(50, 250)])
    assert len(known) == 200
    lookups = [s for s in statements if "grant_id IN (" in s]
    assert len(lookups) == 1


def test_a_grant_only_in_the_fallback_journal_is_found_too(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    db.mkdir()  # the database cannot be written: the grant goes to the journal
    history = History(db, tmp_path / "fallback.jsonl")
    record_v3_grant(history, "g-journal", "Acme")
    assert history.known_grants(["g-journal"])["g-journal"].customer == "Acme"
