"""Whether the process that owns a sign-in still runs: real processes, alive, killed, reaped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from wizard.store.owner import is_alive, this_process


def test_this_process_is_alive_and_unknown_owners_count_as_alive() -> None:
    assert this_process() == f"{socket.gethostname()}:{os.getpid()}"
    assert is_alive(this_process())
    assert is_alive(None) and is_alive("")
    assert is_alive("another-computer:1")  # cannot be asked from here
    assert is_alive(f"{socket.gethostname()}:not-a-pid")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_killed_process_is_gone_reaped_or_not() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    owner = f"{socket.gethostname()}:{child.pid}"
    try:
        assert is_alive(owner)
        child.send_signal(signal.SIGKILL)
        deadline = time.monotonic() + 10
        while is_alive(owner) and time.monotonic() < deadline:  # a zombie until reaped
            time.sleep(0.01)
        assert not is_alive(owner)
    finally:
        child.kill()
        child.wait()
    assert not is_alive(owner)  # reaped: the pid is free
