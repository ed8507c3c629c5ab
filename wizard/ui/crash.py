"""The app never dies silently: uncaught exceptions are logged and shown with a redacted,
copyable report (sys.excepthook for Qt slots, the loop's handler for asyncio tasks)."""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback
from types import TracebackType
from typing import Any

import shiboken6
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from wizard.logs import redact
from wizard.ui import core

log = logging.getLogger("wizard.crash")
_open_reports: set[QMessageBox] = set()


def report_text(exc: BaseException) -> str:
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return redact(f"{core.build_report()}\n\nTraceback:\n{trace}")


def show_crash(exc: BaseException) -> None:
    log.error("unexpected error", exc_info=(type(exc), exc, exc.__traceback__))
    if QApplication.instance() is None:
        return
    trace = redact("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    box = QMessageBox(QApplication.activeWindow())
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle("Zoom onboarding: unexpected error")
    box.setText(
        "Something went wrong that the app did not expect. Your work so far is kept (every "
        "grant is already in the history).\n\nCopy the report and send it to an engineer."
    )
    box.setDetailedText(trace)
    copy = box.addButton("Copy report", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Close)
    copy.clicked.disconnect()  # copying must not close the dialog
    copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(box.detailedText()))
    box.setObjectName("crashDialog")
    # Without a parent window nothing else holds the dialog: keep it until it is closed.
    _open_reports.add(box)
    box.finished.connect(lambda _result: _open_reports.discard(box))
    # open(), never exec(): exec inside a coroutine fails with "Cannot enter into task".
    box.open()
    _add_diagnostics(box, exc)


def _add_diagnostics(box: QMessageBox, exc: BaseException) -> None:
    """The full report reads the keyring, the history and the log: on a worker thread when
    the loop runs, so a crash dialog never freezes the window; the traceback shows at once."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is None:
        _fill(box, exc)
        return
    future = loop.run_in_executor(None, report_text, exc)

    def done(f: asyncio.Future[str]) -> None:
        if f.cancelled():
            return
        if f.exception() is not None:  # the report must never be a second crash
            log.error("the diagnostics report failed: %r", f.exception())
        elif shiboken6.isValid(box):
            box.setDetailedText(f.result())

    future.add_done_callback(done)


def _fill(box: QMessageBox, exc: BaseException) -> None:
    try:
        box.setDetailedText(report_text(exc))
    except Exception:  # the report must never be a second crash
        log.exception("the diagnostics report failed")


def _excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, tb)
        return
    show_crash(exc)


def _loop_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    exc = context.get("exception")
    if isinstance(exc, Exception):
        show_crash(exc)
    else:
        log.error("event loop: %s", redact(str(context.get("message"))))


def install(loop: asyncio.AbstractEventLoop | None = None) -> None:
    sys.excepthook = _excepthook
    if loop is not None:
        loop.set_exception_handler(_loop_handler)
