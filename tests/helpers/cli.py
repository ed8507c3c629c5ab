"""The command line as a subprocess: `python -m wizard ...` with a home of its own."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from tests.helpers.ports import free_port
from wizard.sandbox.consent_bot import ConsentBot


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NYLAS_", "ZOOM_CLIENT"))}
    env["ZOOM_ONBOARD_HOME"] = str(tmp_path)
    env.update(extra)
    return env


def python(
    *args: str,
    cwd: Path | str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """`python ARGS` (this interpreter) run to its end, its output captured as text; the
    environment is this process's unless given."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


async def spawn(
    tmp_path: Path,
    *args: str,
    env: dict[str, str] | None = None,
    stdin: int = asyncio.subprocess.DEVNULL,
) -> asyncio.subprocess.Process:
    """`python -m wizard ARGS` with pipes, no stdin unless asked, and a home of its own."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "wizard",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=stdin,
        env=env or cli_env(tmp_path),
    )


async def each_event(
    proc: asyncio.subprocess.Process, into: list[dict[str, object]] | None = None
) -> AsyncIterator[dict[str, object]]:
    """The JSON Lines events a command prints, one at a time (each kept in `into` first, if
    given) until its output ends."""
    assert proc.stdout is not None
    while line := (await proc.stdout.readline()).decode():
        event: dict[str, object] = json.loads(line)
        if into is not None:
            into.append(event)
        yield event


def onboard_args(*args: str) -> tuple[str, ...]:
    """`onboard --no-browser ARGS` with a redirect URI on a free loopback port, on Connect
    unless ARGS name an --api."""
    api = () if "--api" in args else ("--api", "connect")
    redirect = f"http://127.0.0.1:{free_port()}/callback"
    return ("onboard", "--no-browser", "--redirect-uri", redirect, *api, *args)


async def run_onboard(
    tmp_path: Path,
    *args: str,
    decision: str | None = "allow",
    env: dict[str, str] | None = None,
    bot: ConsentBot | None = None,
) -> tuple[int, list[dict[str, object]], str]:
    proc = await spawn(tmp_path, *onboard_args("--json", *args), env=env or cli_env(tmp_path))
    assert proc.stdout is not None and proc.stderr is not None
    events: list[dict[str, object]] = []
    raw: list[str] = []
    async with asyncio.timeout(30):
        while line := (await proc.stdout.readline()).decode():
            raw.append(line)
            event = json.loads(line)
            events.append(event)
            if event["event"] == "auth_url" and decision is not None:
                await (bot or ConsentBot(decision))(str(event["url"]))  # type: ignore[arg-type]
        stderr = (await proc.stderr.read()).decode()
        code = await proc.wait()
    return code, events, "".join(raw) + stderr
