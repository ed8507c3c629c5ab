"""History: grants survive a damaged, read-only or busy database, crashes and concurrent writers."""

from __future__ import annotations

import csv
import datetime
import io
import json
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from tests.helpers.cli import python
from wizard.flow import CustomerAccount
from wizard.flow.onboarding import GrantRecorder, OnboardingResult
from wizard.store import database
from wizard.store.authorizations import AuthorizationStart
from wizard.store.database import SCHEMA_VERSION
from wizard.store.history import (
    GrantQuery,
    History,
    PendingAuthorization,
    write_csv,
)
from wizard.store.paths import AppPaths
from wizard.store.recorder import HistoryRecorder


@pytest.fixture
def history(paths: AppPaths) -> History:
    return History(paths.history_db, paths.history_fallback)


def _record(history: History, grant_id: str, account_id: str = "acct-1", **kw: str) -> None:
    history.record_grant(
        profile=kw.get("profile", "Acme"),
        region=kw.get("region", "us"),
        account_id=account_id,
        integration_id=kw.get("integration_id", "int-1"),
        grant_id=grant_id,
    )


def _v3_grant(history: History, grant_id: str, customer: str, **kw: str | bool) -> None:
    """A v3 grant (no account id, a customer reference), as the wizard records one."""
    history.record_grant(
        profile="",
        region=str(kw.get("region", "us")),
        account_id="",
        integration_id=None,
        grant_id=grant_id,
        api="v3",
        customer=customer,
        practice=bool(kw.get("practice", False)),
    )


