"""The work queue: import all or nothing with every bad line named, states that survive a
restart, practice kept apart, and an export with the results."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest

from tests.helpers.store import crash_owner_of
from wizard.store.history import History
from wizard.store.queue import (
    EntryState,
    NewEntry,
    QueueImportError,
    WorkQueue,
    parse_entries,
    write_queue_csv,
)


@pytest.fixture
def queue(tmp_path: Path) -> WorkQueue:
    return WorkQueue(tmp_path / "history.sqlite3")


def test_pasted_tabs_or_csv_commas_with_a_header_and_blank_lines() -> None:
    pasted = "Account id\tCustomer\nacct-1\tAcme #1\n\nzoom.user@example.com\tGlobex\n"
    assert parse_entries(pasted) == [
        NewEntry("acct-1", None, "Acme #1"),
        NewEntry(None, "zoom.user@example.com", "Globex"),
    ]
    from_csv = 'email,customer\n"a@example.com","Initech, Inc."\nacct-9\n'
    assert parse_entries(from_csv) == [
        NewEntry(None, "a@example.com", "Initech, Inc."),
        NewEntry("acct-9", None, None),
    ]


def test_every_bad_line_is_named_and_nothing_is_imported(queue: WorkQueue) -> None:
    text = "\n".join(
        [
            "acct-1,Acme",
            "not an id!,Bad",  # line 2
            "acct-1,Again",  # 3: twice in the same import
            "a,b,c",  # 4: too many columns
            ",No key",  # 5
            "acct-6," + "x" * 300,  # 6: reference too long
        ]
    )
    with pytest.raises(QueueImportError) as raised:
        queue.import_text(text, practice=False)
    assert [n for n, _ in raised.value.problems] == [2, 3, 4, 5, 6]
    assert "already on line 1" in dict(raised.value.problems)[3]
    assert "Nothing was imported" in str(raised.value) and "line 2" in str(raised.value)
    assert queue.entries(practice=False) == []


def test_an_account_already_waiting_is_not_added_twice(queue: WorkQueue) -> None:
    queue.import_text("acct-1\nacct-2", practice=False)
    with pytest.raises(QueueImportError, match="already in the queue"):
        queue.import_text("acct-3\nACCT-1", practice=False)
    assert [e.account_id for e in queue.entries(practice=False)] == ["acct-1", "acct-2"]
    first = queue.entries(practice=False)[0]
    queue.start(first.id)
    queue.finish(first.id, EntryState.CONNECTED, grant_id="g-1")
    queue.import_text("acct-1", practice=False)  # done: a new round for it is fine


def test_states_survive_a_restart_and_practice_stays_apart(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    History(db, tmp_path / "fallback.jsonl")  # the history and the queue share the database
    first = WorkQueue(db)
    first.import_text("acct-1\nacct-2\nacct-3", practice=False)
    first.import_text("practice-1", practice=True)
    a, b, c = first.entries(practice=False)
    assert first.start(a.id)
    assert not WorkQueue(db).start(a.id)  # another window cannot take it too
    first.finish(a.id, EntryState.CONNECTED, grant_id="g-1", email="u@example.com")
    first.start(b.id)
    first.finish(b.id, EntryState.REFUSED, reason="The Zoom user declined.")
    first.start(c.id)
    assert first.interrupted(practice=False) == []  # this process is working on it
    crash_owner_of(db, c.id)  # then the window crashed

    again = WorkQueue(db)  # a new process
    states = [(e.account_id, e.state) for e in again.entries(practice=False)]
    assert states == [
        ("acct-1", EntryState.CONNECTED),
        ("acct-2", EntryState.REFUSED),
        ("acct-3", EntryState.IN_PROGRESS),
    ]
    assert [e.account_id for e in again.interrupted(practice=False)] == ["acct-3"]
    assert [e.account_id for e in again.entries(practice=True)] == ["practice-1"]
    # An entry interrupted by a process that is gone is taken again.
    assert again.next_waiting(practice=False).account_id == "acct-3"  # type: ignore[union-attr]
    again.retry(b.id)
    assert again.next_waiting(practice=False).account_id == "acct-2"  # type: ignore[union-attr]
    again.skip(c.id)
    assert again.clear_done(practice=False) == 2  # connected and skipped
    assert [e.account_id for e in again.entries(practice=False)] == ["acct-2"]
    assert len(again.entries(practice=True)) == 1


def test_retry_brings_back_only_what_ended_without_a_grant(queue: WorkQueue) -> None:
    ids = queue.import_text("\n".join(f"acct-{n}" for n in range(1, 9)), practice=False)
    ended = {
        1: EntryState.FAILED,
        2: EntryState.REFUSED,
        3: EntryState.SKIPPED,
        4: EntryState.CONNECTED,
    }
    for n, state in ended.items():
        queue.start(ids[n - 1])
        queue.finish(ids[n - 1], state)
    queue.start(ids[4])  # 5: in progress in this (running) process
    queue.start(ids[5])
    crash_owner_of(queue.db_path, ids[5])  # 6: interrupted, its process gone
    queue.start(ids[6])
    queue.send(ids[6], until=time.time() + 3600)  # 7: its link is out with the customer
    queue.start(ids[7])
    queue.send(ids[7], until=time.time() - 1)  # 8: its link no longer works
    retried = {n: queue.retry(entry_id) for n, entry_id in enumerate(ids, start=1)}
    assert retried == {1: True, 2: True, 3: True, 4: False, 5: False, 6: True, 7: False, 8: True}
    states = {n: queue.get(entry_id).state for n, entry_id in enumerate(ids, start=1)}
    assert states[4] is EntryState.CONNECTED
    assert states[5] is EntryState.IN_PROGRESS
    assert states[7] is EntryState.SENT
    assert {states[n] for n in (1, 2, 3, 6, 8)} == {EntryState.WAITING}


def test_a_connected_entry_cannot_be_skipped(queue: WorkQueue) -> None:
    (entry_id,) = queue.import_text("acct-1", practice=False)
    queue.start(entry_id)
    queue.finish(entry_id, EntryState.CONNECTED, grant_id="g-1")
    queue.skip(entry_id)
    assert queue.get(entry_id).state is EntryState.CONNECTED


def test_the_export_has_the_results_and_never_a_formula(queue: WorkQueue) -> None:
    ids = queue.import_text("acct-1,=HYPERLINK(1)\nz@example.com,Globex", practice=True)
    queue.start(ids[0])
    queue.finish(ids[0], EntryState.FAILED, reason="-Nylas was unreachable")
    out = io.StringIO()
    write_queue_csv(queue.entries(practice=True), out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0][:4] == ["account_id", "zoom_email", "customer", "state"]
    assert rows[1][2] == "'=HYPERLINK(1)" and rows[1][3] == "failed"
    assert rows[1][6] == "'-Nylas was unreachable"
    assert rows[2][1] == "z@example.com" and rows[2][7] == "practice (sandbox)"


def test_ten_thousand_rows_import_in_one_transaction(queue: WorkQueue) -> None:
    text = "Account id,Customer\n" + "\n".join(f"acct-{n},Customer #{n}" for n in range(10_000))
    ids = queue.import_text(text, practice=False)
    entries = queue.entries(practice=False)
    assert len(ids) == len(entries) == 10_000
    assert entries[0].account_id == "acct-0" and entries[-1].customer == "Customer #9999"
    # One bad row among 10,001: still nothing added, and the row is named.
    with pytest.raises(QueueImportError) as raised:
        queue.import_text("\n".join(f"new-{n}" for n in range(10_000)) + "\nbad id!", practice=True)
    assert [n for n, _ in raised.value.problems] == [10_001]
    assert queue.entries(practice=True) == []


def test_an_entry_in_progress_is_claimed_again_only_when_its_process_is_gone(
    queue: WorkQueue,
) -> None:
    (entry,) = queue.import_text("acct-1", practice=False)
    assert queue.start(entry)
    assert not queue.start(entry)  # a running process has it (this one)
    crash_owner_of(queue.db_path, entry)
    assert queue.start(entry)  # its process is gone: taken again, by this one
    (again,) = queue.entries(practice=False)
    assert again.state is EntryState.IN_PROGRESS and not again.interrupted


def test_a_semicolon_list_as_excel_writes_it_in_european_locales() -> None:
    assert parse_entries("acct-1;Acme, Inc\nzoom.user@example.com;Globex\n") == [
        NewEntry("acct-1", None, "Acme, Inc"),
        NewEntry(None, "zoom.user@example.com", "Globex"),
    ]


def test_a_tab_inside_a_quoted_cell_does_not_make_the_file_tab_separated() -> None:
    # Read as CSV: only that line's reference is refused (a tab is a control character).
    with pytest.raises(QueueImportError) as bad:
        parse_entries('acct-1,"Acme\tInc"\nacct-2,Globex\nacct-3,Initech\n')
    assert [number for number, _ in bad.value.problems] == [1]
    assert parse_entries('acct-2,"Globex, Inc"\nacct-3,Initech\n')[0].customer == "Globex, Inc"


def test_a_header_names_the_columns_in_either_order() -> None:
    assert parse_entries("Customer,Account\nAcme,acct-1\nGlobex,acct-2\n") == [
        NewEntry("acct-1", None, "Acme"),
        NewEntry("acct-2", None, "Globex"),
    ]
    assert parse_entries("Email;Reference\nzoom.user@example.com;Acme\n") == [
        NewEntry(None, "zoom.user@example.com", "Acme")
    ]


def test_a_byte_order_mark_and_an_over_long_cell() -> None:
    assert parse_entries("\ufeffacct-1,Acme\n") == [NewEntry("acct-1", None, "Acme")]
    with pytest.raises(QueueImportError) as long:
        parse_entries("acct-1,Acme\nacct-2," + "x" * 200_000 + "\n")
    assert long.value.problems[0][0] == 2 and "too long" in long.value.problems[0][1]


def test_what_is_not_utf_8_says_how_to_save_it() -> None:
    from wizard.store.queue import decode_import

    assert decode_import("\ufeffÄrzte,acct".encode(), "x.csv") == "Ärzte,acct"
    with pytest.raises(ValueError, match="save it as 'CSV UTF-8'") as bad:
        decode_import("Ärzte GmbH".encode("latin-1"), "What came on standard input")
    assert "codec" not in str(bad.value)
