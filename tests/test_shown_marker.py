"""The launch benchmark's hook (bench/run.py): with ZOOM_ONBOARD_BENCH_SHOWN=1 the wizard prints
a monotonic timestamp when its window is first exposed and another when its first page is usable,
then closes, prints its own peak RSS and exits 0. No timing is asserted here; bench/run.py does
the measuring."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.helpers.cli import python


def test_the_wizard_marks_its_first_expose_and_first_usable_page_and_quits(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "ZOOM_ONBOARD_BENCH_SHOWN": "1",
        "ZOOM_ONBOARD_HOME": str(tmp_path),
    }
    started = time.perf_counter_ns()
    result = python("-m", "wizard", "--sandbox", env=env)
    assert result.returncode == 0, result.stderr
    marks = [line for line in result.stdout.splitlines() if line.startswith("shown ")]
    assert len(marks) == 1, result.stdout
    shown = int(marks[0].partition("perf_counter_ns=")[2])
    usable = [line for line in result.stdout.splitlines() if line.startswith("usable ")]
    assert len(usable) == 1, result.stdout
    ready = int(usable[0].partition("perf_counter_ns=")[2])
    assert started < shown <= ready < time.perf_counter_ns()  # the same monotonic clock as ours
    assert [x for x in result.stdout.splitlines() if x.startswith("maxrss_kib=")], result.stdout
