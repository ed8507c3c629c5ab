"""Shared test settings.

Async tests run on anyio's pytest plugin (asyncio backend): mark them with
`pytestmark = pytest.mark.anyio`. Qt tests use one session-scoped qasync loop (tests/ui).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import keyring.backends.fail
import pytest

from tests.support import MemoryKeyring, install_keyring

# Qt must never try a real display in tests.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def require_in_ci(reason: str) -> None:
    """Skip on a person's machine; under CI a missing prerequisite is a failure."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    with install_keyring(backend):
        yield backend


@pytest.fixture
def no_keyring() -> Iterator[None]:
    with install_keyring(keyring.backends.fail.Keyring()):  # type: ignore[no-untyped-call]
        yield
