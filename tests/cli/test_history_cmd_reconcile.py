"""A grant made after the command was killed is found by `zoom-onboard history --reconcile`:
the command as a subprocess, SIGKILLed; the sandbox (in this process, reached by URL like a
real region) keeps the grant. On the Connect API the customer allows after the kill (the grant
is made at consent); on v3 the kill comes while Nylas is still answering the code exchange
(v3 makes the grant there, and only the process that made the link can ask for it)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import signal
import sqlite3
import sys
from pathlib import Path

import httpx
import pytest

from tests.helpers.cli import cli_env, spawn
from tests.helpers.ports import free_port
from wizard.sandbox import SandboxServer
from wizard.sandbox.consent_bot import ConsentBot
from wizard.sandbox.faults import Fault

pytestmark = pytest.mark.anyio


def env_for(tmp_path: Path, api: str, sandbox: SandboxServer) -> dict[str, str]:
    creds = sandbox.credentials
    nylas = (
        {"NYLAS_API_KEY": creds.v3_api_key}
        if api == "v3"
        else {
            "NYLAS_CLIENT_ID": creds.nylas_client_id,
            "NYLAS_CLIENT_SECRET": creds.nylas_client_secret,
        }
    )
    return cli_env(
        tmp_path,
        ZOOM_CLIENT_ID=creds.zoom_client_id,
        ZOOM_CLIENT_SECRET=creds.zoom_client_secret,
        **nylas,
    )


async def run(tmp_path: Path, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    proc = await spawn(tmp_path, *args, env=env)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def onboarding_until_its_link(
    tmp_path: Path, env: dict[str, str], sandbox: SandboxServer, api: str, *who: str
) -> tuple[asyncio.subprocess.Process, str]:
    """`onboard` on the sandbox by URL, run until it prints its sign-in link."""
    proc = await spawn(
        tmp_path,
        "onboard",
        "--json",
        "--no-browser",
        "--api",
        api,
        "--api-url",
        sandbox.url,
        "--redirect-uri",
        f"http://localhost:{free_port()}/callback",
        *who,
        env=env,
    )
    assert proc.stdout is not None
    async with asyncio.timeout(30):
        while line := (await proc.stdout.readline()).decode():
            event = json.loads(line)
            if event["event"] == "auth_url":
                return proc, str(event["url"])
    raise AssertionError("onboard ended without a sign-in link")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
@pytest.mark.parametrize("api", ["connect", "v3"])
async def test_sigkill_then_allow_then_reconcile_records_the_grant(
    tmp_path: Path, api: str
) -> None:
    async with SandboxServer() as sandbox:
        env = env_for(tmp_path, api, sandbox)
        who = ["--customer", "Killed #1", "--login-hint", "killed.1@example.com"]
        if api == "connect":
            who = ["--account-id", "acct-killed-1"]
        proc, url = await onboarding_until_its_link(tmp_path, env, sandbox, api, *who)
        if api == "v3":
            # Nylas makes the grant, then answers the exchange only after the kill.
            sandbox.faults.add(
                Fault("POST", "/v3/connect/token", kind="slow", delay=30.0, after=True)
            )
            consent = asyncio.ensure_future(ConsentBot("allow").visit(url))
            async with asyncio.timeout(30):
                while not sandbox.v3_grants:  # noqa: ASYNC110 (the sandbox offers no event)
                    await asyncio.sleep(0.02)
        proc.send_signal(signal.SIGKILL)  # a crash, a power cut: nothing gets to tidy up
        await proc.wait()
        if api == "v3":
            with pytest.raises(httpx.HTTPError):  # the browser's page died with the process
                await consent
        else:
            with pytest.raises(httpx.ConnectError):  # the customer allows; the listener is gone
                await ConsentBot("allow").visit(url)
        grants = sandbox.v3_grants if api == "v3" else sandbox.grants
        assert len(grants) == 1
        (grant_id,) = grants

        code, out, err = await run(
            tmp_path, env, "history", "--reconcile", "--api", api, "--api-url", sandbox.url
        )
        assert code == 0, err
        assert "1 late grant(s) found" in out and grant_id in out and "matched by state" in out
        code, again, err = await run(
            tmp_path, env, "history", "--reconcile", "--api", api, "--api-url", sandbox.url
        )
        assert code == 0 and "late grant(s) found" not in again
    assert again.count(grant_id) == 1  # listed once, never recorded twice
    # No state at rest: only its SHA-256, and nowhere in the home folder.
    state = str(grants[grant_id]["state"])  # the grant carries the state (both APIs here)
    assert len(state) >= 22
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert state.encode() not in path.read_bytes(), path
    with sqlite3.connect(tmp_path / "data" / "history.sqlite3") as db:
        (digest,) = db.execute("SELECT state_sha256 FROM authorizations").fetchone()
    assert digest == hashlib.sha256(state.encode()).hexdigest()


async def test_reconcile_with_a_wrong_key_says_so_and_closes_nothing(tmp_path: Path) -> None:
    async with SandboxServer() as sandbox:
        env = env_for(tmp_path, "v3", sandbox)
        env["NYLAS_API_KEY"] = "nyk_wrong_key_0123456789"
        code, out, err = await run(
            tmp_path, env, "history", "--reconcile", "--api", "v3", "--api-url", sandbox.url
        )
    assert code == 1 and "Checking for late grants failed" in err
    assert "nyk_wrong_key_0123456789" not in out + err


async def test_reconcile_refuses_a_fresh_in_process_sandbox_and_says_what_to_do(
    tmp_path: Path,
) -> None:
    code, _out, err = await run(tmp_path, cli_env(tmp_path), "--sandbox", "history", "--reconcile")
    assert code == 2 and "zoom-onboard sandbox" in err


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
async def test_v3_killed_while_waiting_then_reconcile_says_the_consent_is_lost(
    tmp_path: Path,
) -> None:
    async with SandboxServer() as sandbox:
        env = env_for(tmp_path, "v3", sandbox)
        who = ("--customer", "Killed #2", "--login-hint", "killed.2@example.com")
        proc, url = await onboarding_until_its_link(tmp_path, env, sandbox, "v3", *who)
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        with pytest.raises(httpx.ConnectError):  # the customer allows; nobody listens
            await ConsentBot("allow").visit(str(url))
        # No flags: the sign-in's own target (its API and URL are in the history).
        code, out, err = await run(tmp_path, env, "history", "--reconcile")
        assert sandbox.v3_grants == {}  # v3 makes grants at the exchange: there is none
    assert code == 0, err
    assert f"Late grants (Nylas API v3, Custom API URL {sandbox.url})" in out
    assert "no longer listened for" in out and "late grant(s) found" not in out
    with sqlite3.connect(tmp_path / "data" / "history.sqlite3") as db:
        rows = db.execute("SELECT outcome, note FROM authorizations").fetchall()
    assert [r[0] for r in rows] == ["abandoned"]
    assert "cannot be recovered" in rows[0][1]


async def test_reconcile_without_flags_with_nothing_left_waiting(tmp_path: Path) -> None:
    code, out, err = await run(tmp_path, cli_env(tmp_path), "history", "--reconcile")
    assert code == 0, err
    assert "no sign-in was left waiting" in out
