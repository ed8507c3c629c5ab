"""Refuse to bundle a PySide6 that drops references of None (6.12.0 on Python 3.11 did).

Run by build.sh with the build's Python before PyInstaller: a bundle with such a Qt aborts
after about 100 onboardings ("Fatal Python error: none_dealloc"). Exit 1 names the fault.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import PySide6
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel

ROUNDS = 500  # far below what exhausts None's count on 3.11, far above the noise


def main() -> int:
    app = QApplication([])
    label = QLabel()
    fired: list[int] = []
    label.setText("warm-up")
    before = sys.getrefcount(None)
    for i in range(ROUNDS):
        label.setText(f"text {i}")
        QTimer.singleShot(0, lambda: fired.append(1))
    while len(fired) < ROUNDS:
        app.processEvents()
    drift = sys.getrefcount(None) - before
    version = f"PySide6 {PySide6.__version__} on Python {sys.version.split()[0]}"
    if sys.version_info >= (3, 12) and sys.getrefcount(None) >= 2**31:
        # PEP 683: None is immortal; a drift by code built for older Pythons cannot free it.
        print(f"check_qt: {version}: None is immortal (drift {drift} cannot crash)")
        return 0
    if abs(drift) > ROUNDS // 10:
        print(
            f"check_qt: {version} lost {-drift} references of None in {ROUNDS} rounds; "
            "install a safe release (packaging/requirements.lock pins one)",
            file=sys.stderr,
        )
        return 1
    print(f"check_qt: {version}: None's reference count steady (drift {drift})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
