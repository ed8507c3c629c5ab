"""Writing files so that they survive, on every platform the staff use.

- macOS: fsync(2) hands the data to the drive, whose cache may still lose it at a power cut;
  only fcntl(F_FULLFSYNC) asks the drive to write it down (Apple's fsync man page).
- Windows: os.replace fails with a sharing violation (PermissionError, WinError 5 or 32) while
  another process has the target open, e.g. the wizard reading profiles.json as a command
  saves it; the other process closes it within milliseconds, so the rename is tried again.
"""

from __future__ import annotations

import errno
import os
import sys
import time
from pathlib import Path

__all__ = ["full_fsync", "replace_retrying"]

REPLACE_TRIES_SECONDS = 2.0
_REPLACE_PAUSE = 0.02


def full_fsync(fd: int) -> None:
    """fsync, and on macOS F_FULLFSYNC (the drive's cache too); a filesystem that cannot do
    F_FULLFSYNC (some network or FUSE ones) gets the plain fsync."""
    if sys.platform == "darwin":
        import fcntl

        try:
            fcntl.fcntl(fd, fcntl.F_FULLFSYNC)
            return
        except OSError:
            pass
    os.fsync(fd)


def replace_retrying(source: str | Path, target: str | Path) -> None:
    """os.replace, tried again for a short while when Windows says another process has the
    target (or the source) open. Any other error, or the same one past the time, is raised."""
    deadline = time.monotonic() + REPLACE_TRIES_SECONDS
    while True:
        try:
            os.replace(source, target)
            return
        except PermissionError as exc:
            if not _sharing_violation(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(_REPLACE_PAUSE)


def _sharing_violation(exc: PermissionError) -> bool:
    # WinError 5 (access denied) and 32 (sharing violation) are what an open handle gives; on
    # POSIX a PermissionError is a real one (a read-only folder) and is never retried.
    winerror = getattr(exc, "winerror", None)
    return sys.platform == "win32" and (winerror in (5, 32) or exc.errno == errno.EACCES)
