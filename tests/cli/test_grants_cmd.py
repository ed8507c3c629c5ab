"""`zoom-onboard grants` as a subprocess against the sandbox: streamed rows, invalid first, the
status filter, the history's customer, CSV and JSON, re-authentication through the queue (the
same ids come back, valid), revoking, and a clear message for every bad input."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import pytest

from tests.helpers.cli import cli_env, spawn
from tests.helpers.ports import free_port
from tests.helpers.store import record_v3_grant
from wizard.sandbox import DEMO_CREDENTIALS, SandboxOptions, SandboxServer
from wizard.sandbox.consent_bot import ConsentBot
from wizard.store.history import History
from wizard.store.paths import AppPaths

pytestmark = pytest.mark.anyio

KEY = {"NYLAS_API_KEY": DEMO_CREDENTIALS.v3_api_key}  # no Zoom app: grants never ask Zoom


async def run(tmp_path: Path, *args: str, **env: str) -> tuple[int, str, str]:
    proc = await spawn(tmp_path, *args, env=cli_env(tmp_path, **env))
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def list_calls(sandbox: SandboxServer) -> int:
    return sum(1 for seen in sandbox.requests_seen if seen == ("GET", "/v3/grants"))


async def test_ten_thousand_grants_stream_invalid_first(tmp_path: Path) -> None:
    options = SandboxOptions(seed_grants=10_000, seed_invalid=25)
    async with SandboxServer(options) as sandbox:
        proc = await spawn(
            tmp_path,
            *("grants", "--csv", "--api", "v3", "--api-url", sandbox.url),
            env=cli_env(tmp_path, **KEY),
        )
        assert proc.stdout is not None
        async with asyncio.timeout(120):
            header = await proc.stdout.readline()
            first = await proc.stdout.readline()
            # Rows arrive while most pages are still unread: the pipe holds a few pages only.
            assert list_calls(sandbox) < 20
            rest = await proc.stdout.read()
            assert await proc.wait() == 0
    rows = list(csv.DictReader(io.StringIO((header + first + rest).decode())))
    assert len(rows) == 10_000 and len({r["grant_id"] for r in rows}) == 10_000
    assert [r["grant_status"] for r in rows[:25]] == ["invalid"] * 25
    assert {r["grant_status"] for r in rows[25:]} == {"valid"}
    assert list_calls(sandbox) == 1 + 51  # the invalid ones, then 50 full pages and an empty one


async def test_json_the_status_filter_and_the_summary(tmp_path: Path) -> None:
    code, out, err = await run(tmp_path, "grants", "--sandbox", "--api", "v3", "--json")
    assert code == 0, err
    grants = json.loads(out)
    assert len(grants) == 12 and [g["grant_status"] for g in grants[:3]] == ["invalid"] * 3
    assert "12 Zoom grant(s), 3 invalid" in err and "--reauthenticate" in err
    code, out, _ = await run(tmp_path, "grants", "--sandbox", "--api", "v3", "--status", "valid")
    rows = out.splitlines()[2:-1]  # below the header, above the summary
    assert code == 0 and len(rows) == 9 and all(r.startswith("valid ") for r in rows)
    assert out.splitlines()[-1] == "9 Zoom grant(s), 0 invalid."


async def test_the_history_names_the_customer_and_csv_cells_are_guarded(tmp_path: Path) -> None:
    async with SandboxServer() as sandbox:
        known = sandbox.add_v3_grant(email="=HYPERLINK@evil.example", grant_status="invalid")
        other = sandbox.add_v3_grant(email="b@globex.example")
        history = History(*_history_paths(tmp_path))
        record_v3_grant(history, known["id"], "Acme #7", region="custom")
        code, out, err = await run(
            tmp_path, "grants", "--csv", "--api", "v3", "--api-url", sandbox.url, **KEY
        )
    assert code == 0, err
    rows = {r["grant_id"]: r for r in csv.DictReader(io.StringIO(out))}
    assert rows[known["id"]]["customer"] == "Acme #7" and rows[known["id"]]["profile"] == "Support"
    assert rows[known["id"]]["email"] == "'=HYPERLINK@evil.example"  # never run as a formula
    assert rows[other["id"]]["customer"] == "" and rows[other["id"]]["recorded_at"] == ""


def _history_paths(home: Path) -> tuple[Path, Path]:
    """The history the command reads with ZOOM_ONBOARD_HOME=home."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ZOOM_ONBOARD_HOME", str(home))
        paths = AppPaths.default()
    return paths.history_db, paths.history_fallback


