"""PySide6 must not drop references of None: on Python 3.11 that aborts the process.

PySide6 6.12.0 dropped one reference of None on every `setText` and `QTimer.singleShot`; an
operator's window died with "Fatal Python error: none_dealloc" after about 100 onboardings.
pyproject.toml excludes that release; this test notices any other release that does it again.
On Python 3.12+ None is immortal (PEP 683): code built against older headers (PySide6's
stable ABI) may still move its count, but None stays immortal until 2**31 references are lost,
so the fault cannot crash there; those Pythons check that instead (6.11.3 on 3.13 does lose one
per QTimer.singleShot).
"""

from __future__ import annotations

import statistics
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

# A leak moves None's count in every batch, by about the batch's size; a cache or a garbage
# collection moves it once, by any amount, in whichever batch it falls. So the median drift of
# a batch is the leak per BATCH calls, whatever ran before (the test passes alone and after
# others alike).
BATCH = 1000
BATCHES = 5
TOLERANCE = 50


def drifts_of(run_batch: Callable[[int], None]) -> list[int]:
    """How far each batch moved None's reference count (the first call warms caches)."""
    run_batch(0)
    drifts = []
    for batch in range(1, BATCHES + 1):
        before = sys.getrefcount(None)
        run_batch(batch)
        drifts.append(sys.getrefcount(None) - before)
    return drifts


def leak_per_batch(run_batch: Callable[[int], None]) -> float:
    return statistics.median(drifts_of(run_batch))


IMMORTAL = sys.version_info >= (3, 12)  # PEP 683
# None stays immortal while its count keeps bit 31 (as a 32-bit number it is negative).
IMMORTAL_FLOOR = 2**31


def assert_none_is_safe(what: str, drifts: list[int]) -> None:
    if IMMORTAL:
        # At most one reference per call, and immortality untouched: no crash can follow.
        assert abs(statistics.median(drifts)) <= BATCH, f"{what}: {drifts} in batches of {BATCH}"
        assert sys.getrefcount(None) >= IMMORTAL_FLOOR, f"{what}: None is no longer immortal"
        return
    assert abs(statistics.median(drifts)) < TOLERANCE, (
        f"{what}: None's reference count moved by {drifts} in batches of {BATCH} calls"
    )


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

    def batch(n: int) -> None:
        for i in range(n * BATCH, (n + 1) * BATCH):
            call(i)

    assert_none_is_safe(name, drifts_of(batch))


def test_single_shot_timers_keep_the_references_of_none(qtbot: QtBot, qapp: QApplication) -> None:
    fired: list[int] = []

    def batch(n: int) -> None:
        for i in range(BATCH):
            QTimer.singleShot(0, lambda i=i: fired.append(i))
        qtbot.waitUntil(lambda: len(fired) == (n + 1) * BATCH, timeout=10_000)
        qapp.processEvents()

    assert_none_is_safe("QTimer.singleShot", drifts_of(batch))


def test_the_measure_sees_a_leak_and_forgives_a_one_off_change() -> None:
    kept: list[None] = []

    def leaky(n: int) -> None:  # one reference of None kept per call: what 6.12.0 did
        kept.extend(None for _ in range(BATCH))

    cache: list[None] = []

    def one_off(n: int) -> None:  # a cache filled and emptied once, like a warm-up
        if n == 2:
            cache.extend([None] * 500)
        if n == 4:
            cache.clear()

    # Python code cannot bring an immortal None's count down (its increments saturate): the
    # rule, on numbers.
    if IMMORTAL:
        with pytest.raises(AssertionError):
            assert_none_is_safe("a leak", [2 * BATCH] * BATCHES)
        assert_none_is_safe("a one-off", [0, 0, 500, 0, -500])
        return
    assert leak_per_batch(leaky) >= BATCH - TOLERANCE
    with pytest.raises(AssertionError):
        assert_none_is_safe("a leak", drifts_of(leaky))
    assert abs(leak_per_batch(one_off)) < TOLERANCE