def _db_grant_ids(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT grant_id FROM grants ORDER BY id")]


# -- the normal path -------------------------------------------------------------------------


def test_record_then_verify(history: History, paths: AppPaths) -> None:
    _record(history, "grant-1")
    [captured] = history.records()
    assert captured.id is not None
    assert (captured.profile, captured.region, captured.account_id) == ("Acme", "us", "acct-1")
    assert (captured.integration_id, captured.grant_id) == ("int-1", "grant-1")
    assert (captured.email, captured.grant_status, captured.verified) == (None, None, None)
    assert captured.operator
    created = datetime.datetime.fromisoformat(captured.created_at)
    assert created.utcoffset() == datetime.timedelta(0)
    assert abs(datetime.datetime.now(datetime.UTC) - created) < datetime.timedelta(minutes=1)

    history.update_verification(
        "grant-1", email="u@example.com", grant_status="valid", verified=True
    )
    [verified] = History(paths.history_db, paths.history_fallback).records()
    assert (verified.email, verified.grant_status, verified.verified) == (
        "u@example.com",
        "valid",
        True,
    )
    assert verified.created_at == captured.created_at
    assert history.problems == []
    assert not paths.history_fallback.exists()


def test_schema_is_versioned_and_uses_wal(history: History, paths: AppPaths) -> None:
    _record(history, "g")
    with sqlite3.connect(paths.history_db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_operator_falls_back_to_unknown(history: History, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_user() -> str:
        raise OSError("no login name")

    monkeypatch.setattr("wizard.store.history.getpass.getuser", no_user)
    _record(history, "g")
    assert history.records()[0].operator == "unknown"


def test_verification_updates_only_the_newest_record_of_a_grant(history: History) -> None:
    _record(history, "same-grant")
    _record(history, "same-grant")  # re-authorised: Nylas kept the grant id
    history.update_verification("same-grant", email="a@b.co", grant_status="valid", verified=True)
    newest, oldest = history.records()
    assert newest.verified is True
    assert oldest.verified is None


def test_records_are_newest_first_and_filtered(history: History) -> None:
    _record(history, "g1", "acct-a")
    _record(history, "g2", "acct-b", profile="Globex")
    _record(history, "g3", "acct-a")
    history.update_verification(
        "g1", email="Someone@Example.com", grant_status="valid", verified=True
    )
    assert [r.grant_id for r in history.records()] == ["g3", "g2", "g1"]
    assert [r.grant_id for r in history.records(account_id="acct-a")] == ["g3", "g1"]
    assert [r.grant_id for r in history.records(text="someone@example")] == ["g1"]
    assert [r.grant_id for r in history.records(text="GLOBEX")] == ["g2"]
    assert [r.grant_id for r in history.records(limit=2)] == ["g3", "g2"]
    assert [r.grant_id for r in history.records(text="acct", limit=1)] == ["g3"]
    assert history.records(account_id="nobody") == []


def test_one_search_rule_for_the_window_and_the_command_beyond_ascii(history: History) -> None:
    # SQLite's lower() folds ASCII only: the window's search (query, count) missed "Ärzte".
    _v3_grant(history, "g-aerzte", "Ärzte GmbH #12")
    _v3_grant(history, "g-strasse", "Straße AG")
    for needle, expected in (
        ("ärzte", ["g-aerzte"]),
        ("ÄRZTE", ["g-aerzte"]),
        ("strasse", ["g-strasse"]),
    ):
        assert [r.grant_id for r in history.records(text=needle)] == expected
        assert [r.grant_id for r in history.page(GrantQuery(text=needle))] == expected
        listing = history.listing(GrantQuery(text=needle))
        assert (listing.total, listing.hidden) == (len(expected), 0)


def test_reading_never_creates_files(history: History, paths: AppPaths) -> None:
    assert history.records() == []
    assert not paths.data_dir.exists()


def test_recorder_implements_the_flows_protocol(history: History) -> None:
    import asyncio

    recorder: GrantRecorder = HistoryRecorder(
        history, profile="Acme", region="eu", integration_id="int-9"
    )

    async def flow() -> None:
        await recorder.grant_captured("grant-r", "zoom", CustomerAccount("acct-r"))
        await recorder.grant_verified(
            OnboardingResult(
                grant_id="grant-r",
                provider="zoom",
                account_id="acct-r",
                email="r@example.com",
                grant_status="valid",
                verified=True,
            )
        )

    asyncio.run(flow())
    [record] = history.records()
    assert (record.profile, record.region, record.integration_id) == ("Acme", "eu", "int-9")
    assert (record.account_id, record.grant_id, record.verified) == ("acct-r", "grant-r", True)
    assert record.email == "r@example.com"


# -- concurrency and crashes -----------------------------------------------------------------


def test_concurrent_threads(history: History, paths: AppPaths) -> None:
    threads_count, each = 8, 15

    def writer(n: int) -> None:
        for i in range(each):
            _record(history, f"t{n}-{i}", f"acct-{n}")
            history.update_verification(
                f"t{n}-{i}", email=None, grant_status="valid", verified=True
            )

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records = history.records()
    assert len(records) == threads_count * each
    assert all(r.verified for r in records)
    assert history.problems == []
    assert not paths.history_fallback.exists()  # all of them made it into the database


_WRITER = textwrap.dedent("""
    import sys, time
    from wizard.store.history import History
    from wizard.store.paths import AppPaths
    paths = AppPaths.default()
    history = History(paths.history_db, paths.history_fallback)
    start = float(sys.argv[2])
    while time.time() < start:  # start together, so the writes really overlap
        time.sleep(0.001)
    for i in range(int(sys.argv[3])):
        history.record_grant(profile="p", region="us", account_id="acct-" + sys.argv[1],
                             integration_id=None, grant_id=f"p{sys.argv[1]}-{i}")
    print("\\n".join(history.problems))
""")


def test_concurrent_processes(paths: AppPaths) -> None:
    import time

    processes_count, each = 4, 20
    start = time.time() + 1.5  # leaves time for the interpreters to start
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(n), str(start), str(each)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(processes_count)
    ]
    outputs = [p.communicate(timeout=60) for p in processes]
    assert [p.returncode for p in processes] == [0] * processes_count, outputs
    assert all(out.strip() == "" for out, _ in outputs), outputs  # no problems anywhere
    expected = {f"p{n}-{i}" for n in range(processes_count) for i in range(each)}
    assert set(_db_grant_ids(paths.history_db)) == expected
    assert not paths.history_fallback.exists()
    listed = History(paths.history_db, paths.history_fallback).records()
    assert {r.grant_id for r in listed} == expected


@pytest.mark.posix_only  # SIGKILL
def test_a_grant_survives_sigkill_right_after_recording(paths: AppPaths) -> None:
    script = textwrap.dedent("""
        import os, signal
        from wizard.store.history import History
        from wizard.store.paths import AppPaths
        paths = AppPaths.default()
        History(paths.history_db, paths.history_fallback).record_grant(
            profile="p", region="us", account_id="a", integration_id=None, grant_id="killed")
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert result.returncode == -signal.SIGKILL
    assert _db_grant_ids(paths.history_db) == ["killed"]


# -- when the database cannot be written -----------------------------------------------------


def _assert_fell_back(history: History, paths: AppPaths, wording: str) -> None:
    _record(history, "grant-fb", "acct-fb")
    history.update_verification(
        "grant-fb", email="fb@example.com", grant_status="valid", verified=True
    )
    [record] = history.records()
    assert (record.grant_id, record.account_id, record.id) == ("grant-fb", "acct-fb", None)
    assert (record.email, record.verified) == ("fb@example.com", True)
    problem = history.problems[0]  # then, if reading failed too, a note saying so
    assert wording in problem
    assert str(paths.history_db) in problem
    assert f"grants are being written to {paths.history_fallback} instead" in problem
    lines = [json.loads(line) for line in paths.history_fallback.read_text().splitlines()]
    assert [line["type"] for line in lines] == ["grant", "verification"]
    # A new History (the next start of the app) still lists it, and says why.
    again = History(paths.history_db, paths.history_fallback)
    assert [r.grant_id for r in again.records()] == ["grant-fb"]
    assert any(str(paths.history_fallback) in p for p in again.problems)


def test_database_path_unusable_falls_back(history: History, paths: AppPaths) -> None:
    # Tests run as root, where chmod does not stop writes: a folder in the database's place
    # cannot be opened as a database by anyone.
    paths.history_db.mkdir(parents=True)
    _assert_fell_back(history, paths, "cannot be opened")


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() == 0,
    reason="chmod does not stop root (or Windows) from writing",
)
def test_read_only_database_falls_back(history: History, paths: AppPaths) -> None:
    _record(history, "before")
    os.chmod(paths.history_db, 0o400)
    os.chmod(paths.data_dir, 0o500)
    try:
        history.problems.clear()
        _record(history, "grant-ro")
        assert "read-only" in history.problems[0] or "cannot be opened" in history.problems[0]
        assert {r.grant_id for r in history.records()} == {"before", "grant-ro"}
    finally:
        os.chmod(paths.data_dir, 0o700)
        os.chmod(paths.history_db, 0o600)


def test_read_only_error_is_explained(
    history: History, paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What SQLite raises for a read-only file, as seen when not running as root.
    def read_only(conn: sqlite3.Connection, entry: object) -> None:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr("wizard.store.grants.insert", read_only)
    _record(history, "g")
    assert history.problems == [
        f"The history database {paths.history_db} is read-only; grants are being written to "
        f"{paths.history_fallback} instead."
    ]
    assert [r.grant_id for r in history.records()] == ["g"]


def test_corrupt_database_falls_back_and_is_kept(history: History, paths: AppPaths) -> None:
    garbage = os.urandom(8192)
    paths.data_dir.mkdir(parents=True)
    paths.history_db.write_bytes(garbage)
    _assert_fell_back(history, paths, "is damaged")
    assert paths.history_db.read_bytes() == garbage  # evidence kept for an engineer


def test_database_from_a_newer_version_is_not_written(history: History, paths: AppPaths) -> None:
    _record(history, "old")
    with sqlite3.connect(paths.history_db) as conn:
        conn.execute("PRAGMA user_version = 99")
    _record(history, "new")
    assert "newer version" in history.problems[0]
    assert _db_grant_ids(paths.history_db) == ["old"]
    assert [r.grant_id for r in history.records()] == ["new", "old"]


def test_locked_database_falls_back_after_the_busy_timeout(
    history: History, paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "BUSY_TIMEOUT_SECONDS", 0.2)
    _record(history, "first")
    blocker = sqlite3.connect(paths.history_db, isolation_level=None)
    try:
        blocker.execute("BEGIN EXCLUSIVE")
        _record(history, "while-locked")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert "locked by another program" in history.problems[0]
    assert {r.grant_id for r in history.records()} == {"first", "while-locked"}


def test_database_fixed_later_lists_both_sources(history: History, paths: AppPaths) -> None:
    paths.history_db.mkdir(parents=True)
    _record(history, "during-outage")
    paths.history_db.rmdir()  # someone repaired it
    _record(history, "after-repair")
    history.update_verification("during-outage", email=None, grant_status="valid", verified=True)
    listed = {r.grant_id: r for r in history.records()}
    assert set(listed) == {"during-outage", "after-repair"}
    assert listed["during-outage"].verified is True
    assert listed["after-repair"].id is not None
    assert _db_grant_ids(paths.history_db) == ["after-repair"]


def test_torn_fallback_line_does_not_swallow_the_next_grant(
    history: History, paths: AppPaths
) -> None:
    paths.history_db.mkdir(parents=True)
    paths.history_fallback.write_text('{"type": "grant", "created_at": "2024')  # cut by a crash
    _record(history, "after-crash")
    assert [r.grant_id for r in history.records()] == ["after-crash"]
    assert any("1 line(s)" in p for p in history.problems)


def test_when_nothing_can_be_written_it_still_does_not_raise(
    history: History, paths: AppPaths, caplog: pytest.LogCaptureFixture
) -> None:
    paths.history_db.mkdir(parents=True)
    paths.history_fallback.mkdir(parents=True)
    with caplog.at_level(logging.ERROR, logger="wizard.store.history"):
        _record(history, "grant-lost-7", "acct-7")
        history.update_verification("grant-lost-7", email=None, grant_status=None, verified=False)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("grant-lost-7" in m and "acct-7" in m for m in errors)
    assert any("grant-lost-7" in p and "copy it now" in p for p in history.problems)


# -- CSV and the command ---------------------------------------------------------------------


def test_csv_reads_back(history: History) -> None:
    _record(history, "g1", "acct-1")
    _record(history, "g2", "acct-2", integration_id="")
    history.update_verification("g1", email="=cmd@example.com", grant_status="valid", verified=True)
    out = io.StringIO()
    write_csv(history.records(), out)
    out.seek(0)
    reader = csv.DictReader(out)
    assert reader.fieldnames == [
        "api",
        "region",
        "practice",
        "id",
        "created_at",
        "profile",
        "account_id",
        "customer",
        "login_hint",
        "integration_id",
        "grant_id",
        "email",
        "grant_status",
        "verified",
        "note",
        "operator",
    ]
    rows = list(reader)
    assert [row["grant_id"] for row in rows] == ["g2", "g1"]
    assert rows[1]["verified"] == "true"
    assert rows[0]["verified"] == ""
    assert rows[1]["email"] == "'=cmd@example.com"  # not run as a formula by a spreadsheet
    assert rows[1]["created_at"] == history.records()[1].created_at
    assert rows[1]["id"].isdigit()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return python("-m", "wizard", *args)


def test_history_command_table_and_csv(history: History, paths: AppPaths) -> None:
    empty = _cli("history")
    assert empty.returncode == 0
    assert "No grants recorded yet." in empty.stdout

    _record(history, "grant-aaa", "acct-1")
    _record(history, "grant-bbb", "acct-2")
    history.update_verification(
        "grant-aaa", email="a@example.com", grant_status="valid", verified=True
    )
    table = _cli("history")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == [
        "API",
        "Region",
        "When",
        "(local",
        "time)",
        "Account",
        "/",
        "customer",
        "Grant",
        "id",
        "Zoom",
        "user",
        "Status",
        "Verified",
        "Profile",
        "Operator",
    ]
    assert "grant-bbb" in lines[2] and "grant-aaa" in lines[3]  # newest first
    assert "a@example.com" in lines[3] and "yes" in lines[3]

    only = _cli("history", "--csv", "--account-id", "acct-1")
    assert only.returncode == 0, only.stderr
    rows = list(csv.DictReader(io.StringIO(only.stdout)))
    assert [(r["account_id"], r["grant_id"], r["email"]) for r in rows] == [
        ("acct-1", "grant-aaa", "a@example.com"),
    ]


def test_history_command_reports_problems_on_stderr(history: History, paths: AppPaths) -> None:
    paths.data_dir.mkdir(parents=True)
    paths.history_db.write_bytes(b"this is not a database" * 100)
    _record(history, "grant-ccc")
    result = _cli("history")
    assert result.returncode == 0
    assert "grant-ccc" in result.stdout
    assert str(paths.history_fallback) in result.stderr
    assert "could not be read" in result.stderr


# -- one bad row never hides the rest ------------------------------------------------------


def test_a_deeply_nested_fallback_line_is_skipped_with_its_line_number(
    history: History, paths: AppPaths
) -> None:
    _record(history, "grant-db")
    good = {
        "type": "grant",
        "created_at": "2026-12-01T10:00:00.000000+00:00",
        "profile": "Acme",
        "region": "us",
        "account_id": "acct-2",
        "integration_id": None,
        "grant_id": "grant-file",
        "operator": "op",
    }
    paths.history_fallback.write_text(
        json.dumps(good) + "\n" + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8"
    )
    records = history.records()
    assert {r.grant_id for r in records} == {"grant-db", "grant-file"}
    assert history.skipped == 1
    assert any("line 2" in p and "Unreadable, skipped" in p for p in history.problems)


def _grant_2_and_unreadable_grant_1(history: History, paths: AppPaths) -> int:
    """Two grants; the first's row made unreadable (its id)."""
    _record(history, "grant-1")
    _record(history, "grant-2")
    with sqlite3.connect(paths.history_db) as conn:
        # TEXT affinity turns a number into text; a blob stays a blob.
        conn.execute("UPDATE grants SET created_at = x'00ff' WHERE grant_id = 'grant-1'")
        (bad_id,) = conn.execute("SELECT id FROM grants WHERE grant_id = 'grant-1'").fetchone()
    return int(bad_id)


def test_a_database_row_of_the_wrong_type_is_skipped_with_its_id(
    history: History, paths: AppPaths
) -> None:
    bad_id = _grant_2_and_unreadable_grant_1(history, paths)
    records = history.records()
    assert [r.grant_id for r in records] == ["grant-2"]
    assert history.skipped == 1
    assert any(f"id {bad_id}" in p for p in history.problems)
    # The next read starts afresh: a repaired row is listed and no stale note stays.
    with sqlite3.connect(paths.history_db) as conn:
        conn.execute("UPDATE grants SET created_at = '2026-12-01T10:00:00.000000+00:00'")
    assert len(history.records()) == 2 and history.skipped == 0
    assert not any("Unreadable" in p for p in history.problems)


def test_the_history_command_lists_the_rest_and_exits_1_when_it_skipped(
    history: History, paths: AppPaths
) -> None:
    _grant_2_and_unreadable_grant_1(history, paths)
    home = {**os.environ, "ZOOM_ONBOARD_HOME": str(paths.config_dir.parent)}
    done = python("-m", "wizard", "history", env=home)
    assert done.returncode == 1, done.stderr
    assert "grant-2" in done.stdout and "grant-1" not in done.stdout
    assert "Unreadable, skipped" in done.stderr and "Traceback" not in done.stderr


def test_practice_grants_are_listed_only_when_asked_and_marked(
    history: History, paths: AppPaths
) -> None:
    _record(history, "grant-real", "acct-1")
    _v3_grant(history, "grant-practice", "Training #1", region="sandbox", practice=True)
    plain = _cli("history")
    assert "grant-real" in plain.stdout and "grant-practice" not in plain.stdout
    assert "1 practice grant(s)" in plain.stderr and "--include-practice" in plain.stderr
    both = _cli("history", "--include-practice")
    line = next(x for x in both.stdout.splitlines() if "grant-practice" in x)
    assert line.split()[:2] == ["v3", "sandbox"] and "(practice)" in line and "Training" in line
    exported = _cli("history", "--csv", "--include-practice")
    rows = {r["grant_id"]: r for r in csv.DictReader(io.StringIO(exported.stdout))}
    assert rows["grant-practice"]["practice"] != rows["grant-real"]["practice"]


def test_the_tables_local_time_is_the_operators_clock_across_a_dst_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time as time_module

    from wizard.store.grant_columns import LocalTime

    monkeypatch.setenv("TZ", "Europe/Berlin")
    time_module.tzset()
    try:
        local = LocalTime()
        for iso in (
            "2026-03-29T00:59:59.000000+00:00",  # before the change: +01:00
            "2026-03-29T01:00:00.000000+00:00",  # after: +02:00
            "2026-10-25T00:30:00.123456+00:00",
        ):
            expected = (
                datetime.datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S")
            )
            assert local(iso) == expected
        assert local("not a time") == "not a time"
    finally:
        monkeypatch.delenv("TZ")
        time_module.tzset()


def test_a_deleted_grant_says_so_in_every_record_and_in_the_csv(history: History) -> None:
    _record(history, "gone")
    _record(history, "gone")  # renewed later: the same grant id, a second onboarding
    _record(history, "kept")
    for grant_id in ("gone", "kept"):
        history.update_verification(
            grant_id, email="u@example.com", grant_status="valid", verified=True
        )
    words = history.mark_deleted("gone")
    assert words.startswith("deleted on Nylas ") and socket.gethostname() in words
    by_id = [(r.grant_id, r.grant_status, r.note) for r in history.records()]
    assert by_id == [
        ("kept", "valid", None),
        ("gone", "deleted", words),
        ("gone", "deleted", words),
    ]
    out = io.StringIO()
    write_csv(history.records(), out)
    assert out.getvalue().count(",deleted,") == 2 and "valid,true" in out.getvalue()


# -- one select path over the database and the fallback journal -----------------------------


def _journal_grant(paths: AppPaths, grant_id: str, created_at: str, **kw: object) -> None:
    line = {
        "type": "grant",
        "created_at": created_at,
        "profile": "Acme",
        "region": "us",
        "account_id": kw.pop("account_id", "acct-j"),
        "integration_id": None,
        "grant_id": grant_id,
        "operator": "op",
        **kw,
    }
    with paths.history_fallback.open("a", encoding="utf-8") as f:
        f.write(json.dumps(line) + "\n")


def _db_grant(paths: AppPaths, history: History, grant_id: str, created_at: str) -> None:
    _record(history, grant_id, f"acct-{grant_id}")
    with sqlite3.connect(paths.history_db) as conn:
        conn.execute("UPDATE grants SET created_at = ? WHERE grant_id = ?", (created_at, grant_id))


def test_journal_grants_are_sorted_and_paged_with_the_databases(
    history: History, paths: AppPaths
) -> None:
    _db_grant(paths, history, "db-old", "2026-01-01T10:00:00.000000+00:00")
    _db_grant(paths, history, "db-new", "2026-01-03T10:00:00.000000+00:00")
    _journal_grant(paths, "journal-mid", "2026-01-02T10:00:00.000000+00:00", account_id="acct-0")
    newest_first = GrantQuery()
    assert [r.grant_id for r in history.page(newest_first)] == ["db-new", "journal-mid", "db-old"]
    # The window's second page starts where the first ended, the journal's grant counted once.
    pages = [history.page(newest_first, offset=n, limit=1) for n in range(3)]
    assert [r.grant_id for page in pages for r in page] == ["db-new", "journal-mid", "db-old"]
    by_account = GrantQuery(order_by="account_id", descending=False)
    assert history.page(by_account)[0].grant_id == "journal-mid"
    listing = history.listing(GrantQuery(text="JOURNAL"), limit=1)
    assert [r.grant_id for r in listing.records] == ["journal-mid"] and listing.total == 1


def test_a_verification_in_the_journal_completes_the_databases_record_everywhere(
    history: History, paths: AppPaths
) -> None:
    _record(history, "g-locked-later")
    with paths.history_fallback.open("a", encoding="utf-8") as f:  # the database was locked
        f.write(
            json.dumps(
                {
                    "type": "verification",
                    "grant_id": "g-locked-later",
                    "email": "Über@example.com",
                    "grant_status": "valid",
                    "verified": True,
                }
            )
            + "\n"
        )
    history = History(paths.history_db, paths.history_fallback)
    for found in (
        history.records(),
        history.page(GrantQuery()),  # the window's pages
        history.page(GrantQuery(text="über@")),  # and its filter, on the journal's value
    ):
        assert [(r.grant_id, r.verified, r.id is not None) for r in found] == [
            ("g-locked-later", True, True)
        ]
    assert history.listing(GrantQuery()).total == 1  # one grant, not two


def test_the_journals_grants_are_searched_by_the_same_rule_beyond_ascii(
    history: History, paths: AppPaths
) -> None:
    paths.history_db.mkdir(parents=True)  # nothing goes to the database
    _v3_grant(history, "g-aerzte", "Ärzte GmbH", practice=True)
    for needle in ("ärzte", "ÄRZTE"):
        assert [r.grant_id for r in history.records(text=needle)] == ["g-aerzte"]
        hidden = history.listing(GrantQuery(text=needle, include_practice=False))
        assert (hidden.records, hidden.total, hidden.hidden) == ([], 0, 1)


# -- a late grant: one transaction ------------------------------------------------------------


def _open_authorization(history: History) -> PendingAuthorization:
    auth_id = history.begin_authorization(
        AuthorizationStart(
            api="v3",
            region="us",
            profile="Acme",
            integration_id=None,
            account_id=None,
            customer="Late GmbH",
            login_hint="late@example.com",
            expires_at=9e9,
            state_sha256="0" * 64,
            practice=False,
        )
    )
    (auth,) = history.open_authorizations()
    assert auth.id == auth_id
    return auth


def _late(history: History, auth: PendingAuthorization) -> bool:
    return history.record_late_grant(
        auth,
        grant_id="g-late",
        account_id="",
        email="late@example.com",
        grant_status="valid",
        verified=True,
        note="found later",
    )


def test_a_late_grant_that_cannot_be_written_leaves_its_authorization_open(
    history: History, paths: AppPaths
) -> None:
    auth = _open_authorization(history)
    with sqlite3.connect(paths.history_db) as conn:  # the grant's insert fails, after the claim
        conn.execute(
            "CREATE TRIGGER no_grants BEFORE INSERT ON grants BEGIN SELECT RAISE(ABORT, 'disk "
            "trouble'); END"
        )
    assert _late(history, auth) is False
    assert history.open_authorizations() == [auth]  # not closed without its grant
    assert history.records() == [] and not paths.history_fallback.exists()
    with sqlite3.connect(paths.history_db) as conn:
        conn.execute("DROP TRIGGER no_grants")
    assert _late(history, auth) is True  # the next check records it, whole
    (record,) = history.records()
    assert (record.grant_id, record.customer, record.verified) == ("g-late", "Late GmbH", True)
    assert (record.email, record.note) == ("late@example.com", "found later")
    assert history.open_authorizations() == []
    assert _late(history, auth) is False and len(history.records()) == 1  # closed: once


# -- the column table -------------------------------------------------------------------------


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])  # tabs and CRs are not imported
def test_both_csv_exports_guard_every_formula_start(
    history: History, paths: AppPaths, start: str
) -> None:
    from wizard.store.queue import WorkQueue, write_queue_csv

    history.record_grant(
        profile=f"{start}profile",
        region="us",
        account_id="acct-1",
        integration_id=None,
        grant_id="g",
        customer=f"{start}1+1",
    )
    queue = WorkQueue(paths.history_db)
    queue.import_text(f"acct-1,{start}1+1", practice=False)
    grants_csv, queue_csv = io.StringIO(), io.StringIO()
    write_csv(history.records(), grants_csv)
    write_queue_csv(queue.entries(practice=False), queue_csv)
    (grant,) = csv.DictReader(io.StringIO(grants_csv.getvalue()))
    (entry,) = csv.DictReader(io.StringIO(queue_csv.getvalue()))
    assert grant["customer"] == entry["customer"] == f"'{start}1+1"
    assert grant["profile"] == f"'{start}profile"


def test_the_csv_header_is_the_records_fields_and_the_command_shows_the_windows_headers(
    history: History,
) -> None:
    import dataclasses

    from wizard.cli.history_cmd import print_table
    from wizard.store.grant_columns import HEADERS

    _record(history, "g1")
    out = io.StringIO()
    write_csv(history.records(), out)
    fields = [f.name for f in dataclasses.fields(history.records()[0])]
    assert out.getvalue().splitlines()[0].split(",") == fields
    table = io.StringIO()
    print_table(history.records(), table)
    header, rule = table.getvalue().splitlines()[:2]
    starts = [0] + [i + 2 for i, c in enumerate(rule) if rule[i : i + 3] == "-  "]
    cells = [header[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]
    assert tuple(cells) == HEADERS
