"""The diagnostics report an operator copies for an engineer: versions, places, recent errors.

Everything goes through `wizard.logs.redact` at the end, so a secret registered anywhere in the
process (profile secrets, environment secrets, state values) cannot appear in it.
"""

from __future__ import annotations

import contextlib
import datetime
import importlib
import importlib.metadata
import os
import platform
import sys
from collections.abc import Mapping
from pathlib import Path

from wizard import __version__
from wizard.log_files import log_files, newest_log
from wizard.logs import recent_errors, redact
from wizard.store.paths import HOME_ENV, AppPaths

__all__ = ["build_report"]

_PACKAGES = ("httpx", "h11", "pydantic", "keyring", "qasync", "truststore", "platformdirs")
_LOG_TAIL_BYTES = 256 * 1024
_LOG_LINES = 20


def build_report(
    *,
    region: str | None = None,
    api_url: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> str:
    paths = AppPaths.default()
    lines = [
        "Zoom onboarding wizard - diagnostics",
        f"Generated: {datetime.datetime.now(datetime.UTC).isoformat(timespec='seconds')}",
        "",
        f"App version: {__version__}{' (packaged)' if getattr(sys, 'frozen', False) else ''}",
        f"Python: {platform.python_version()} ({platform.python_implementation()}, "
        f"{sys.executable})",
        f"Platform: {platform.platform()} ({platform.machine()})",
        # Off: files and redirected output default to the ANSI code page on Windows.
        f"UTF-8 mode: {'on' if sys.flags.utf8_mode else 'off'}",
        f"Qt: {_qt_version()}",
    ]
    lines += [f"{name}: {_version(name)}" for name in _PACKAGES]

    lines += ["", "Keyring:", *_section(_keyring_lines())]

    lines += ["", "Files:"]
    if os.environ.get(HOME_ENV):
        lines.append(f"  ({HOME_ENV} is set: everything is under {os.environ[HOME_ENV]})")
    for label, path in (
        ("Profiles", paths.profiles_file),
        ("History database", paths.history_db),
        ("History fallback", paths.history_fallback),
        ("Log file (newest)", newest_log(paths.log_file)),
    ):
        lines.append(f"  {label}: {path} ({_describe_file(path)})")
    lines.append(f"  Log files: {len(log_files(paths.log_file))}, one per day, in {paths.log_dir}")

    lines += ["", "History:", *_section(_history_lines(paths))]

    lines += [
        "",
        "Connection:",
        f"  Region: {region or 'not chosen'}",
        f"  API URL: {api_url or 'the region default'}",
    ]
    if extra:
        lines += ["", "Details:", *(f"  {key}: {value}" for key, value in extra.items())]

    lines += ["", "Recent warnings and errors (this session):"]
    lines += _section(list(recent_errors.lines)) if recent_errors.lines else ["  none"]
    logged = _log_file_errors(paths.log_file)
    lines += ["", "Last warnings and errors in the log files (every process, newest last):"]
    lines += _section(logged) if logged else ["  none"]
    return redact("\n".join(lines) + "\n")


def _section(items: list[str]) -> list[str]:
    return [f"  {item}" for item in items]


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _qt_version() -> str:
    # Only version strings: the PySide6 package itself loads no Qt library, and QtCore is
    # asked only when the GUI has already loaded it.
    try:
        pyside = importlib.import_module("PySide6")
    except Exception as exc:  # a broken install is itself worth reporting
        return f"PySide6 not importable ({type(exc).__name__}: {exc})"
    text = f"PySide6 {getattr(pyside, '__version__', 'unknown')}"
    core = sys.modules.get("PySide6.QtCore")
    if core is not None:
        with contextlib.suppress(Exception):
            text += f", Qt runtime {core.qVersion()}"
    return text


def _keyring_lines() -> list[str]:
    try:
        from wizard.store.secrets import SecretStore

        store = SecretStore()
    except Exception as exc:
        return [f"could not be checked ({type(exc).__name__}: {exc})"]
    lines = [f"Backend: {store.backend_name}", f"Usable: {'yes' if store.available else 'no'}"]
    if not store.available:
        lines.append(f"Why: {store.unavailable_reason}")
    return lines


def _history_lines(paths: AppPaths) -> list[str]:
    try:
        from wizard.store.history import GrantQuery, History

        history = History(paths.history_db, paths.history_fallback)
        count = history.listing(GrantQuery(), limit=0).total
    except Exception as exc:
        return [f"could not be checked ({type(exc).__name__}: {exc})"]
    lines = [f"Grants listed: {count}", _journal_line(paths)]
    lines += [f"Problem: {problem}" for problem in history.problems] or ["No problems."]
    return lines


def _journal_line(paths: AppPaths) -> str:
    from wizard.store.database import journal_mode_for

    if journal_mode_for(paths.history_db) == "wal":
        return "Database journal: WAL (a local disk)"
    return (
        "Database journal: rollback (DELETE), because the history is on a network share, "
        "where WAL is unsafe; it is slower, and a local folder is better"
    )


def _describe_file(path: Path) -> str:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return "not created yet"
    except OSError as exc:
        return f"cannot be checked: {exc.strerror or exc}"
    if path.is_dir():
        return "is a folder, not a file"
    return f"{stat.st_size} bytes"


def _log_file_errors(log_file: Path) -> list[str]:
    """The last warning/error lines from earlier runs (a fresh CLI process has none in memory),
    from the newest of the day's files back to earlier ones until there are enough."""
    found: list[str] = []
    for path in reversed(log_files(log_file)):
        found = _errors_in(path) + found
        if len(found) >= _LOG_LINES:
            break
    return found[-_LOG_LINES:]


def _errors_in(path: Path) -> list[str]:
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - _LOG_TAIL_BYTES))
            tail = f.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    wanted = (" WARNING ", " ERROR ", " CRITICAL ")
    return [line for line in tail.splitlines() if any(w in line for w in wanted)]
