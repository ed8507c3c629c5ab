"""Shared test settings; the helpers and fixtures live in tests/helpers (see its __init__)."""

from __future__ import annotations

import os

# Qt must never try a real display in tests.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest_plugins = ["tests.helpers.fixtures"]
