"""What a test may skip on a person's machine but must have under CI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]  # the repository


def require_in_ci(reason: str) -> None:
    """Skip on a person's machine; under CI a missing prerequisite is a failure."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)
