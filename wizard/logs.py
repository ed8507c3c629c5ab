"""Logging with redaction: secrets, Authorization headers, state values and codes never reach a log.

Known secret values are registered as they are read (`remember_secret`) and replaced wherever they
appear; patterns catch the shapes of the rest (headers, query parameters, JSON fields).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from pathlib import Path

from wizard.log_files import DailyFileHandler, remove_old_logs

MASK = "[redacted]"

# Every remembered value is at least this long; its first _KEY characters index it, so finding
# the values in a text costs a pass over the text, whatever the number of values remembered.
_KEY = 4

_lock = threading.Lock()
_secrets: set[str] = set()
_by_prefix: dict[str, tuple[str, ...]] = {}  # first _KEY characters -> values, longest first

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
    """Register values that must never be logged (secrets, state values). A value is never
    forgotten: it may still appear in a URL, a body or an error message later in the day."""
    with _lock:
        for value in values:
            if not value or len(value) < _KEY or value in _secrets:
                continue
            _secrets.add(value)
            key = value[:_KEY]
            same = (*_by_prefix.get(key, ()), value)
            _by_prefix[key] = tuple(sorted(same, key=len, reverse=True))


def redact(text: str) -> str:
    """`text` with every remembered value masked, then the shapes of the rest (Authorization
    headers, secret query parameters and JSON fields)."""
    if len(text) >= _KEY and _by_prefix:
        text = _mask_known(text)
    for pattern in _PATTERNS:
        text = pattern.sub(_mask_match, text)
    return text


def redact_text(text: str) -> str:
    """The redaction of the log, for any other text that leaves the process: error messages
    printed by the command line, shown in dialogs or copied to the clipboard."""
    return redact(text)


def _mask_known(text: str) -> str:
    # Which indexed prefixes occur in the text at all: one set of its windows, intersected
    # with the index (both in C), so the cost follows the text, not the remembered values.
    windows = {text[i : i + _KEY] for i in range(len(text) - _KEY + 1)}
    with _lock:
        candidates = [_by_prefix[key] for key in windows & _by_prefix.keys()]
    if not candidates:
        return text
    spans: list[tuple[int, int]] = []
    for values in candidates:
        for value in values:
            start = text.find(value)
            while start != -1:
                spans.append((start, start + len(value)))
                start = text.find(value, start + 1)
    if not spans:
        return text
    # Overlapping occurrences (two values sharing characters) become one mask: no part of
    # either survives. Occurrences that only touch keep a mask each, as before.
    spans.sort()
    pieces: list[str] = []
    done = 0
    current_start, current_end = spans[0]
    for start, end in spans[1:]:
        if start < current_end:
            current_end = max(current_end, end)
            continue
        pieces += (text[done:current_start], MASK)
        done = current_end
        current_start, current_end = start, end
    pieces += (text[done:current_start], MASK, text[current_end:])
    return "".join(pieces)


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


# `extra=` of a record the command line says itself in its own words (an "Error:" line, an
# error event): kept in the log file and the diagnostics, never printed twice on the console.
SAID_ON_CONSOLE = {"said_on_console": True}


def _not_said_yet(record: logging.LogRecord) -> bool:
    return not getattr(record, "said_on_console", False)


def setup_logging(log_file: Path | None, *, verbose: bool = False, console: bool = True) -> None:
    """Records to the log's files (`log_file` names them: one per day, shared with every other
    process, wizard/log_files.py), to the diagnostics' memory, and warnings to the console."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    for handler in list(root.handlers):
        if getattr(handler, "_zoom_onboard", False):
            root.removeHandler(handler)
    handlers: list[logging.Handler] = [recent_errors]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        remove_old_logs(log_file)
        file_handler: logging.Handler = DailyFileHandler(log_file)
        file_handler.setLevel(logging.DEBUG)
        file_handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        handlers.append(file_handler)
    if console:
        stream = logging.StreamHandler()
        stream.setLevel(logging.DEBUG if verbose else logging.WARNING)
        stream.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        stream.addFilter(_not_said_yet)
        handlers.append(stream)
    for handler in handlers:
        handler.addFilter(RedactingFilter())
        handler._zoom_onboard = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    # httpx logs full URLs at INFO; ours are enough.
    for noisy in _NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)


_NOISY: Iterable[str] = ("httpx", "httpcore", "asyncio", "qasync")
