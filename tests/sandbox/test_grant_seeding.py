"""The sandbox's practice grants: N Zoom grants on both APIs, M of them invalid, the same set in
every process; the wizard's and the `--sandbox` commands' small worklist; the `sandbox` flags."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers.cli import cli_env, spawn
from wizard.sandbox import DEMO_CREDENTIALS, PRACTICE_OPTIONS, SandboxOptions, SandboxServer
from wizard.sandbox.seeding import practice_grants

pytestmark = pytest.mark.anyio


async def test_both_apis_serve_the_seeded_grants_in_every_state() -> None:
    async with SandboxServer(SandboxOptions(seed_grants=30, seed_invalid=7)) as sandbox:
        key = sandbox.credentials.v3_api_key
        async with httpx.AsyncClient(base_url=sandbox.url) as client:
            answer = await client.get(
                "/v3/grants",
                params={"provider": "zoom", "grant_status": "invalid", "limit": 200},
                headers={"authorization": f"Bearer {key}"},
            )
        v3, connect = sandbox.v3_grants, sandbox.grants
    invalid = answer.json()["data"]
    assert len(invalid) == 7 and {g["grant_status"] for g in invalid} == {"invalid"}
    assert len(v3) == len(connect) == 30
    assert sorted(g["grant_status"] for g in connect.values()).count("invalid") == 7
    emails = [g["email"] for g in v3.values()]
    assert len(set(emails)) == 30 and all(e.endswith(".example") for e in emails)
    assert "zoom.user@example.com" not in emails  # the trainee's own Zoom user is free
    for grant in v3.values():
        assert grant["created_at"] <= grant["updated_at"] < time.time() - 3600


def test_the_set_is_the_same_in_every_process_but_for_the_clock() -> None:
    first, second = practice_grants(50, 5, 1_800_000_000), practice_grants(50, 5, 1_800_000_000)
    assert first == second
    later = practice_grants(50, 5, 1_800_086_400)
    assert [(g.id, g.email, g.grant_status) for g in later] == [
        (g.id, g.email, g.grant_status) for g in first
    ]
    # Scattered, not the first ones.
    assert [g.grant_status for g in first[:5]] != ["invalid"] * 5


@pytest.mark.parametrize(("grants", "invalid"), [(3, 4), (-1, 0), (100_001, 0)])
def test_numbers_out_of_range_are_refused_by_name(grants: int, invalid: int) -> None:
    with pytest.raises(ValueError, match="must be between"):
        SandboxOptions(seed_grants=grants, seed_invalid=invalid)


async def test_the_default_sandbox_has_none_and_the_practice_one_a_small_worklist() -> None:
    async with SandboxServer() as plain, SandboxServer(PRACTICE_OPTIONS) as practice:
        assert plain.v3_grants == {} and plain.grants == {}
        statuses = [g["grant_status"] for g in practice.v3_grants.values()]
    assert len(statuses) == 12 and statuses.count("invalid") == 3


async def test_the_sandbox_command_takes_grants_and_invalid(tmp_path: Path) -> None:
    proc = await spawn(tmp_path, "sandbox", "--grants", "40", "--invalid", "4")
    assert proc.stdout is not None
    try:
        said = ""
        async with asyncio.timeout(20):
            while "Stop with Ctrl+C" not in said:
                said += (await proc.stdout.readline()).decode()
        assert "Practice grants: 40 Zoom users, 4 of them invalid" in said
        url = said.split(" at ", 1)[1].split()[0]
        demo = DEMO_CREDENTIALS
        async with httpx.AsyncClient(base_url=url) as client:
            listed = await client.get(
                "/connect/grants",
                params={"limit": 200},
                auth=(demo.nylas_client_id, demo.nylas_client_secret),
            )
        grants = listed.json()["data"]
        assert len(grants) == 40
        assert [g["grant_status"] for g in grants].count("invalid") == 4
    finally:
        proc.terminate()
        await proc.wait()


async def test_more_invalid_than_grants_is_refused_with_what_to_give(tmp_path: Path) -> None:
    proc = await spawn(
        tmp_path, "sandbox", "--grants", "2", "--invalid", "3", env=cli_env(tmp_path)
    )
    _out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    assert "--invalid 3 is more than --grants 2" in err.decode()
