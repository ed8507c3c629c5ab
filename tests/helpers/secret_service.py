"""A real Secret Service for a test: GNOME Keyring's daemon on a private D-Bus session bus,
started and unlocked here; its environment is for child processes (keyring chooses its backend
once per process)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.ci import require_in_ci


@pytest.fixture
def secret_service(tmp_path: Path) -> Iterator[dict[str, str]]:
    for tool in ("dbus-daemon", "gnome-keyring-daemon"):
        if shutil.which(tool) is None:
            require_in_ci(f"{tool} is not installed (apt-get install dbus gnome-keyring)")
    home = tmp_path / "home"
    runtime = tmp_path / "run"
    home.mkdir()
    runtime.mkdir(mode=0o700)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DBUS_", "GNOME_KEYRING"))},
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "ZOOM_ONBOARD_HOME": str(tmp_path / "app"),
    }
    bus = subprocess.run(
        ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
        env=env,
    )
    address, pid = bus.stdout.split()[:2]
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    keyring_daemon = subprocess.Popen(
        ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert keyring_daemon.stdin is not None
    keyring_daemon.stdin.write(b"test-login-password")  # unlocks (creates) the login keyring
    keyring_daemon.stdin.close()
    env["TEST_KEYRING_DAEMON_PID"] = str(keyring_daemon.pid)
    env["TEST_DBUS_DAEMON_PID"] = pid
    try:
        yield env
    finally:
        keyring_daemon.terminate()
        keyring_daemon.wait(10)
        with contextlib.suppress(ProcessLookupError):  # a test may have ended the bus
            os.kill(int(pid), signal.SIGTERM)
