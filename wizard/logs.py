"""Logging with redaction: secrets, Authorization headers, state values and codes never reach a log.

Known secret values are registered as they are read (`remember_secret`) and replaced wherever they
appear; patterns catch the shapes of the rest (headers, query parameters, JSON fields).
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import threading
from collections.abc import Iterable
from pathlib import Path

MASK = "[redacted]"

_lock = threading.Lock()
_secrets: set[str] = set()

_PATTERNS = [
    # Authorization: Basic xxx / Bearer xxx
    re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)(basic|bearer)\s+[A-Za-z0-9+/=._~-]+"),
    re.compile(r"(?i)\b(basic|bearer)\s+[A-Za-z0-9+/]{16,}={0,2}"),
    # query parameters and form fields: state=..., code=..., client_secret=...
    re.compile(
        r"(?i)\b((?:state|code|client_secret|secret|password|access_token|refresh_token)=)[^&\s\"'<>]+"
    ),
    # JSON fields
    re.compile(
        r"(?i)([\"'](?:state|code|client_secret|secret|password|access_token|refresh_token)[\"']\s*:\s*[\"'])[^\"']*"
    ),
]


def remember_secret(*values: str | None) -> None:
    """Register values that must never be logged (secrets, state values)."""
    with _lock:
        _secrets.update(v for v in values if v and len(v) >= 4)


def redact(text: str) -> str:
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(_mask_match, text)
    return text


def _mask_match(match: re.Match[str]) -> str:
    if (
        match.lastindex
        and match.lastindex >= 1
        and match.group(1).lower() not in ("basic", "bearer")
    ):
        return match.group(1) + MASK
    return MASK


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class RecentErrors(logging.Handler):
    """Keeps the last warnings and errors (already redacted) for the diagnostics report."""

    def __init__(self, size: int = 20) -> None:
        super().__init__(logging.WARNING)
        self.size = size
        self.lines: list[str] = []
        self.addFilter(RedactingFilter())
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        del self.lines[: -self.size]


recent_errors = RecentErrors()


def setup_logging(log_file: Path | None, *, verbose: bool = False, console: bool = True) -> None:
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    for handler in list(root.handlers):
        if getattr(handler, "_zoom_onboard", False):
            root.removeHandler(handler)
    handlers: list[logging.Handler] = [recent_errors]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
        )
        file_handler.setLevel(logging.DEBUG)
        file_handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        handlers.append(file_handler)
    if console:
        stream = logging.StreamHandler()
        stream.setLevel(logging.DEBUG if verbose else logging.WARNING)
        stream.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        handlers.append(stream)
    for handler in handlers:
        handler.addFilter(RedactingFilter())
        handler._zoom_onboard = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    # httpx logs full URLs at INFO; ours are enough.
    for noisy in _NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)


_NOISY: Iterable[str] = ("httpx", "httpcore", "asyncio", "qasync")
