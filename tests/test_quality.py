"""Lint and types are part of the test suite, so one command checks everything."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.helpers.cli import python

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return python("-m", *args, cwd=ROOT, timeout=300)


def fresh_python(code: str) -> str:
    """What `code` prints in a new interpreter (so imports start from nothing)."""
    result = python("-c", code, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_ruff_is_clean() -> None:
    result = run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean_on_every_layer_the_ui_too() -> None:
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_contracts_hold() -> None:
    """Layers, no Qt below the UI, no sandbox in production code: pyproject.toml's
    [tool.importlinter] contracts over every module."""
    lint = "from importlinter.cli import lint_imports_command; lint_imports_command()"
    result = python("-c", lint, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    assert "0 broken" in result.stdout, result.stdout[-4000:]


def test_the_window_can_appear_before_the_core_is_loaded() -> None:
    """Start-up time (bench/run.py row 1): the command line and the wizard's modules load
    without the core, which comes on a worker thread once the window is up."""
    code = (
        "import sys, wizard.cli.main, wizard.ui.app\n"
        "heavy = ('wizard.flow', 'wizard.nylas.client', 'wizard.store.profiles', "
        "'wizard.sandbox', 'pydantic', 'httpx', 'keyring')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    assert fresh_python(code) == "[]"
