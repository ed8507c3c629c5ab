"""Running tests/helpers/child.py: a zoom-onboard process of its own, with a home of its own;
and children that race each other (`race`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.ci import ROOT

GUARD = 120  # seconds: only so that a hang fails the test instead of stalling the suite


@dataclass
class Ended:
    code: int
    lines: list[str]  # stdout
    stderr: str
    log: str  # the app's log file


def start(home: Path, *args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ZOOM_ONBOARD_HOME": str(home),
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",  # never the real keyring
    }
    return subprocess.Popen(
        [sys.executable, "-W", "always::ResourceWarning", "-m", "tests.helpers.child", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(process: subprocess.Popen[str], marker: str) -> list[str]:
    """stdout's lines up to the one containing `marker`."""
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if marker in line:
            return lines
    raise AssertionError(f"ended ({process.wait()}) before {marker!r}: {lines}")


def interrupt(process: subprocess.Popen[str]) -> None:
    """Ctrl+C in the console: a real SIGINT to the process."""
    os.kill(process.pid, signal.SIGINT)


def ended(process: subprocess.Popen[str], home: Path, before: list[str] | None = None) -> Ended:
    try:
        out, err = process.communicate(timeout=GUARD)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    logs = sorted(home.rglob("*.log"))
    log = "\n".join(path.read_text(encoding="utf-8", errors="replace") for path in logs)
    return Ended(process.returncode, [*(before or []), *out.splitlines()], err, log)


def assert_clean(result: Ended, *closed: str) -> None:
    """Exit 0, each resource said closed, nothing at ERROR in the log (the diagnostics report
    shows those), no traceback or unclosed resource on stderr."""
    assert result.code == 0, (result.code, result.stderr[-2000:])
    for marker in closed:
        assert marker in result.lines, (marker, result.lines)
    assert " ERROR " not in result.log and "CRITICAL" not in result.log, result.log[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert "ResourceWarning" not in result.stderr, result.stderr[-2000:]


def race(script: str, target: Path, processes: int, each: int, *extra: str) -> list[str]:
    """`processes` Python children running `script` at once, each with the arguments `target`,
    its name (p0, p1, ...), `each`, the time to start at and `extra`; asserts that every one
    exited 0 and returns what each wrote to stderr."""
    start = time.time() + 1.5  # leaves time for the interpreters to start
    children = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(target), f"p{n}", str(each), str(start), *extra],
            stderr=subprocess.PIPE,
            cwd=ROOT,  # the child imports tests.helpers
            text=True,
        )
        for n in range(processes)
    ]
    errors = [child.communicate(timeout=GUARD)[1] for child in children]
    assert [child.returncode for child in children] == [0] * processes, errors
    return errors
