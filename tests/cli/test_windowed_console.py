"""Windows' windowed zoom-onboard.exe given a command (issue 20, item 12), imitated on any
platform: the streams None as a GUI-subsystem program has them, and kernel32's AttachConsole
answered by the test (wizard/console.py's seam)."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import TextIO

import pytest

from tests.helpers.cli import cli_env
from wizard import __version__, console
from wizard.cli.main import main


class FakeWindows:
    """AttachConsole succeeding or failing; the console's files as memory."""

    def __init__(self, *, attached: bool, typed: bytes = b"") -> None:
        self.attached = attached
        self.typed = typed
        self.opened: dict[str, TextIO] = {}
        self.boxes: list[tuple[str, str]] = []
        self.attach_calls = 0

    def attach_parent_console(self) -> bool:
        self.attach_calls += 1
        return self.attached

    def open_console(self, name: str, mode: str) -> TextIO:
        assert (name, mode) in {("CONIN$", "r"), ("CONOUT$", "w")}
        if name in self.opened:  # stdout and stderr: one console
            return self.opened[name]
        if name == "CONIN$":
            stream: TextIO = io.TextIOWrapper(io.BytesIO(self.typed), encoding="utf-8")
        else:
            stream = io.StringIO()
        self.opened[name] = stream
        return stream

    def message_box(self, text: str, title: str) -> None:
        self.boxes.append((text, title))


def windowed(monkeypatch: pytest.MonkeyPatch, *, attached: bool) -> FakeWindows:
    """This process as the windowed exe on Windows: no standard streams, and Windows' calls
    imitated (`attached`: whether a parent console is there to attach to). (Called in the test's
    body: pytest's capture sets the streams again between a fixture and the test.)"""
    monkeypatch.setattr(sys, "platform", "win32")
    for name in ("stdin", "stdout", "stderr"):
        monkeypatch.setattr(sys, name, None)
    fake = FakeWindows(attached=attached)
    monkeypatch.setattr(console, "windows_system", lambda: fake)
    return fake


@pytest.mark.parametrize(
    ("argv", "wants"),
    [
        ([], False),
        (["--sandbox"], False),
        (["--sandbox", "-v", "--profile", "acme"], False),
        (["--profile=acme", "--verbose"], False),
        (["--profile", "onboard"], False),  # a profile named like a command is still a name
        (["--self-test"], True),
        (["--version"], True),
        (["--diagnostics"], True),
        (["-h"], True),
        (["onboard", "--sandbox"], True),
        (["--sandbox", "queue", "add", "-"], True),
        (["--nonsense"], True),  # the parser's error must be seen too
    ],
)
def test_only_the_window_s_own_options_need_no_console(argv: list[str], wants: bool) -> None:
    assert console.wants_console(argv) is wants


