"""`zoom-onboard history`'s table written by SQLite (wizard/cli/history_table.py) is the
general command's table, byte for byte, and printing it imports only what printing needs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.helpers.cli import cli_env, python
from wizard.cli import history_table
from wizard.store.history import History
from wizard.store.paths import AppPaths

# The general command, as `zoom-onboard history ARGS` ran before the table was SQLite's.
GENERAL = (
    "import sys\n"
    "from wizard.cli.output import utf8_when_redirected\n"
    "from wizard.cli.parser import build_parser\n"
    "from wizard.cli.history_cmd import run_history\n"
    "utf8_when_redirected()\n"
    "sys.exit(run_history(build_parser().parse_args(sys.argv[1:])))\n"
)

ROWS = [
    # created_at, profile, region, account_id, customer, grant_id, email, status, verified,
    # operator, api, practice
    ("2026-12-01T05:00:00.000000+00:00", "Acme", "us", "acct-1", None, "g-1", "a@example.com",
     "valid", 1, "op", "connect", 0),
    ("2026-12-01T05:00:00.000000+00:00", "", "eu", "", "Ärzte am Fluß 🦷", "g-2", None, None,
     None, "opérateur", "v3", 0),
    ("2026-03-08T05:40:00.000000+00:00", "", "sandbox", "", "practice", "g-3", "p@example.com",
     "valid", 0, "op", "v3", 1),
    ("2026-03-29T01:00:00.000000+00:00", "Acme", "us", "acct-2", "x" * 300, "g-4" * 40, "",
     "invalid", 2, "op\u00a0 ", "connect", 0),
    ("2026-02-30T05:00:00.000000+00:00", "Acme", "us", "acct-1", None, "g-5", None, None, None,
     "op", "connect", 0),
    ("not a time", "Acme", "us", "acct-3", None, "g-6", None, None, None, "", "connect", 0),
    ("1969-07-20T20:17:40.000000+00:00", "Ünïcode", "us", "acct-1", "   ", "g-7", "  ",
     "deleted", 1, "op", "connect", 5),
    ("2026-12-01T05:00:00.000000+05:30", "Acme", "us", "acct-2", None, "g-8", None, None, None,
     "op", "connect", 0),
    ("2026-12-01T05:00:59.999999+00:00", "Acme", "us", "acct-1", "=cmd", "g-9", None, None,
     None, "\u3000", "connect", 0),
]  # fmt: skip
FORMS = [
    [],
    ["--include-practice"],
    ["--account-id", "acct-1"],
    ["--account-id=acct-2", "--include-practice"],
    ["--account-id", "nobody"],
]


def _fill(paths: AppPaths) -> None:
    History(paths.history_db, paths.history_fallback).record_grant(
        profile="first", region="us", account_id="acct-0", integration_id="i", grant_id="g-0"
    )
    with sqlite3.connect(paths.history_db) as conn:
        conn.executemany(
            "INSERT INTO grants (created_at, profile, region, account_id, customer, grant_id, "
            "email, grant_status, verified, operator, api, practice) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ROWS,
        )


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/St_Johns"])
def test_the_fast_table_is_the_general_table(paths: AppPaths, tmp_path: Path, zone: str) -> None:
    _fill(paths)
    env = cli_env(tmp_path, TZ=zone)
    for form in FORMS:
        fast = python("-m", "wizard", "history", *form, env=env)
        general = python("-c", GENERAL, "history", *form, env=env)
        assert (fast.returncode, fast.stdout, fast.stderr) == (
            general.returncode,
            general.stdout,
            general.stderr,
        ), form
    # The forms above were SQLite's: the table came without the store's read path.
    assert history_table.print_fast_table([]) is not None


@pytest.mark.parametrize(
    "form",
    [["--csv"], ["--json"], ["-h"], ["--include"], ["--account-id", "-x"], ["--reconcile"]],
)
def test_other_forms_are_the_general_commands(paths: AppPaths, form: list[str]) -> None:
    _fill(paths)
    assert history_table.print_fast_table(form) is None


def test_anything_to_say_about_the_history_is_the_general_commands(
    paths: AppPaths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert history_table.print_fast_table([]) is None  # no database: "No grants recorded yet."
    _fill(paths)
    with sqlite3.connect(paths.history_db) as conn:  # an unreadable row: worded, exit 1
        conn.execute("UPDATE grants SET email = x'00ff' WHERE grant_id = 'g-1'")
    assert history_table.print_fast_table([]) is None
    with sqlite3.connect(paths.history_db) as conn:
        conn.execute("UPDATE grants SET email = 'a' || char(0) || 'b' WHERE grant_id = 'g-1'")
    assert history_table.print_fast_table([]) is None  # a NUL: SQLite's printf stops at it
    with sqlite3.connect(paths.history_db) as conn:
        conn.execute("UPDATE grants SET email = NULL WHERE grant_id = 'g-1'")
    paths.history_fallback.write_text("{}\n", encoding="utf-8")  # grants in the journal
    assert history_table.print_fast_table([]) is None
    paths.history_fallback.unlink()
    assert history_table.print_fast_table(["--account-id", "nobody"]) is None  # none of his
    assert capsys.readouterr().out == ""  # nothing printed by the ones that declined
    assert history_table.print_fast_table([]) == 0
    assert "g-0" in capsys.readouterr().out


def test_the_table_says_the_practice_grants_it_leaves_out(
    paths: AppPaths, capsys: pytest.CaptureFixture[str]
) -> None:
    _fill(paths)
    assert history_table.print_fast_table([]) == 0
    err = capsys.readouterr().err
    assert err == history_table.practice_note(2) + "\n"


def test_printing_the_history_imports_only_what_printing_needs(
    paths: AppPaths, tmp_path: Path
) -> None:
    _fill(paths)
    code = (
        "import sys\n"
        "from wizard.cli.main import main\n"
        "assert main(['history']) == 0\n"
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = python("-c", code, env=cli_env(tmp_path))
    assert done.returncode == 0, done.stderr
    loaded = set(done.stderr.split())
    heavy = {
        "argparse",
        "asyncio",
        "httpx",
        "keyring",
        "logging",
        "platformdirs",
        "pydantic",
        "PySide6",
        "wizard.cli.parser",
        "wizard.store.history",
        "wizard.logs",
    }
    assert loaded & heavy == set()


def test_an_sqlite_older_than_3_30_gets_the_general_command(
    paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(paths)
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 29, 0))
    assert history_table.print_fast_table([]) is None
