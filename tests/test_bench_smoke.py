"""The benchmark script keeps working (its numbers are read by people, never asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_bench_quick_prints_every_row() -> None:
    result = subprocess.run(
        [sys.executable, "bench/run.py", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    numbers = {row.split("|")[1].strip() for row in rows}
    expected = {"1", "2", "3a", "3b", "3c", "3d", "4", "5", "6", "7", "8", "9"}
    assert expected <= numbers, result.stdout
