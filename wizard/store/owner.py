"""Which process owns a sign-in, and whether it is still running.

A sign-in left open in the history may belong to a window or a command that still listens for
its link (on Nylas v3 only that process can turn its consent into a grant), or to one that is
gone. The owner is kept as "host:pid"; a process is alive while that pid runs on this host.
A reused pid only makes a dead owner look alive, and then its sign-in closes at its expiry.
"""

from __future__ import annotations

import ctypes
import os
import socket
import sys

_STILL_ACTIVE = 259
_PROCESS_QUERY_LIMITED_INFORMATION = 0x1000


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def is_alive(owner: str | None) -> bool:
    """False only when the owner is known to be gone: unknown owners (rows written before
    owners were kept, or by another computer sharing the folder) count as alive."""
    if not owner:
        return True
    host, _, pid_text = owner.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    pid = int(pid_text)
    if pid == os.getpid():
        return True
    return _windows_alive(pid) if sys.platform == "win32" else _posix_alive(pid)


def _posix_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, as another user
    except OSError:
        return True
    return _not_a_zombie(pid)


def _not_a_zombie(pid: int) -> bool:
    # A child killed but not yet reaped (a test's subprocess) still answers signal 0.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return True  # no /proc (macOS): signal 0 is the answer


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only

    def _windows_alive(pid: int) -> bool:
        # os.kill(pid, 0) would send CTRL_C_EVENT on Windows: ask the process table instead.
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        handle = kernel32.OpenProcess(_PROCESS_QUERY_LIMITED_INFORMATION, False, pid)
        if not handle:
            return bool(ctypes.get_last_error() == 5)  # access denied: it exists
        try:
            code = ctypes.c_ulong()
            if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
                return True
            return code.value == _STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)

else:

    def _windows_alive(pid: int) -> bool:
        raise NotImplementedError("Windows only")
