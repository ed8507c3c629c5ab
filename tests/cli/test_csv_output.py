"""CSV and text on Windows' standard output, imitated: a redirected stdout there is a text stream
in the ANSI code page (cp1252) that turns every "\\n" into "\\r\\n" (newline="\\r\\n" here does the
same on Linux). The rows must still end "\\r\\n" once, every name must survive, and a new file
(the one Excel opens) starts with a byte-order mark."""

from __future__ import annotations

import argparse
import asyncio
import codecs
import csv
import io
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, BinaryIO

import pytest

from tests.helpers.cli import cli_env
from tests.helpers.store import record_v3_grant
from wizard.store.grant_listing import ListedGrant
from wizard.store.history import History
from wizard.store.paths import AppPaths
from wizard.store.queue import WorkQueue

# Outside cp1252: Polish, Czech, Japanese, and an emoji.
NAME = "Łódź Zoë Dvořák 株式会社 🙂"


def windows_stdout(raw: BinaryIO) -> io.TextIOWrapper:
    """What Python gives a Windows program whose stdout is redirected (no UTF-8 mode)."""
    return io.TextIOWrapper(raw, encoding="cp1252", newline="\r\n")


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppPaths:
    monkeypatch.setenv("ZOOM_ONBOARD_HOME", str(tmp_path))
    return AppPaths.default()


def _history_csv(paths: AppPaths, monkeypatch: pytest.MonkeyPatch, raw: BinaryIO) -> None:
    from wizard.cli.history_cmd import run_history

    record_v3_grant(History(paths.history_db, paths.history_fallback), "g-1", NAME)
    out = windows_stdout(raw)
    monkeypatch.setattr(sys, "stdout", out)
    assert run_history(argparse.Namespace(csv=True)) == 0
    out.flush()


def _rows(data: bytes) -> list[dict[str, str]]:
    text = data.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_history_csv_into_a_windows_pipe_is_utf8_with_single_crlf(
    paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = io.BytesIO()
    _history_csv(paths, monkeypatch, raw)
    data = raw.getvalue()
    assert not data.startswith(codecs.BOM_UTF8)  # a pipe: the next program reads plain UTF-8
    assert b"\r\r\n" not in data
    assert data.count(b"\r\n") == 2  # the header and the one row
    assert _rows(data)[0]["customer"] == NAME


def test_history_csv_into_a_new_file_starts_with_a_bom_for_excel(
    paths: AppPaths, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    target = tmp_path / "grants.csv"
    with target.open("wb") as raw:  # `history --csv > grants.csv`
        _history_csv(paths, monkeypatch, raw)
    data = target.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    assert b"\r\r\n" not in data
    assert _rows(data)[0]["customer"] == NAME


def test_queue_list_csv_into_a_windows_pipe(
    paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wizard.cli.queue_cmd import _list

    queue = WorkQueue(paths.history_db)
    queue.import_text(f"acct-1,{NAME}\nacct-2,plain\n", practice=False)
    raw = io.BytesIO()
    out = windows_stdout(raw)
    monkeypatch.setattr(sys, "stdout", out)
    assert _list(queue, False, as_csv=True, as_json=False) == 0
    out.flush()
    data = raw.getvalue()
    assert b"\r\r\n" not in data and data.count(b"\r\n") == 3
    assert [row["customer"] for row in _rows(data)] == [NAME, "plain"]


class _OnePage:
    async def page(self, cursor: object = None) -> Any:
        grant = ListedGrant("g-1", "valid", "zoe@example.com", None, 0, 0, customer=NAME)
        return SimpleNamespace(grants=[grant], next=None)


def test_grants_csv_into_a_windows_pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    from wizard.cli.grants_cmd import _list
    from wizard.target import Target

    raw = io.BytesIO()
    out = windows_stdout(raw)
    monkeypatch.setattr(sys, "stdout", out)
    args = argparse.Namespace(csv=True, json=False, status=None)
    target = Target.of("v3", "us", None)
    assert asyncio.run(_list(args, _OnePage(), target)) == 0  # type: ignore[arg-type]
    out.flush()
    data = raw.getvalue()
    assert b"\r\r\n" not in data and data.count(b"\r\n") == 2
    assert _rows(data)[0]["customer"] == NAME


def test_a_table_into_a_cp1252_file_is_written_in_utf8(tmp_path: Path) -> None:
    """The command as a process whose stdout is a file in cp1252 (PYTHONIOENCODING imitates
    Windows' ANSI code page): the table, not only the CSV, keeps every name."""
    paths = AppPaths(tmp_path / "config", tmp_path / "data", tmp_path / "logs")
    record_v3_grant(History(paths.history_db, paths.history_fallback), "g-1", NAME)
    target = tmp_path / "table.txt"
    with target.open("wb") as out:
        result = subprocess.run(
            [sys.executable, "-m", "wizard", "history"],
            stdout=out,
            stderr=subprocess.PIPE,
            env=cli_env(tmp_path, PYTHONIOENCODING="cp1252", PYTHONUTF8="0"),
            timeout=60,
            check=False,
        )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert NAME in target.read_bytes().decode("utf-8")
