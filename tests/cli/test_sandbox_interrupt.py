"""`zoom-onboard sandbox` ends on Ctrl+C with exit 0 and the sandbox closed: with a real SIGINT,
and as on Windows, where asyncio has no loop.add_signal_handler (imitated: it raises
NotImplementedError)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.helpers import processes

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="sends a POSIX SIGINT")


@pytest.mark.parametrize("windows", [False, True], ids=["posix", "no-add_signal_handler"])
def test_ctrl_c_ends_the_sandbox_cleanly(windows: bool, tmp_path: Path) -> None:
    flags = ["--no-signal-handlers"] if windows else []
    process = processes.start(tmp_path, *flags, "--", "sandbox", "--port", "0", "--json")
    before = processes.wait_for(process, '"url"')
    processes.interrupt(process)
    result = processes.ended(process, tmp_path, before)
    processes.assert_clean(result, "SANDBOX CLOSED")
    assert "Cancelled." not in result.stderr
