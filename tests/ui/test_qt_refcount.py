"""PySide6 must not drop references of None: on Python 3.11 that aborts the process.

PySide6 6.12.0 dropped one reference of None on every `setText` and `QTimer.singleShot`; an
operator's window died with "Fatal Python error: none_dealloc" after about 100 onboardings.
pyproject.toml excludes that release; this test notices any other release that does it again.
On Python 3.12+ None is immortal (its count never moves), so the fault cannot crash there.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

ROUNDS = 3000
# A few references may come and go with caches; a leak moves the count by ROUNDS.
TOLERANCE = 50


def _calls(parent: QWidget) -> dict[str, Callable[[int], None]]:
    label = QLabel(parent)
    line = QLineEdit(parent)
    text = QPlainTextEdit(parent)
    button = QPushButton(parent)
    box = QCheckBox(parent)
    return {
        "QLabel.setText": lambda i: label.setText(f"grant {i}"),
        "QLabel.setToolTip": lambda i: label.setToolTip(f"tip {i}"),
        "QLineEdit.setText": lambda i: line.setText(f"account-{i}"),
        "QLineEdit.setPlaceholderText": lambda i: line.setPlaceholderText(f"hint {i}"),
        "QPlainTextEdit.setPlainText": lambda i: text.setPlainText(f"log {i}"),
        "QPushButton.setText": lambda i: button.setText(f"&Copy {i % 10}"),
        "QCheckBox.setChecked": lambda i: box.setChecked(bool(i % 2)),
        "QWidget.setWindowTitle": lambda i: parent.setWindowTitle(f"Zoom onboarding {i}"),
        "QWidget.setEnabled": lambda i: button.setEnabled(bool(i % 2)),
    }


@pytest.mark.parametrize(
    "name",
    [
        "QLabel.setText",
        "QLabel.setToolTip",
        "QLineEdit.setText",
        "QLineEdit.setPlaceholderText",
        "QPlainTextEdit.setPlainText",
        "QPushButton.setText",
        "QCheckBox.setChecked",
        "QWidget.setWindowTitle",
        "QWidget.setEnabled",
    ],
)
def test_widget_calls_keep_the_references_of_none(qtbot: QtBot, name: str) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    call = _calls(parent)[name]
    call(0)  # first-call caches
    before = sys.getrefcount(None)
    for i in range(ROUNDS):
        call(i)
    drift = sys.getrefcount(None) - before
    assert abs(drift) < TOLERANCE, f"{name}: None's reference count moved by {drift}"


def test_single_shot_timers_keep_the_references_of_none(qtbot: QtBot, qapp: QApplication) -> None:
    fired: list[int] = []
    QTimer.singleShot(0, lambda: fired.append(-1))
    qtbot.waitUntil(lambda: fired == [-1])
    before = sys.getrefcount(None)
    for i in range(ROUNDS):
        QTimer.singleShot(0, lambda i=i: fired.append(i))
    qtbot.waitUntil(lambda: len(fired) == ROUNDS + 1, timeout=10_000)
    qapp.processEvents()
    drift = sys.getrefcount(None) - before
    assert abs(drift) < TOLERANCE, f"QTimer.singleShot: None's reference count moved by {drift}"
