"""Baseline for bench/run.py: a bare PySide6 QWizard with one field, marked and closed like the
app.

Prints `shown perf_counter_ns=N` at the first Expose of its window and `usable
perf_counter_ns=N` once the keyboard focus is in its page's field (the same hook as the app's
`wizard.ui.app.BenchMarks` under ZOOM_ONBOARD_BENCH_SHOWN=1: a filter on the window's own
QWindow and the focusChanged signal), closes, and prints its own peak RSS at exit.
"""

from __future__ import annotations

import resource
import sys
import time

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QWindow
from PySide6.QtWidgets import QApplication, QFormLayout, QLabel, QLineEdit, QWizard, QWizardPage


class BenchMarks(QObject):
    def __init__(self, window: QWizard) -> None:
        super().__init__(window)
        self._window = window
        self._shown = self._usable = False
        window.create()
        handle = window.windowHandle()
        assert handle is not None
        handle.installEventFilter(self)
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        app.focusChanged.connect(self.check)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            not self._shown
            and event.type() == QEvent.Type.Expose
            and isinstance(watched, QWindow)
            and watched.isExposed()
        ):
            self._shown = True
            print(f"shown perf_counter_ns={time.perf_counter_ns()}", flush=True)
            self.check()
        return False

    def check(self, *_: object) -> None:
        focus = self._window.focusWidget()  # active or not: Xvfb has no window manager
        page = self._window.currentPage()
        if (
            self._shown
            and not self._usable
            and focus is not None
            and page is not None
            and page.isAncestorOf(focus)
        ):
            self._usable = True
            print(f"usable perf_counter_ns={time.perf_counter_ns()}", flush=True)
            QTimer.singleShot(0, self._window, self._window.close)


def main() -> int:
    app = QApplication(sys.argv)
    wizard = QWizard()
    wizard.setWindowTitle("Bare QWizard")
    wizard.setWizardStyle(QWizard.WizardStyle.ModernStyle)
    wizard.setMinimumSize(720, 540)
    page = QWizardPage()
    page.setTitle("Page")
    layout = QFormLayout(page)
    layout.addRow(QLabel("A bare page."))
    layout.addRow("&Field:", QLineEdit(page))
    wizard.addPage(page)
    BenchMarks(wizard)
    wizard.show()
    code = app.exec()
    print(f"maxrss_kib={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", flush=True)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
