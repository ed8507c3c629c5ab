"""Shared test settings; the helpers and fixtures live in tests/helpers (see its __init__)."""

from __future__ import annotations

import os

import pytest

from tests.helpers.ci import platform_skip

# Qt must never try a real display in tests.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest_plugins = ["tests.helpers.fixtures"]


def pytest_runtest_setup(item: pytest.Item) -> None:
    """linux_only / posix_only: skipped on other platforms, never on Linux (tests/helpers/ci.py)."""
    why = platform_skip({marker.name for marker in item.iter_markers()})
    if why is not None:
        pytest.skip(why)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> object:
    """A test that freezes the heap (wizard/memory.py: the window, `queue run`) in this process
    must unfreeze it by its own teardown: frozen objects are never collected, and later tests
    would pay for it."""
    import gc

    result = yield
    if gc.get_freeze_count():
        gc.unfreeze()
        pytest.fail(f"{item.nodeid} left the heap frozen (gc.freeze) in the test process")
    return result
