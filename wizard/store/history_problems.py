"""What went wrong with the history, in words for the operator: each problem said once, and how
many unreadable rows and lines the latest listing left out. Thread-safe: the history is written
and read on worker threads."""

from __future__ import annotations

import threading
from pathlib import Path

from wizard.store import database

__all__ = ["Problems"]

_SKIPPED = "Unreadable, skipped:"


class Problems:
    def __init__(self, db_path: Path, fallback_path: Path) -> None:
        self.db_path = db_path
        self.fallback_path = fallback_path
        self.words: list[str] = []
        self.skipped = 0  # unreadable rows and lines left out of the latest listing
        self._lock = threading.Lock()

    def note(self, problem: str) -> None:
        with self._lock:
            if problem not in self.words:
                self.words.append(problem)

    def new_listing(self) -> None:
        """A read problem holds until the next listing, not forever."""
        stale = (self._unreadable(), _SKIPPED)
        with self._lock:
            self.words[:] = [p for p in self.words if not p.startswith(stale)]
            self.skipped = 0

    # -- writing -------------------------------------------------------------------------

    def in_journal(self) -> None:
        self.note(
            f"Some grants are in {self.fallback_path} because the history database could not "
            "be written at the time; they are listed together with the others."
        )

    def write_failed(self, exc: BaseException) -> str:
        """Why the database took no grant, and where grants go instead (not noted yet)."""
        instead = f"grants are being written to {self.fallback_path} instead."
        return database.explain(exc, self.db_path, instead)

    def not_saved(self, grant_id: str, exc: BaseException) -> None:
        self.note(
            f"The grant {grant_id} could not be saved to the history at all "
            f"({database.describe(exc)}); copy it now. It is also in the log file."
        )

    # -- reading -------------------------------------------------------------------------

    def unreadable_database(self, exc: BaseException) -> None:
        self.note(
            f"{self._unreadable()} ({database.describe(exc)}); only the grants in "
            f"{self.fallback_path} are listed. Close other copies of the app and check the "
            "file, then Refresh."
        )

    def unreadable_journal(self, exc: BaseException) -> None:
        self.note(
            f"The history fallback file {self.fallback_path} could not be read "
            f"({database.describe(exc)}); the grants in it are not listed."
        )

    def unreadable(self, what: str, exc: BaseException) -> None:
        self.note(f"{what} could not be read ({database.describe(exc)}).")

    def skipped_rows(self, count: int, ids: list[int]) -> None:
        self._skip(count, f"row(s) of the history database {self.db_path} (id {_few(ids)})")

    def skipped_lines(self, lines: list[int]) -> None:
        where = f"line(s) of the history fallback file {self.fallback_path} (line {_few(lines)})"
        self._skip(len(lines), where)

    def _skip(self, count: int, where: str) -> None:
        with self._lock:
            self.skipped += count
        self.note(
            f"{_SKIPPED} {count} {where}: they are not listed; the rest are. Keep the file for "
            "an engineer."
        )

    def _unreadable(self) -> str:
        return f"The history database {self.db_path} could not be read"


def _few(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers[:10])) + (", ..." if len(numbers) > 10 else "")
