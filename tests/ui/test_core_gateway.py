"""The UI's one door to the core (wizard/ui/core.py): what it names, and that the window's own
modules load none of the core."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from wizard.ui import core

CORE_SOURCE = Path(core.__file__).read_text(encoding="utf-8")


def typed_names() -> dict[str, str]:
    """name -> module of the TYPE_CHECKING imports that give the door's names their types."""
    names: dict[str, str] = {}
    for node in ast.walk(ast.parse(CORE_SOURCE)):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom) and statement.module
                for alias in statement.names:
                    names[alias.asname or alias.name] = statement.module
    return names


def test_every_name_is_typed_where_it_is_found() -> None:
    assert typed_names() == core._HOMES


def test_every_name_resolves_after_the_preload() -> None:
    core.preload()
    missing = [name for name in core._HOMES if not hasattr(core, name)]
    assert missing == []
    from wizard.flow.explain import explain

    assert core.explain is explain


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Explain'"):
        core.Explain  # noqa: B018


def test_the_window_modules_load_none_of_the_core() -> None:
    """What runs before the first show: the window, its pages and the door itself."""
    probe = (
        "import sys, wizard.ui.app, wizard.ui.wizard, wizard.ui.core;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'httpx', 'httpcore', 'pydantic', 'sqlite3', 'keyring', 'h11'} "
        "or m.startswith(('wizard.flow', 'wizard.nylas', 'wizard.listener', 'wizard.sandbox', "
        "'wizard.store.history', 'wizard.store.queue', 'wizard.store.profiles'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