def test_a_command_attaches_to_the_shell_s_console_and_prints_there(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = windowed(monkeypatch, attached=True)
    assert console.ensure_console(["--self-test"]) is True
    assert fake.attach_calls == 1
    assert set(fake.opened) == {"CONIN$", "CONOUT$"}
    assert sys.stdout is fake.opened["CONOUT$"]
    assert sys.stderr is fake.opened["CONOUT$"]
    assert sys.stdin is fake.opened["CONIN$"]
    print("héllo, 東京")  # UTF-8 streams: any customer's name
    said = fake.opened["CONOUT$"].getvalue()  # type: ignore[attr-defined]
    assert "zoom-onboard-cli.exe" in said  # the hint: the shell does not wait for this program
    assert said.endswith("héllo, 東京\n")
    assert fake.boxes == []


def test_without_a_console_a_message_box_names_the_console_program(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = windowed(monkeypatch, attached=False)
    assert console.ensure_console(["onboard"]) is False
    assert fake.opened == {}
    assert len(fake.boxes) == 1
    text, title = fake.boxes[0]
    assert "zoom-onboard-cli.exe" in text
    assert title == "Zoom onboarding"
    assert sys.stdout is None


def test_the_wizard_itself_touches_no_console(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = windowed(monkeypatch, attached=True)
    assert console.ensure_console(["--sandbox", "-v"]) is True
    assert fake.attach_calls == 0
    assert sys.stdout is None


def test_a_redirected_stream_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """`zoom-onboard.exe --diagnostics > report.txt`: Windows gives a GUI program the file as
    stdout; only the missing streams come from the console."""
    monkeypatch.setattr(sys, "platform", "win32")
    redirected = io.StringIO()
    monkeypatch.setattr(sys, "stdout", redirected)
    monkeypatch.setattr(sys, "stdin", None)
    monkeypatch.setattr(sys, "stderr", None)
    fake = FakeWindows(attached=True)
    assert console.ensure_console(["--diagnostics"], system=fake) is True
    assert sys.stdout is redirected
    assert set(fake.opened) == {"CONIN$", "CONOUT$"}
    assert "zoom-onboard-cli.exe" not in redirected.getvalue()  # the hint is for the console
    assert "zoom-onboard-cli.exe" in fake.opened["CONOUT$"].getvalue()  # type: ignore[attr-defined]


def test_output_redirected_without_a_console_runs_with_empty_input(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A script or CI job runs `zoom-onboard.exe --version` with its output piped and no
    console: no message box (nobody would click it away), stdin reads as empty."""
    monkeypatch.setattr(sys, "platform", "win32")
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(sys, "stdin", None)
    fake = FakeWindows(attached=False)
    assert console.ensure_console(["queue", "add", "-"], system=fake) is True
    assert fake.boxes == [] and fake.opened == {}
    assert sys.stdin is not None and sys.stdin.buffer.read() == b""
    assert sys.stdout is out and sys.stderr is err


def test_a_console_program_and_other_platforms_are_left_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeWindows(attached=True)
    # zoom-onboard-cli.exe (a console program): every stream is there.
    assert console.ensure_console(["--self-test"], platform="win32", system=fake) is True
    # Linux and macOS: a stream closed by whoever started us is none of this module's business.
    monkeypatch.setattr(sys, "stdout", None)
    assert console.ensure_console(["--self-test"], platform="darwin", system=fake) is True
    assert fake.attach_calls == 0


def test_main_prints_the_version_on_the_attached_console(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = windowed(monkeypatch, attached=True)
    with pytest.raises(SystemExit) as ended:
        main(["--version"])
    assert ended.value.code == 0
    said = fake.opened["CONOUT$"].getvalue()  # type: ignore[attr-defined]
    assert f"zoom-onboard {__version__}\n" in said


def test_main_refuses_a_command_with_no_console_to_show_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = windowed(monkeypatch, attached=False)
    assert main(["--self-test"]) == 2
    assert "zoom-onboard-cli.exe" in fake.boxes[0][0]


# `queue add -` read sys.stdin.buffer and crashed on None. In a child process of its own (the
# command sets up logging and a history), with stdin/stdout/stderr None as under the windowed
# exe and what is typed at the console coming from CONIN$.
CHILD = textwrap.dedent(
    """
    import sys
    real_out = sys.stdout
    from tests.cli.test_windowed_console import FakeWindows
    from wizard import console
    from wizard.cli import main as cli_main

    fake = FakeWindows(attached=True, typed="acct-1\\nkunde-ü@example.com\\n".encode())
    console.windows_system = lambda: fake
    # Windows for the console's decision only: the rest (keyring, sysconfig) stays on Linux.
    cli_main.ensure_console = lambda argv: console.ensure_console(argv, platform="win32")
    sys.stdin = sys.stdout = sys.stderr = None
    main = cli_main.main
    code = main(["queue", "add", "--sandbox", "-"])
    print(code, file=real_out)
    print(fake.opened["CONOUT$"].getvalue(), file=real_out)
    """
)


def test_queue_add_reads_the_console_s_input_under_the_windowed_exe(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", CHILD],
        cwd=root,
        env=cli_env(tmp_path, PYTHONPATH=str(root)),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    code, _, said = result.stdout.partition("\n")
    assert code == "0", result.stdout + result.stderr
    assert "zoom-onboard-cli.exe" in said
    assert "Added 2 practice entries" in said, said
