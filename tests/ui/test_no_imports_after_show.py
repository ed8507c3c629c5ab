"""Nothing is imported on the Qt thread after the first show, through a whole onboarding on
either API: an import there blocks the event loop (bench/imports_after_show.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("api", ["v3", "connect"])
def test_the_qt_thread_imports_nothing_after_the_first_show(tmp_path: Path, api: str) -> None:
    done = subprocess.run(
        [sys.executable, "bench/imports_after_show.py", "--api", api],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "ZOOM_ONBOARD_HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["imports"] == []
