"""PySide6's per-import source scan is replaced (wizard/ui/_pyside_imports.py): if a PySide6
upgrade renames or drops it, this says so, and the workaround can go or follow it."""

from __future__ import annotations

import sys
import types

import wizard.ui  # noqa: F401  (installs the replacement)
from wizard.ui import _pyside_imports


def test_pyside6_asks_the_replacement_not_the_source() -> None:
    feature = sys.modules["shibokensupport.feature"]
    assert feature._mod_uses_pyside is _pyside_imports._binds_pyside


def test_a_module_that_binds_qt_uses_pyside_and_one_that_does_not_does_not() -> None:
    from PySide6.QtCore import QObject

    qt = types.ModuleType("uses_qt")
    qt.QObject = QObject  # type: ignore[attr-defined]
    plain = types.ModuleType("plain")
    plain.json = __import__("json")  # type: ignore[attr-defined]
    assert _pyside_imports._binds_pyside(qt)
    assert not _pyside_imports._binds_pyside(plain)
