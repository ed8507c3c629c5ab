"""`zoom-onboard`: the wizard by default, plus headless commands.

Exit codes (every command): 0 success; 1 refused or failed (Nylas, Zoom, the customer, the
network); 2 bad input or environment; 3 timed out or cancelled.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from wizard.cli.output import utf8_when_redirected
from wizard.console import ensure_console
from wizard.outcome import Outcome


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
        # The plain table, written by SQLite before argparse and the store are even imported;
        # None: any other form, or anything to say about the history (the command below).
        from wizard.cli.history_table import print_fast_table

        try:
            code = print_fast_table(argv[1:])
        except KeyboardInterrupt:
            print("Cancelled.", file=sys.stderr)
            return Outcome.TIMEOUT
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
        if args.command == "onboard":
            from wizard.cli.onboard import run_onboard

            return run_onboard(args)
        if args.command == "sandbox":
            from wizard.cli.sandbox_cmd import run_sandbox

            return run_sandbox(args)
        if args.command == "queue":
            from wizard.cli.queue_cmd import run_queue

            return run_queue(args)
        if args.command == "finish":
            from wizard.cli.remote_cmd import run_finish

            return run_finish(args)
        if args.command == "history":
            from wizard.cli.history_cmd import run_history

            return run_history(args)
        if args.command == "grants":
            from wizard.cli.grants_cmd import run_grants

            return run_grants(args)
        from wizard.cli.gui import run_gui

        return run_gui(args)
    except KeyboardInterrupt:
        print("Cancelled.", file=sys.stderr)
        return Outcome.TIMEOUT
