"""How many files (sockets included) this process may open, and what the server sizes from it.

Import-light: `wizard.cli.main` raises the limit first thing, before anything else loads.
"""

from __future__ import annotations

import logging

log = logging.getLogger("wizard.http")

_MAX_CAP = 512  # connections one server serves at once, at most
_RESERVED = 128  # descriptors left for everything else (Qt, SQLite, the log, HTTP clients)
_WANTED_DESCRIPTORS = 4096


def raise_descriptor_limit(wanted: int = _WANTED_DESCRIPTORS) -> None:
    """Raise this process's soft limit of open files toward `wanted`, never above the hard
    limit. macOS starts programs with 256, fewer than one listener may need under a flood of
    local sockets; elsewhere it is usually 1024 or more already. Windows has no such limit."""
    try:
        import resource
    except ImportError:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft == resource.RLIM_INFINITY or soft >= target:
        return
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError) as exc:
        log.info("the open file limit stays %d (raising it to %d failed: %s)", soft, target, exc)


def descriptor_limit() -> int | None:
    """This process's soft limit of open files (None: no such limit, as on Windows)."""
    try:
        import resource
    except ImportError:
        return None
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return None if soft == resource.RLIM_INFINITY else soft


def connection_cap(limit: int | None = None) -> int:
    """How many connections one server serves at once before shedding idle ones: 512, or
    fewer where the descriptor limit would run out first (a listener and the in-process
    sandbox may serve at once, beside everything else the app has open)."""
    limit = descriptor_limit() if limit is None else limit
    if limit is None:
        return _MAX_CAP
    return max(16, min(_MAX_CAP, (limit - _RESERVED) // 2))
