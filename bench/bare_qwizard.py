"""Baseline for bench/run.py: a bare PySide6 QWizard, marked and closed like the app.

Prints `shown perf_counter_ns=N` at the first Expose of its window (the same event filter the
app installs under ZOOM_ONBOARD_BENCH_SHOWN=1), closes, and with --rss prints its peak RSS.
"""

from __future__ import annotations

import resource
import sys
import time

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWizard, QWizardPage


class FirstShown(QObject):
    def __init__(self, window: QWizard) -> None:
        super().__init__(window)
        self.window = window

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.Expose
            and obj is self.window.windowHandle()
            and self.window.windowHandle().isExposed()
        ):
            print(f"shown perf_counter_ns={time.perf_counter_ns()}", flush=True)
            app = QApplication.instance()
            assert app is not None
            app.removeEventFilter(self)
            QTimer.singleShot(0, self.window.close)
        return False


def main() -> int:
    app = QApplication(sys.argv)
    wizard = QWizard()
    wizard.setWindowTitle("Bare QWizard")
    wizard.setWizardStyle(QWizard.WizardStyle.ModernStyle)
    wizard.setMinimumSize(720, 540)
    page = QWizardPage()
    page.setTitle("Page")
    layout = QVBoxLayout(page)
    layout.addWidget(QLabel("A bare page."))
    wizard.addPage(page)
    app.installEventFilter(FirstShown(wizard))
    wizard.show()
    code = app.exec()
    if "--rss" in sys.argv:
        print(f"maxrss_kib={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", flush=True)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
