"""What a test may skip on a person's machine but must have under CI."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]  # the repository


def require_in_ci(reason: str) -> None:
    """Skip on a person's machine; under CI a missing prerequisite is a failure."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)


# Markers of tests that assume a platform (registered in pyproject.toml): they skip only where
# the platform is missing. On Linux nothing is skipped for them, under CI or not; what they need
# there (Chromium, GNOME Keyring, Xvfb) is still required under CI by require_in_ci.
PLATFORM_MARKERS = {
    "linux_only": "assumes Linux",
    "posix_only": "needs POSIX (fcntl, SIGKILL)",
}


def platform_skip(marker_names: set[str]) -> str | None:
    """Why a test with these markers is skipped on this platform, or None to run it."""
    here = {"linux_only": sys.platform.startswith("linux"), "posix_only": os.name == "posix"}
    for name, words in PLATFORM_MARKERS.items():
        if name in marker_names and not here[name]:
            return f"{words}; this is {sys.platform}"
    return None
