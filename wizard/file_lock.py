"""A lock between processes, held on a lock file beside what it guards: the history's fallback
journal and the log file are appended to by the wizard and every command at once.

On POSIX, O_APPEND makes each write land at the end whole; Windows has no such flag, its C
runtime seeks to the end and then writes, so two processes can write at the same offset and one
line overwrites the other. Holding this lock around the seek-and-write makes it one step again.

POSIX: flock(2), blocking. Windows: msvcrt.locking on the lock file's first byte, asked again
every few milliseconds (its blocking mode waits in steps of a whole second). The lock file is
never written and never deleted (deleting it could let two processes hold two locks); a lock dies
with its process.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["FileLock", "LockTimeout"]

_RETRY_SECONDS = 0.002


class LockTimeout(OSError):
    """Another process held the lock for longer than the wait allowed."""


class FileLock:
    def __init__(self, path: Path, *, timeout: float = 10.0) -> None:
        self.path = path
        self.timeout = timeout
        self._threads = threading.Lock()  # the lock is per process; threads take turns here

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Exclusive use until the block ends; raises LockTimeout (an OSError) when another
        process keeps it past `timeout` seconds (Windows; POSIX waits)."""
        with self._threads:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600)
            try:
                _acquire(fd, self.timeout, self.path)
                try:
                    yield
                finally:
                    _release(fd)
            finally:
                os.close(fd)


def _acquire(fd: int, timeout: float, path: Path) -> None:
    if sys.platform == "win32":
        import msvcrt

        deadline = time.monotonic() + timeout
        while True:
            try:
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
                return
            except OSError:  # EACCES / EDEADLOCK: held by another process
                if time.monotonic() >= deadline:
                    raise LockTimeout(f"{path} stayed locked by another process") from None
                time.sleep(_RETRY_SECONDS)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)


def _release(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)
