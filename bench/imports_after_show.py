"""Which modules the Qt thread imports after the window first shows, through a whole onboarding
(bench/wizard_probe.py). An import there blocks the event loop (anyio's lazy parts at the first
request cost about 40 ms here): everything must already be loaded, on the loader thread.

    QT_QPA_PLATFORM=offscreen python bench/imports_after_show.py [--api v3|connect]

Prints one JSON line: {"imports": [...]} (empty is the goal).
"""

from __future__ import annotations

import json
import runpy
import sys
import threading
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MAIN = threading.main_thread()
imports: list[str] = []
armed = False


def hook(event: str, args: tuple[Any, ...]) -> None:
    # "import" is raised only for a module not yet in sys.modules.
    if event == "import" and armed and threading.current_thread() is MAIN:
        imports.append(str(args[0]))


def main() -> int:
    global armed
    sys.addaudithook(hook)
    from PySide6.QtWidgets import QWidget

    original = QWidget.show

    def show(self: QWidget) -> None:
        global armed
        armed = True
        original(self)

    QWidget.show = show  # type: ignore[method-assign]
    sys.argv = [str(HERE / "wizard_probe.py"), *sys.argv[1:]]
    try:
        runpy.run_path(str(HERE / "wizard_probe.py"), run_name="__main__")
    except SystemExit as done:
        if done.code:
            return int(done.code)
    finally:
        armed = False
    print(json.dumps({"imports": sorted(set(imports))}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
