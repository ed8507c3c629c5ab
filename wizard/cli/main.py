"""`zoom-onboard`: the wizard by default, plus headless commands.

Exit codes (every command): 0 success; 1 refused or failed (Nylas, Zoom, the customer, the
network); 2 bad input or environment; 3 timed out or cancelled.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from wizard.cli.output import utf8_when_redirected
from wizard.console import ensure_console
from wizard.outcome import Outcome

if TYPE_CHECKING:
    import argparse


# Each command's module and function, imported only when that command runs.
_COMMANDS = {
    "onboard": ("wizard.cli.onboard", "run_onboard"),
    "sandbox": ("wizard.cli.sandbox_cmd", "run_sandbox"),
    "queue": ("wizard.cli.queue_cmd", "run_queue"),
    "finish": ("wizard.cli.remote_cmd", "run_finish"),
    "history": ("wizard.cli.history_cmd", "run_history"),
    "grants": ("wizard.cli.grants_cmd", "run_grants"),
}


def main(argv: Sequence[str] | None = None) -> int:
    """`argv` None: the program itself (the console script, python -m wizard), which may end
    the process; a list: a caller that goes on afterwards (a test, an embedding program)."""
    program = argv is None
    argv = sys.argv[1:] if argv is None else list(argv)
    # Windows' windowed zoom-onboard.exe has no streams: a command gets the shell's console,
    # or a message box pointing to zoom-onboard-cli.exe (wizard/console.py).
    if not ensure_console(argv):
        return Outcome.BAD_INPUT
    utf8_when_redirected()
    if argv[:1] == ["history"]:
        code = _fast_history(argv[1:])
        if code is not None:
            return code
    from wizard.cli.parser import build_parser
    from wizard.http.limits import raise_descriptor_limit

    raise_descriptor_limit()  # macOS starts programs with 256: too few under a flood
    args = build_parser(json_errors="--json" in argv).parse_args(argv)
    try:
        if args.diagnostics:
            from wizard.cli.diagnostics_cmd import run_diagnostics

            return run_diagnostics(args)
        if args.self_test:
            from wizard.cli.self_test import end_process, run_self_test

            code = run_self_test(args)
            if program:  # the whole process: its end need not be torn down
                end_process(code)
            return code
        if args.command in _COMMANDS:
            module, function = _COMMANDS[args.command]
            run: Callable[[argparse.Namespace], int]
            run = getattr(importlib.import_module(module), function)
            return run(args)
        from wizard.cli.gui import run_gui

        return run_gui(args)
    except KeyboardInterrupt:
        print("Cancelled.", file=sys.stderr)
        return Outcome.TIMEOUT


def _fast_history(argv: list[str]) -> int | None:
    """The plain table, written by SQLite before argparse and the store are even imported;
    None: any other form, or anything to say about the history (the general command)."""
    from wizard.cli.history_table import print_fast_table

    try:
        return print_fast_table(argv)
    except KeyboardInterrupt:
        print("Cancelled.", file=sys.stderr)
        return Outcome.TIMEOUT
