"""Debian's Chromium for the real-browser tests (Playwright drives it; nothing is downloaded)."""

from __future__ import annotations

import shutil

from tests.helpers.ci import require_in_ci

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_chromium() -> None:
    """Skip without Chromium on a person's machine; under CI its absence is a failure."""
    if shutil.which(CHROMIUM) is None:
        require_in_ci(f"{CHROMIUM} is not installed (apt-get install chromium)")
