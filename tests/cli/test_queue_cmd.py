"""`zoom-onboard queue` as a subprocess: all-or-nothing import, a run that works through the
entries with onboard's events, Ctrl+C that records the current entry, clear --done."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import each_event, spawn
from tests.helpers.ports import free_port
from wizard.sandbox.consent_bot import ConsentBot

pytestmark = pytest.mark.anyio


async def run(tmp_path: Path, *args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    proc = await spawn(tmp_path, *args, stdin=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(stdin or b""), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def listed(tmp_path: Path) -> list[dict[str, object]]:
    code, out, err = await run(tmp_path, "queue", "list", "--sandbox", "--json")
    assert code == 0, err
    entries: list[dict[str, object]] = json.loads(out)
    return entries


async def run_queue(
    tmp_path: Path, decisions: list[str], *extra: str
) -> tuple[int, list[dict[str, object]]]:
    proc = await spawn(
        tmp_path,
        "queue",
        "run",
        "--sandbox",
        "--json",
        "--no-browser",
        "--redirect-uri",
        f"http://127.0.0.1:{free_port()}/callback",
        *extra,
    )
    events: list[dict[str, object]] = []
    async with asyncio.timeout(60):
        async for event in each_event(proc, events):
            if event["event"] == "auth_url":
                await ConsentBot(decisions.pop(0))(str(event["url"]))  # type: ignore[arg-type]
        code = await proc.wait()
    return code, events


async def test_a_bad_line_imports_nothing_and_every_bad_line_is_named(tmp_path: Path) -> None:
    text = b"Account id,Customer\nacct-1,Acme\nbad id!,X\nacct-1,Again\n"
    code, _out, err = await run(tmp_path, "queue", "add", "--sandbox", "-", stdin=text)
    assert code == 2
    assert "line 3:" in err and "line 4:" in err and "Nothing was imported" in err
    assert await listed(tmp_path) == []


async def test_run_works_through_the_queue_with_onboards_events(tmp_path: Path) -> None:
    text = b"Account id\tCustomer\nacct-1\tAcme #1\nacct-2\tGlobex\nacct-3\tInitech\n"
    code, out, err = await run(tmp_path, "queue", "add", "--sandbox", "-", stdin=text)
    assert code == 0 and "Added 3 practice entries" in out, err
    code, events = await run_queue(tmp_path, ["allow", "deny", "allow"], "--api", "connect")
    assert code == 0  # the last entry's outcome
    names = [e["event"] for e in events]
    assert names.count("entry") == 3 and names.count("grant") == 2 and names.count("error") == 1
    entries = await listed(tmp_path)
    assert [e["state"] for e in entries] == ["connected", "refused", "connected"]
    grants = [e["grant_id"] for e in entries if e["state"] == "connected"]
    assert all(grants) and len(set(grants)) == 2
    assert "declined" in str(entries[1]["reason"]).lower()
    # The history has the grants too, as practice.
    code, out, _ = await run(tmp_path, "history", "--csv")
    assert not any(str(g) in out for g in grants)  # practice is never mixed in unasked
    code, out, _ = await run(tmp_path, "history", "--csv", "--include-practice")
    assert all(str(g) in out for g in grants)
    code, out, _ = await run(tmp_path, "queue", "clear", "--sandbox", "--done")
    assert "Removed 2 done entries" in out
    assert [e["account_id"] for e in await listed(tmp_path)] == ["acct-2"]
    # Real and practice queues never mix.
    code, out, _ = await run(tmp_path, "queue", "list")
    assert "The queue is empty" in out


async def test_v3_entries_by_zoom_email(tmp_path: Path) -> None:
    text = b"zoom.a@example.com,Acme\nzoom.b@example.com\n"
    await run(tmp_path, "queue", "add", "--sandbox", "-", stdin=text)
    code, events = await run_queue(tmp_path, ["allow", "allow"], "--api", "v3")
    assert code == 0
    emails = [e["email"] for e in events if e["event"] == "grant"]
    assert emails == ["zoom.a@example.com", "zoom.b@example.com"]  # the login hint prefilled
    entries = await listed(tmp_path)
    assert [e["email"] for e in entries] == emails
    assert [e["customer"] for e in entries] == ["Acme", None]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT")
async def test_ctrl_c_records_the_current_entry_and_stops(tmp_path: Path) -> None:
    await run(tmp_path, "queue", "add", "--sandbox", "-", stdin=b"acct-1\nacct-2\n")
    proc = await spawn(
        tmp_path,
        "queue",
        "run",
        "--sandbox",
        "--api",
        "connect",
        "--json",
        "--no-browser",
        "--redirect-uri",
        f"http://127.0.0.1:{free_port()}/callback",
    )
    async with asyncio.timeout(30):
        async for event in each_event(proc):
            if event["event"] == "auth_url":
                proc.send_signal(signal.SIGINT)  # nobody consents; the operator stops
                break
        code = await proc.wait()
    assert code == 3
    first, second = await listed(tmp_path)
    # Waiting again, with why: running the queue again takes it (a 'failed' one it never did).
    assert first["state"] == "waiting" and "Ctrl+C" in str(first["reason"])
    assert second["state"] == "waiting"


async def test_a_file_that_cannot_be_read_says_what_to_give_instead(tmp_path: Path) -> None:
    code, _out, err = await run(tmp_path, "queue", "add", str(tmp_path / "missing.csv"))
    assert code == 2
    assert "Cannot read" in err and "No such file" in err and "standard input" in err
    assert "Unexpected" not in err


async def v3_run_with_timeout(tmp_path: Path, seconds: int) -> asyncio.subprocess.Process:
    """`queue run` on v3 in the sandbox, giving up on each customer after `seconds`."""
    return await spawn(
        tmp_path,
        "queue",
        "run",
        "--sandbox",
        "--api",
        "v3",
        "--json",
        "--no-browser",
        "--timeout",
        str(seconds),
        "--redirect-uri",
        f"http://localhost:{free_port()}/callback",
    )


async def test_a_late_consent_is_caught_while_the_next_entry_waits(tmp_path: Path) -> None:
    # Nylas v3 makes the grant at the code exchange: only the running command, still
    # listening, can turn the first customer's late Allow into a grant.
    await run(
        tmp_path, "queue", "add", "--sandbox", "-", stdin=b"late@example.com\nnext@example.com\n"
    )
    proc = await v3_run_with_timeout(tmp_path, 2)
    links: list[str] = []
    events: list[dict[str, object]] = []
    async with asyncio.timeout(60):
        async for event in each_event(proc, events):
            if event["event"] == "auth_url":
                links.append(str(event["url"]))
                if len(links) == 2:  # the first timed out; its customer allows only now
                    late = await ConsentBot("allow").visit(links[0])
                    assert "Zoom is connected" in late.text
            if event["event"] == "late_answer":
                await ConsentBot("allow").visit(links[1])
        code = await proc.wait()
    assert code == 0
    names = [e["event"] for e in events]
    assert names.index("error") < names.index("late_answer") < names.index("grant")
    (answer,) = [e for e in events if e["event"] == "late_answer"]
    assert answer["email"] == "late@example.com" and answer["grant_id"]
    entries = await listed(tmp_path)
    assert [e["state"] for e in entries] == ["connected", "connected"]
    assert entries[0]["grant_id"] == answer["grant_id"]
    code, out, _ = await run(tmp_path, "history", "--csv", "--include-practice")
    assert out.count(str(answer["grant_id"])) == 1  # one grant, one row


async def test_an_earlier_link_is_listened_for_after_the_last_entry(tmp_path: Path) -> None:
    await run(tmp_path, "queue", "add", "--sandbox", "-", stdin=b"late@example.com\n")
    proc = await v3_run_with_timeout(tmp_path, 1)
    names: list[str] = []
    async with asyncio.timeout(60):
        async for event in each_event(proc):
            names.append(str(event["event"]))
            if event["event"] == "auth_url":
                link = str(event["url"])
            if event["event"] == "listening":  # the run is over; the first link still works
                assert event["count"] == 1
                await ConsentBot("allow").visit(link)
        code = await proc.wait()
    assert names[-3:-1] == ["error", "listening"] and names[-1] == "late_answer"
    assert code == 0  # the last entry is connected after all
    (entry,) = await listed(tmp_path)
    assert entry["state"] == "connected"


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT")
async def test_ctrl_c_with_an_earlier_link_open_says_it_stops_being_listened_for(
    tmp_path: Path,
) -> None:
    await run(tmp_path, "queue", "add", "--sandbox", "-", stdin=b"a@example.com\nb@example.com\n")
    proc = await v3_run_with_timeout(tmp_path, 1)
    links = 0
    warnings: list[str] = []
    async with asyncio.timeout(30):
        async for event in each_event(proc):
            if event["event"] == "warning":
                warnings.append(str(event["message"]))
            if event["event"] == "auth_url":
                links += 1
                if links == 2:  # the first timed out and is still listened for
                    proc.send_signal(signal.SIGINT)
        code = await proc.wait()
    assert code == 3
    # The timed-out first entry's link and the interrupted second one's.
    assert any("2 sign-in link(s) that still work are no longer" in w for w in warnings)
    first, second = await listed(tmp_path)
    assert first["state"] == "failed"  # its customer did not answer in time
    assert second["state"] == "waiting" and "Ctrl+C" in str(second["reason"])


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT")
async def test_a_second_run_on_the_same_port_takes_no_entry_and_ctrl_c_runs_again(
    tmp_path: Path,
) -> None:
    await run(tmp_path, "queue", "add", "--sandbox", "-", stdin=b"acct-1\nacct-2\n")
    redirect = f"http://127.0.0.1:{free_port()}/callback"
    common = ("queue", "run", "--sandbox", "--api", "connect", "--json", "--no-browser")
    first = await spawn(tmp_path, *common, "--redirect-uri", redirect)
    async with asyncio.timeout(30):
        async for event in each_event(first):
            if event["event"] == "auth_url":
                break  # the first run holds the port and waits for acct-1's customer
    code, out, _err = await run(tmp_path, *common, "--redirect-uri", redirect)
    assert code == 2
    (error,) = [json.loads(x) for x in out.splitlines() if '"error"' in x]
    assert error["type"] == "port_in_use"
    assert [e["state"] for e in await listed(tmp_path)] == ["in progress", "waiting"]
    first.send_signal(signal.SIGINT)
    assert await first.wait() == 3
    assert [e["state"] for e in await listed(tmp_path)] == ["waiting", "waiting"]
    # Run again: it takes the interrupted entry first.
    code, events = await run_queue(tmp_path, ["allow", "allow"], "--api", "connect")
    assert code == 0
    taken = [e["account_id"] for e in events if e["event"] == "entry"]
    assert taken == ["acct-1", "acct-2"]
    assert [e["state"] for e in await listed(tmp_path)] == ["connected", "connected"]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
async def test_an_entry_of_a_killed_run_is_taken_again(tmp_path: Path) -> None:
    await run(tmp_path, "queue", "add", "--sandbox", "-", stdin=b"acct-1\n")
    killed = await spawn(
        tmp_path,
        *("queue", "run", "--sandbox", "--api", "connect", "--json", "--no-browser"),
        *("--redirect-uri", f"http://127.0.0.1:{free_port()}/callback"),
    )
    async with asyncio.timeout(30):
        async for event in each_event(killed):
            if event["event"] == "auth_url":
                killed.send_signal(signal.SIGKILL)  # nothing gets to record anything
                break
    await killed.wait()
    assert [e["state"] for e in await listed(tmp_path)] == ["in progress"]
    code, events = await run_queue(tmp_path, ["allow"], "--api", "connect")
    assert code == 0 and [e["event"] for e in events].count("entry") == 1
    assert [e["state"] for e in await listed(tmp_path)] == ["connected"]


@pytest.mark.parametrize(
    ("stdin", "code", "said"),
    [
        (b"\xef\xbb\xbfacct-1,Acme\n", 0, "Added 1 practice entry"),
        ("acct-1,Ärzte GmbH\n".encode("latin-1"), 2, "save it as 'CSV UTF-8'"),
        (b"acct-1,Acme\nacct-2," + b"x" * 200_000 + b"\n", 2, "line 2: a cell is far too long"),
        (b"acct-1;Acme\nacct-2;Globex\n", 0, "Added 2 practice entries"),
    ],
    ids=["bom", "latin-1", "huge-field", "semicolons"],
)
async def test_queue_add_from_standard_input_like_from_a_file(
    tmp_path: Path, stdin: bytes, code: int, said: str
) -> None:
    got, out, err = await run(tmp_path, "queue", "add", "--sandbox", "-", stdin=stdin)
    assert got == code, err
    assert said in (out if code == 0 else err)
    assert "Traceback" not in err and "codec" not in err
