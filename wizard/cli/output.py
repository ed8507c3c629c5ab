"""What the commands write on standard output: CSV with the same bytes on every platform, and
text in UTF-8 wherever it is redirected.

The csv module ends rows with \\r\\n itself; Windows' text-mode stdout would turn each \\n into
\\r\\n again (rows ending \\r\\r\\n, a blank row between rows in Excel), and a redirected stdout
there is encoded in the ANSI code page (cp1252), which cannot hold every customer's name. So CSV
goes to stdout's bytes through a UTF-8 writer that translates nothing.

A byte-order mark is written when stdout is a new, empty regular file (`> grants.csv`): that is
the file a person opens in Excel, which reads UTF-8 without a mark as the ANSI code page. A pipe,
a console or a file appended to (`>>`) gets none: the next program reads plain UTF-8.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import sys
from collections.abc import Iterator
from typing import TextIO

__all__ = ["csv_stdout", "utf8_when_redirected"]


@contextlib.contextmanager
def csv_stdout(stream: TextIO | None = None) -> Iterator[TextIO]:
    """A text stream over `stream` (sys.stdout) for csv.writer: UTF-8, no newline translation,
    a byte-order mark at the start of a new file. `stream` itself is left open and usable."""
    out = sys.stdout if stream is None else stream
    buffer = getattr(out, "buffer", None)
    if buffer is None:  # a StringIO (an embedding program, a test): text is text
        yield out
        return
    out.flush()  # whatever was printed before stays before
    encoding = "utf-8-sig" if _new_regular_file(out) else "utf-8"
    writer = io.TextIOWrapper(buffer, encoding=encoding, newline="")
    try:
        yield writer
    finally:
        writer.detach()  # flushes; the buffer stays stdout's


def _new_regular_file(out: TextIO) -> bool:
    try:
        info = os.fstat(out.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        return False
    return stat.S_ISREG(info.st_mode) and info.st_size == 0


def utf8_when_redirected() -> None:
    """Standard output and error in UTF-8 when they go to a file or a pipe, as the bundle's
    UTF-8 mode has them: on Windows they are otherwise in the ANSI code page, and a customer's
    name outside it ends the command with UnicodeEncodeError. A console keeps its own encoding
    (Windows' console takes Unicode whatever the code page)."""
    if sys.flags.utf8_mode:
        return
    for out in (sys.stdout, sys.stderr):
        if not isinstance(out, io.TextIOWrapper):
            continue
        with contextlib.suppress(OSError, ValueError):
            if out.isatty():
                continue
        if out.encoding.replace("-", "").lower() != "utf8":
            out.reconfigure(encoding="utf-8", errors=out.errors)
