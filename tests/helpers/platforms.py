"""Windows behaviours imitated on Linux, for the child processes of the platform tests."""

from __future__ import annotations

import os
import time
from typing import Any


class WindowsAppendOs:
    """`os` as Windows' C runtime appends: O_APPEND dropped, each write a seek to the end and
    then a write, so another process may write in between."""

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    def open(self, path: str, flags: int, mode: int = 0o777) -> int:
        return os.open(path, flags & ~os.O_APPEND, mode)

    def write(self, fd: int, data: bytes) -> int:
        os.lseek(fd, 0, os.SEEK_END)
        time.sleep(0.0002)  # the window between the C runtime's seek and its write
        return os.write(fd, data)
