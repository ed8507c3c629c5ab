"""A zoom-onboard process of its own for tests that imitate a platform before main() runs.

    python -m tests.helpers.child [options] -- ARGS...   main(ARGS), then exit with its code
    python -m tests.helpers.child [options] flood-target a listener for test_descriptors.py

Options:
  --nofile SOFT[:HARD]    the open-file limit macOS gives (256, hard limit unchanged)
  --no-signal-handlers    loop.add_signal_handler raises NotImplementedError, as on Windows
  --when-shown ACTION     once the window is up and its sandbox checked: say "SHOWN"; then
                          quit (Qt's Quit event, as Cmd+Q, Dock > Quit and logging out on
                          macOS send it) or session-end (as Windows ends a session:
                          aboutToQuit, then Quit)

It prints marker lines on stdout: SHOWN, SESSION CLOSED (the wizard's session), SANDBOX
CLOSED, and for flood-target JSON lines.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
from typing import Any


def say(line: str) -> None:
    print(line, flush=True)


def limit_files(spec: str) -> None:
    import resource

    soft, _, hard = spec.partition(":")
    current_hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (int(soft), int(hard) if hard else current_hard))


def no_signal_handlers() -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise NotImplementedError  # as asyncio's Windows loops do

    asyncio.unix_events._UnixSelectorEventLoop.add_signal_handler = refuse  # type: ignore[method-assign]


def mark_closes() -> None:
    """Say when the wizard's session and the sandbox are closed (every resource let go)."""
    from wizard.sandbox import SandboxServer
    from wizard.ui.session import WizardSession

    session_aclose = WizardSession.aclose

    async def aclose(self: WizardSession) -> None:
        await session_aclose(self)
        say("SESSION CLOSED")

    sandbox_close = SandboxServer.close

    async def close(self: SandboxServer) -> None:
        await sandbox_close(self)
        say("SANDBOX CLOSED")

    WizardSession.aclose = aclose  # type: ignore[method-assign]
    SandboxServer.close = close  # type: ignore[method-assign]


def when_shown(action: str) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from wizard.ui import app as app_module

    create = app_module.create_wizard

    def session_end() -> None:
        application = QApplication.instance()
        assert application is not None
        application.aboutToQuit.emit()
        QApplication.quit()

    then = {"say": lambda: None, "quit": QApplication.quit, "session-end": session_end}[action]

    def created(*args: Any, **kwargs: Any) -> Any:
        wizard = create(*args, **kwargs)

        def shown() -> None:  # the window is up and its sandbox checked: work is under way
            if wizard.session.sandbox is None or not wizard.connection_page.isComplete():
                QTimer.singleShot(20, shown)
                return
            say("SHOWN")
            then()

        QTimer.singleShot(0, shown)  # runs once the app's coroutine waits for the window
        return wizard

    app_module.create_wizard = created


async def flood_target() -> None:
    """A listener with the product's limits: says its port, serves until told "done" on stdin,
    then says what reached the loop's exception handler and the log."""
    from tests.helpers.listener import make_listener

    handler_calls: list[str] = []
    asyncio.get_running_loop().set_exception_handler(
        lambda _loop, context: handler_calls.append(str(context.get("message")))
    )
    records: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger().addHandler(handler)
    listener = make_listener()
    await listener.start()
    server = listener._server
    assert server is not None
    import resource

    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    say(json.dumps({"port": listener.port, "cap": server.max_connections, "soft": soft}))
    wait = asyncio.create_task(listener.wait(120))
    await asyncio.to_thread(sys.stdin.readline)
    grant = await wait
    say(json.dumps({"grant": grant.grant_id, "handler": handler_calls, "log": records}))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nofile")
    parser.add_argument("--no-signal-handlers", action="store_true")
    parser.add_argument("--when-shown", choices=["say", "quit", "session-end"])
    parser.add_argument("mode", nargs="?", default="main", choices=["main", "flood-target"])
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    options = parser.parse_args(argv[:split])
    options.args = argv[split + 1 :]
    if options.nofile:
        limit_files(options.nofile)
    if options.no_signal_handlers:
        no_signal_handlers()
    from wizard.cli.main import main as zoom_onboard

    if options.mode == "flood-target":
        with contextlib.suppress(SystemExit):
            zoom_onboard(["--version"])  # the start of every run, then a listener
        asyncio.run(flood_target())
        return 0
    mark_closes()
    if options.when_shown:
        when_shown(options.when_shown)
    return zoom_onboard(options.args)


if __name__ == "__main__":
    sys.exit(main())
