"""PySide6 reads the source of every module imported after it.

On import, PySide6 replaces `builtins.__import__`; after each new module it asks
`shibokensupport.feature._mod_uses_pyside(module)`, which runs `inspect.getsource` on the
module to look for "PySide6" (for `from __feature__ import snake_case`, which this app never
uses). Every stdlib and third-party module the app imports after Qt (asyncio, pydantic, httpx...)
is read from disk and searched that way: about half of the core's load time on the loader
thread. A PyInstaller bundle has no sources, so there it fails fast instead.

`faster()` answers the same question from the module's globals (a name bound to something of
PySide6's), without reading its file. Only a module that names PySide6 without binding any of
it would be answered differently, and only `from __feature__ import` reads the answer.
"""

from __future__ import annotations

import sys
from types import ModuleType


def _binds_pyside(module: ModuleType) -> bool:
    for value in list(vars(module).values()):
        name = value.__name__ if isinstance(value, ModuleType) else getattr(value, "__module__", "")
        if isinstance(name, str) and name.startswith(("PySide6", "shiboken6")):
            return True
    return False


def faster() -> bool:
    """Replace PySide6's source scan; False when this PySide6 has none (nothing changed)."""
    feature = sys.modules.get("shibokensupport.feature")
    if feature is None or not callable(getattr(feature, "_mod_uses_pyside", None)):
        return False
    setattr(feature, "_mod_uses_pyside", _binds_pyside)  # noqa: B010  (a module of its own)
    return True
