"""The log shared by the wizard and every command, with Windows imitated: a rename of a file
that another process has open fails there (PermissionError), and an append is a seek to the end,
then a write. Processes logging at once, past a file's size, lose no record and mix none."""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path

import pytest

import wizard.log_files as log_files_module
from tests.helpers.processes import race
from wizard.diagnostics import build_report
from wizard.log_files import DailyFileHandler, log_files, newest_log, remove_old_logs
from wizard.store.paths import AppPaths

_LOGGER = textwrap.dedent("""
    import logging, os, sys, time
    from pathlib import Path
    import wizard.log_files as log_files
    from wizard.logs import setup_logging

    base, who, count, start = sys.argv[1:5]

    def refused(*args, **kwargs):  # Windows: another process has the file open
        raise PermissionError(13, "The process cannot access the file because it is being "
                              "used by another process")
    os.rename = os.replace = refused

    from tests.helpers.platforms import WindowsAppendOs
    log_files.os = WindowsAppendOs()

    setup_logging(Path(base), console=False)
    while time.time() < float(start):
        time.sleep(0.001)
    log = logging.getLogger("wizard.test")
    for i in range(int(count)):
        # 2 kB a record (a traceback's size): 1.5 MB in all, past the size of a file
        log.error("%s-%d GRANT NOT SAVED: g-%s-%d %s for the customer", who, i, who, i,
                  "x" * 2000)
""")


@pytest.mark.posix_only  # the lock under the imitation is flock
def test_processes_logging_at_once_on_windows_lose_no_record(tmp_path: Path) -> None:
    base = tmp_path / "logs" / "zoom-onboard.log"
    processes, each = 3, 250
    errors = race(_LOGGER, base, processes, each)
    assert errors == [""] * processes  # logging reported no failure to write
    # Every file in the folder, whatever its name: nothing was renamed away.
    lines = [line for path in base.parent.glob("*.log*") for line in path.read_text().splitlines()]
    said = sorted(line.split(": ", 1)[1].split(" ")[0] for line in lines)
    assert said == sorted(f"p{n}-{i}" for n in range(processes) for i in range(each))
    assert all(line.endswith("for the customer") for line in lines)  # none cut or mixed
    assert len(log_files(base)) == 2  # the day went on in a second file


def test_the_next_day_writes_a_new_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = tmp_path / "zoom-onboard.log"
    handler = DailyFileHandler(base)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "before midnight", None, None)
    monkeypatch.setattr(log_files_module, "_today", lambda: "2025-01-31")
    handler.emit(record)
    monkeypatch.setattr(log_files_module, "_today", lambda: "2025-02-01")
    record.msg = "after midnight"
    handler.emit(record)
    handler.close()
    assert [p.name for p in log_files(base)] == [
        "zoom-onboard-2025-01-31.log",
        "zoom-onboard-2025-02-01.log",
    ]
    assert newest_log(base).read_text() == "after midnight\n"


def test_old_files_are_removed_but_one_still_open_elsewhere_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = tmp_path / "zoom-onboard.log"
    for day in range(1, 13):
        (tmp_path / f"zoom-onboard-2025-01-{day:02d}.log").write_text("x\n")
    (tmp_path / "zoom-onboard-2025-01-12.2.log").write_text("x\n")
    (tmp_path / "notes.txt").write_text("not a log\n")
    real_unlink = Path.unlink

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self.name == "zoom-onboard-2025-01-02.log":  # Windows: open in another process
            raise PermissionError(13, "being used by another process")
        real_unlink(self, missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    remove_old_logs(base, keep=10)
    names = [p.name for p in log_files(base)]
    assert names[0] == "zoom-onboard-2025-01-02.log"  # left for a later start
    assert names[-2:] == ["zoom-onboard-2025-01-12.log", "zoom-onboard-2025-01-12.2.log"]
    assert len(names) == 11
    assert (tmp_path / "notes.txt").exists()


def test_the_diagnostics_read_the_last_errors_across_the_day_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZOOM_ONBOARD_HOME", str(tmp_path))
    paths = AppPaths.default()
    paths.log_dir.mkdir(parents=True)
    (paths.log_dir / "zoom-onboard-2025-01-30.log").write_text(
        "2025-01-30 17:00:00 ERROR wizard: yesterday's failure\n"
    )
    (paths.log_dir / "zoom-onboard-2025-01-31.log").write_text(
        "2025-01-31 09:00:00 INFO wizard: started\n"
        "2025-01-31 09:00:01 WARNING wizard: this morning's warning\n"
    )
    report = build_report()
    tail = report.split("Last warnings and errors in the log files")[1]
    assert tail.index("yesterday's failure") < tail.index("this morning's warning")
    assert "started" not in tail
    assert f"Log file (newest): {paths.log_dir / 'zoom-onboard-2025-01-31.log'}" in report