async def test_invalid_grants_are_renewed_through_the_queue_with_the_same_ids(
    tmp_path: Path,
) -> None:
    code, out, err = await run(
        tmp_path, "grants", "--sandbox", "--api", "v3", "--status", "invalid", "--json"
    )
    invalid = {g["grant_id"]: g["email"] for g in json.loads(out)}
    assert code == 0 and len(invalid) == 3, err
    code, out, err = await run(tmp_path, "grants", "--sandbox", "--api", "v3", "--reauthenticate")
    assert code == 0 and "3 re-authentication(s) added to the queue" in out, err
    assert "zoom-onboard queue run --sandbox --api v3" in out
    code, out, _ = await run(tmp_path, "grants", "--sandbox", "--api", "v3", "--reauthenticate")
    assert "0 re-authentication(s) added" in out and "3 already in the queue" in out
    # The queue runs them as usual; a new --sandbox has the same practice grants.
    proc = await spawn(
        tmp_path,
        *("queue", "run", "--sandbox", "--api", "v3", "--json", "--no-browser"),
        *("--redirect-uri", f"http://localhost:{free_port()}/callback"),
    )
    assert proc.stdout is not None
    events: list[dict[str, object]] = []
    async with asyncio.timeout(60):
        while line := (await proc.stdout.readline()).decode():
            events.append(json.loads(line))
            if events[-1]["event"] == "auth_url":
                assert await ConsentBot("allow")(str(events[-1]["url"]))
        assert await proc.wait() == 0
    renewed = [e for e in events if e["event"] == "grant"]
    assert {str(e["grant_id"]): e["email"] for e in renewed} == invalid  # the same ids
    assert all(e["renewed"] and e["grant_status"] == "valid" for e in renewed)


async def test_revoking_asks_unless_yes_and_marks_the_history(tmp_path: Path) -> None:
    async with SandboxServer(SandboxOptions(seed_grants=3, seed_invalid=1)) as sandbox:
        grant_id, grant = next(iter(sandbox.v3_grants.items()))
        where = ("--api", "v3", "--api-url", sandbox.url)
        record_v3_grant(
            History(*_history_paths(tmp_path)), grant_id, "Acme", profile="", region="custom"
        )
        code, out, err = await run(tmp_path, "grants", "--revoke", grant_id, *where, **KEY)
        assert code == 2 and grant_id in sandbox.v3_grants
        assert "cannot be undone" in err and "--yes" in err and grant["email"] in err
        code, out, err = await run(
            tmp_path, "grants", "--revoke", grant_id, "--yes", "--json", *where, **KEY
        )
        assert code == 0, err
        assert grant_id not in sandbox.v3_grants
        event = json.loads(out)
        assert event["event"] == "revoked" and event["email"] == grant["email"]
        code, out, err = await run(tmp_path, "history", "--csv")
    row = next(csv.DictReader(io.StringIO(out)))
    assert row["grant_id"] == grant_id and row["grant_status"] == "deleted"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--revoke", "not a grant!"), "is not a Nylas grant id"),
        (("--revoke", "4394b253-0000", "--yes"), "Nylas has no grant 4394b253-0000"),
        (("--csv", "--revoke", "g-1"), "leave it out with --reauthenticate or --revoke"),
        (("--status", "valid", "--reauthenticate"), "leave --status out"),
        (("--yes",), "--yes answers the question of --revoke"),
        (("--status", "expired"), "invalid choice: 'expired'"),
        (("--reauthenticate", "g-1", "--revoke", "g-2"), "not allowed with argument"),
    ],
)
async def test_every_bad_input_exits_2_and_says_what_to_do(
    tmp_path: Path, args: tuple[str, ...], said: str
) -> None:
    code, _out, err = await run(tmp_path, "grants", "--sandbox", "--api", "v3", *args)
    assert code == 2 and said in err, err


async def test_missing_credentials_name_only_nylas_s(tmp_path: Path) -> None:
    code, _out, err = await run(tmp_path, "grants", "--api", "v3", "--region", "eu")
    assert code == 2 and "NYLAS_API_KEY" in err and "ZOOM_CLIENT" not in err
