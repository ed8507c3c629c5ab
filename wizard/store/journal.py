"""The history's fallback journal: a JSON Lines file that keeps grants and verifications when the
database cannot take them. Appends are one O_APPEND write each under a lock between processes
(Windows has no atomic append: its C runtime seeks to the end, then writes), fsynced (on macOS
with F_FULLFSYNC), so processes never interleave or overwrite each other and a returned append
survives a power cut; a line cut short by a crash is skipped when read and never swallows the
next one.

What goes wrong is raised or returned (the numbers of unreadable lines); the history words it.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.file_lock import FileLock
from wizard.store.durable import full_fsync
from wizard.store.grant_columns import HistoryRecord, from_journal

__all__ = ["Journal", "JournalContents", "Verification"]


@dataclass(frozen=True)
class Verification:
    """What a verification found, for the newest record of its grant."""

    grant_id: str
    email: str | None
    grant_status: str | None
    verified: bool


@dataclass
class JournalContents:
    grants: list[HistoryRecord] = field(default_factory=list)
    verifications: list[Verification] = field(default_factory=list)  # in file order
    bad_lines: list[int] = field(default_factory=list)  # 1-based, unreadable

    def __bool__(self) -> bool:
        return bool(self.grants or self.verifications)


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        # One append at a time, across processes (wizard/file_lock.py); the lock file is
        # beside the journal, never the journal itself (Windows' locks keep readers out).
        self._lock = FileLock(path.with_name(path.name + ".lock"))

    def has_entries(self) -> bool:
        try:
            return self.path.stat().st_size > 0
        except OSError:
            return False

    def append(self, entry: Mapping[str, Any]) -> None:
        """One line, durably; raises OSError (or TypeError for a value JSON cannot hold)."""
        line = json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n"
        data = line.encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
        with self._lock.held():
            if _ends_without_newline(self.path):
                # A crash cut the last line short; start ours on a fresh line so it stays whole.
                data = b"\n" + data
            fd = os.open(self.path, flags, 0o600)
            try:
                written = os.write(fd, data)  # one append, under the lock
                if written != len(data):
                    raise OSError(errno.EIO, f"short write ({written} of {len(data)} bytes)")
                full_fsync(fd)
            finally:
                os.close(fd)

    def read(self) -> JournalContents:
        """Every readable grant and verification; raises OSError when the file cannot be read
        (none is no error)."""
        contents = JournalContents()
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return contents
        for number, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line.decode("utf-8"))
                if item.get("type") == "grant":
                    contents.grants.append(from_journal(item))
                elif item.get("type") == "verification":
                    contents.verifications.append(_verification(item))
                else:
                    raise ValueError("unknown entry type")
            # RecursionError: a line nested thousands deep (json.loads recurses per level).
            except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
                contents.bad_lines.append(number)
        return contents


def _verification(item: Mapping[str, Any]) -> Verification:
    grant_id, email, status, verified = (
        item["grant_id"],
        item.get("email"),
        item.get("grant_status"),
        item["verified"],
    )
    if not isinstance(grant_id, str) or not isinstance(verified, bool):
        raise TypeError("grant_id or verified has the wrong type")
    if not all(value is None or isinstance(value, str) for value in (email, status)):
        raise TypeError("email or grant_status has the wrong type")
    return Verification(grant_id, email, status, verified)


def _ends_without_newline(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            if f.tell() == 0:
                return False
            f.seek(-1, os.SEEK_END)
            return f.read(1) != b"\n"
    except FileNotFoundError:
        return False
