"""The log's files, shared by the wizard and every command running at the same time.

A rotating log renames its file when it is full; Windows refuses to rename a file that another
process has open, and logging's RotatingFileHandler then loses every later record of the process
that tried (the last-resort "GRANT NOT SAVED" line included). So nothing is ever renamed here:

- one file per day, `zoom-onboard-2025-01-31.log`; past `max_bytes` the day goes on in
  `zoom-onboard-2025-01-31.2.log`, `.3.log`, ...;
- every record is appended under a lock between processes (wizard/file_lock.py), which also
  makes Windows' append (a seek, then a write) whole, and decides under it which file is the
  current one, so all processes move to the next file together;
- at start the oldest files beyond `keep` are deleted; one that another process still has open
  (Windows) is left for a later start.

The same choice of a file per day was weighed against a lock around a rename (every process
would have to close the file between records for a rename to work on Windows, and a reader such
as the diagnostics would still block it) and against a file per process (the diagnostics would
have to merge dozens of files). No library of the lock file does this.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import re
from pathlib import Path

from wizard.file_lock import FileLock, LockTimeout

__all__ = ["DailyFileHandler", "log_files", "newest_log", "remove_old_logs"]

MAX_BYTES = 1_000_000
KEEP_FILES = 10


def _pattern(base: Path) -> re.Pattern[str]:
    return re.compile(
        rf"^{re.escape(base.stem)}-(\d{{4}}-\d{{2}}-\d{{2}})(?:\.(\d+))?{re.escape(base.suffix)}$"
    )


def _name(base: Path, day: str, part: int) -> Path:
    middle = day if part == 1 else f"{day}.{part}"
    return base.with_name(f"{base.stem}-{middle}{base.suffix}")


def log_files(base: Path) -> list[Path]:
    """The log's files, oldest first. `base` (zoom-onboard.log) names them; it is no file."""
    pattern = _pattern(base)
    found: list[tuple[str, int, Path]] = []
    try:
        entries = list(os.scandir(base.parent))
    except OSError:
        return []
    for entry in entries:
        match = pattern.match(entry.name)
        if match:
            found.append((match[1], int(match[2] or 1), Path(entry.path)))
    return [path for _day, _part, path in sorted(found)]


def newest_log(base: Path) -> Path:
    """The file written last, or today's (not made yet) when there is none."""
    files = log_files(base)
    return files[-1] if files else _name(base, _today(), 1)


def remove_old_logs(base: Path, keep: int = KEEP_FILES) -> None:
    """Delete all but the newest `keep` files; a file still open elsewhere stays (Windows)."""
    for path in log_files(base)[:-keep] if keep else log_files(base):
        with contextlib.suppress(OSError):
            path.unlink()


def _today() -> str:
    return datetime.date.today().isoformat()


class DailyFileHandler(logging.Handler):
    """Appends each record to the day's file, under the lock between processes."""

    def __init__(self, base: Path, *, max_bytes: int | None = None) -> None:
        super().__init__()
        self.base = base
        self.max_bytes = MAX_BYTES if max_bytes is None else max_bytes
        self._lock_file = FileLock(base.with_name(f".{base.name}.lock"), timeout=2.0)
        self._path: Path | None = None
        self._fd: int | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            data = (self.format(record) + "\n").encode("utf-8", errors="backslashreplace")
            try:
                with self._lock_file.held():
                    self._write(data)
            except LockTimeout:
                self._write(data)  # a process stuck holding the lock: better mixed than lost
        except Exception:
            self.handleError(record)

    def _write(self, data: bytes) -> None:
        fd = self._current()
        os.write(fd, data)

    def _current(self) -> int:
        """The file to write now: today's newest part, or the next one when it is full."""
        today = _today()
        fd, path = self._fd, self._path
        if (
            fd is not None
            and path is not None
            and path.name.startswith(f"{self.base.stem}-{today}")
            and os.fstat(fd).st_size < self.max_bytes
        ):
            return fd
        path = self._choose(today)
        if path != self._path or self._fd is None:
            self._close()
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
            self._fd = os.open(path, flags, 0o600)
            self._path = path
        return self._fd

    def _choose(self, today: str) -> Path:
        pattern = _pattern(self.base)
        parts = [
            int(match[2] or 1)
            for path in log_files(self.base)
            if (match := pattern.match(path.name)) and match[1] == today
        ]
        part = max(parts, default=1)
        path = _name(self.base, today, part)
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_size >= self.max_bytes:
                path = _name(self.base, today, part + 1)
        return path

    def _close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self._fd = None

    def close(self) -> None:
        with self.lock or contextlib.nullcontext():
            self._close()
        super().close()
