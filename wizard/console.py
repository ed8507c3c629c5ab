"""Standard streams for a command given to the windowed Windows executable.

On Windows the bundle has two programs (packaging/zoom-onboard.spec): `zoom-onboard.exe`, a
GUI-subsystem program so that no console window opens behind the wizard, and
`zoom-onboard-cli.exe`, a console program for the commands. Windows gives a GUI program no
console: run from a Command Prompt without redirection, the windowed one starts with
sys.stdin, sys.stdout and sys.stderr None. A command then printed nothing (`--self-test`),
waited out its timeout with the consent link shown nowhere (`onboard`) or crashed on the
missing stdin (`queue add -`).

So, before anything is parsed or printed: when a stream is None and the arguments ask for more
than the window, attach to the console of the program that started us (the shell), rebind the
missing streams to it in UTF-8, and say that zoom-onboard-cli.exe is the program for commands
(the shell does not wait for a GUI program: its prompt comes back at once). With no console to
attach to (started from Explorer or a shortcut), a message box says so and the command does not
run. A stream that was redirected (`> out.txt`, a pipe) is left as it is; when only stdin is
missing and there is no console, it reads as empty (as from NUL) and no box is shown, since the
output already goes somewhere a script reads.

Qt-free: it runs before the command line decides whether Qt is needed at all. The kernel32 and
user32 calls sit behind `ConsoleSystem`, so tests imitate Windows on any platform.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Sequence
from typing import Protocol, TextIO

__all__ = [
    "CLI_HINT",
    "NO_CONSOLE_TEXT",
    "ConsoleSystem",
    "ensure_console",
    "wants_console",
]

# Options that only change what the window does: with nothing else, no console is needed.
_WINDOW_FLAGS = frozenset({"--sandbox", "-v", "--verbose"})
_WINDOW_VALUED = "--profile"  # --profile NAME or --profile=NAME

TITLE = "Zoom onboarding"
NO_CONSOLE_TEXT = (
    "zoom-onboard.exe opens the wizard window; it has no console to show a command's output.\n\n"
    "For --self-test, --diagnostics, --version and the commands (onboard, queue, finish, "
    "history, grants, sandbox), run zoom-onboard-cli.exe from the same folder in a Command "
    "Prompt or PowerShell."
)
CLI_HINT = (
    "note: zoom-onboard.exe is the wizard's windowed program; the shell does not wait for it "
    "or see its exit code. Use zoom-onboard-cli.exe for commands.\n"
)


class ConsoleSystem(Protocol):
    """The Windows calls this module needs (kernel32, user32, the console's files)."""

    def attach_parent_console(self) -> bool:
        """AttachConsole(ATTACH_PARENT_PROCESS): True when we now share the parent's console."""
        ...

    def open_console(self, name: str, mode: str) -> TextIO:
        """CONIN$ ("r") or CONOUT$ ("w") as a UTF-8 text stream."""
        ...

    def message_box(self, text: str, title: str) -> None:
        """Show `text` where a person sees it without a console."""
        ...


class _Windows:
    """The real calls, through ctypes (only ever made on Windows)."""

    ATTACH_PARENT_PROCESS = 0xFFFFFFFF  # (DWORD)-1
    MB_OK_ICONWARNING = 0x00000030

    def attach_parent_console(self) -> bool:
        import ctypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined,unused-ignore]
        kernel32.AttachConsole.argtypes = [ctypes.c_uint32]
        kernel32.AttachConsole.restype = ctypes.c_int
        return bool(kernel32.AttachConsole(self.ATTACH_PARENT_PROCESS))

    def open_console(self, name: str, mode: str) -> TextIO:
        # Python opens CONIN$/CONOUT$ as a console file (PEP 528: Unicode through
        # ReadConsoleW/WriteConsoleW), whose bytes are UTF-8 whatever the code page.
        if mode == "r":
            return open(name, encoding="utf-8")
        return open(name, "w", encoding="utf-8", errors="backslashreplace", buffering=1)

    def message_box(self, text: str, title: str) -> None:
        import ctypes

        user32 = ctypes.WinDLL("user32", use_last_error=True)  # type: ignore[attr-defined,unused-ignore]
        user32.MessageBoxW(None, text, title, self.MB_OK_ICONWARNING)


# The seam tests replace: how the Windows calls are made.
windows_system: Callable[[], ConsoleSystem] = _Windows


def wants_console(argv: Sequence[str]) -> bool:
    """Whether `argv` asks for more than the wizard's window: a command, --self-test,
    --diagnostics, --version, --help, or anything the parser will answer on the console."""
    args = iter(argv)
    for arg in args:
        if arg in _WINDOW_FLAGS or arg.startswith(f"{_WINDOW_VALUED}="):
            continue
        if arg == _WINDOW_VALUED:
            next(args, None)  # the profile's name, whatever it looks like
            continue
        return True
    return False


def ensure_console(
    argv: Sequence[str], *, platform: str | None = None, system: ConsoleSystem | None = None
) -> bool:
    """Give a command the standard streams the windowed executable lacks (see the module's
    docstring). False when there is no console to give: the person was told, by a message box,
    to use zoom-onboard-cli.exe, and the command must not run."""
    if (platform or sys.platform) != "win32" or not wants_console(argv):
        return True
    missing = [name for name in ("stdin", "stdout", "stderr") if getattr(sys, name) is None]
    if not missing:
        return True  # a console program, or every stream redirected: nothing to do
    calls = system or windows_system()
    if not calls.attach_parent_console():
        if missing == ["stdin"]:
            # Output goes where it was redirected (a script, a CI job): no box to click away
            # there; input is empty, as from NUL.
            sys.stdin = io.TextIOWrapper(io.BytesIO(b""), encoding="utf-8")
            return True
        calls.message_box(NO_CONSOLE_TEXT, TITLE)
        return False
    opened: dict[str, TextIO] = {}
    for name in missing:
        reading = name == "stdin"
        stream = calls.open_console("CONIN$" if reading else "CONOUT$", "r" if reading else "w")
        setattr(sys, name, stream)
        opened[name] = stream
    # On the console, never into a redirected stderr; a new line first: the shell has already
    # printed its next prompt.
    shown = opened.get("stderr") or opened.get("stdout")
    if shown is not None:
        shown.write("\n" + CLI_HINT)
        shown.flush()
    return True
