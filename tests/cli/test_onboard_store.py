"""The headless command with the store: history rows that survive SIGKILL, and profiles."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

import pytest

from tests.helpers.cli import cli_env, onboard_args, run_onboard, spawn
from tests.helpers.ports import free_port
from wizard.sandbox.consent_bot import ConsentBot
from wizard.store.history import History
from wizard.store.paths import HOME_ENV, AppPaths
from wizard.store.profiles import Profile, ProfileStore
from wizard.target import Api

pytestmark = pytest.mark.anyio


def history_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> History:
    monkeypatch.setenv(HOME_ENV, str(tmp_path))
    paths = AppPaths.default()
    return History(paths.history_db, paths.history_fallback)


@pytest.mark.posix_only  # SIGKILL
async def test_grant_survives_sigkill_right_after_the_callback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = onboard_args("--sandbox", "--json", "--account-id", "acct-killed")
    proc = await spawn(tmp_path, *args, env=cli_env(tmp_path))
    assert proc.stdout is not None
    browser: asyncio.Task[bool] | None = None
    grant_id = None
    async with asyncio.timeout(30):
        while line := await proc.stdout.readline():
            event = json.loads(line)
            if event["event"] == "auth_url":
                browser = asyncio.create_task(ConsentBot("allow")(event["url"]))
            elif event["event"] == "grant_captured":
                os.kill(proc.pid, signal.SIGKILL)  # before verification, before anything else
                grant_id = event["grant_id"]
                break
        await proc.wait()
    if browser is not None:
        await asyncio.gather(browser, return_exceptions=True)
    assert proc.returncode == -signal.SIGKILL
    records = history_in(tmp_path, monkeypatch).records()
    assert [(r.grant_id, r.account_id) for r in records] == [(grant_id, "acct-killed")]
    # Killed before or (on a loaded machine) just after its verification was written.
    assert records[0].verified in (None, True)


async def test_completed_onboarding_is_in_the_history_verified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, events, output = await run_onboard(tmp_path, "--sandbox", "--account-id", "acct-ok")
    assert code == 0, output
    records = history_in(tmp_path, monkeypatch).records(account_id="acct-ok")
    assert len(records) == 1
    record = records[0]
    assert record.grant_id == events[-1]["grant_id"]
    assert (record.verified, record.email, record.region) == (
        True,
        "zoom.user@example.com",
        "sandbox",
    )
    assert record.integration_id

    history_cmd = await spawn(
        tmp_path,
        "history",
        "--csv",
        "--include-practice",  # made on the sandbox: practice, listed only when asked
        "--account-id",
        "acct-ok",
        env=cli_env(tmp_path),
    )
    out, _ = await history_cmd.communicate()
    assert history_cmd.returncode == 0
    assert record.grant_id in out.decode()


async def test_profile_supplies_region_and_redirect_uri(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HOME_ENV, str(tmp_path))
    port = free_port()
    ProfileStore(AppPaths.default().profiles_file).save(
        Profile(
            name="training",
            region="sandbox",
            integration_name="Zoom (training)",
            redirect_uri=f"http://127.0.0.1:{port}/callback",
        )
    )
    proc = await spawn(
        tmp_path,
        "onboard",
        "--api",
        "connect",
        "--profile",
        "training",
        "--json",
        "--no-browser",
        "--account-id",
        "acct-p",
        env=cli_env(tmp_path),
    )
    assert proc.stdout is not None
    events = []
    async with asyncio.timeout(30):
        while line := await proc.stdout.readline():
            events.append(json.loads(line))
            if events[-1]["event"] == "auth_url":
                await ConsentBot("allow")(events[-1]["url"])
        await proc.wait()
    assert proc.returncode == 0, events
    integration = events[0]
    assert integration["name"] == "Zoom (training)"
    assert integration["redirect_uris"] == [f"http://127.0.0.1:{port}/callback"]
    record = History(AppPaths.default().history_db, AppPaths.default().history_fallback).records()[
        0
    ]
    assert record.profile == "training"


async def test_unknown_profile_exits_2_naming_the_saved_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HOME_ENV, str(tmp_path))
    ProfileStore(AppPaths.default().profiles_file).save(Profile(name="acme", region="eu"))
    code, events, output = await run_onboard(
        tmp_path, "--profile", "acme-typo", "--account-id", "a"
    )
    assert code == 2, output
    assert "acme" in str(events[-1]["message"])


def test_profile_secrets_come_from_the_keyring_unless_the_environment_has_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, memory_keyring: object
) -> None:
    from pydantic import SecretStr

    from wizard.cli.where import saved_values
    from wizard.store.secrets import SecretStore

    monkeypatch.setenv(HOME_ENV, str(tmp_path))
    profile = Profile(name="acme", region="eu", nylas_client_id="n-id", zoom_client_id="z-id")
    store = SecretStore()
    store.set("acme", "nylas_client_secret", SecretStr("from-keyring-n"))
    store.set("acme", "zoom_client_secret", SecretStr("from-keyring-z"))
    monkeypatch.delenv("NYLAS_CLIENT_SECRET", raising=False)
    monkeypatch.setenv("ZOOM_CLIENT_SECRET", "from-env-z")
    values = saved_values(profile, Api.CONNECT)
    assert values == {
        "NYLAS_CLIENT_ID": "n-id",
        "ZOOM_CLIENT_ID": "z-id",
        "NYLAS_CLIENT_SECRET": "from-keyring-n",
    }
