"""`onboard --remote` and `zoom-onboard finish` as processes: one command sends the link, the
customer elsewhere answers (ConsentBot(stop_at_redirect=True)), another command takes the
answer, with the link's secret waiting in a real Secret Service between the two."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.helpers.cli import onboard_args, spawn
from tests.helpers.flows import EMAIL
from wizard.outcome import Outcome
from wizard.sandbox import SandboxServer
from wizard.sandbox.consent_bot import ConsentBot

pytestmark = [pytest.mark.anyio, pytest.mark.linux_only]  # the secrets go to GNOME Keyring


@pytest.fixture
def env(sandbox: SandboxServer, secret_service: dict[str, str]) -> dict[str, str]:
    """The environment of a command on the sandbox's v3 API, with a real Secret Service."""
    creds = sandbox.credentials
    base = {k: v for k, v in secret_service.items() if not k.startswith(("NYLAS_", "ZOOM_CLIENT"))}
    return {
        **base,
        "NYLAS_API_KEY": creds.v3_api_key,
        "ZOOM_CLIENT_ID": creds.zoom_client_id,
        "ZOOM_CLIENT_SECRET": creds.zoom_client_secret,
    }


async def run(
    tmp_path: Path, env: dict[str, str], *args: str, stdin: bytes | None = None
) -> tuple[int, list[dict[str, object]], str]:
    pipe = asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL
    proc = await spawn(tmp_path, *args, env=env, stdin=pipe)
    async with asyncio.timeout(60):
        out, err = await proc.communicate(stdin)
    events = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    return proc.returncode or 0, events, out.decode() + err.decode()


async def send(tmp_path: Path, sandbox: SandboxServer, env: dict[str, str]) -> dict[str, object]:
    args = onboard_args("--api", "v3", "--api-url", sandbox.url, "--remote", "--json")
    code, events, output = await run(
        tmp_path, env, *args, "--customer", "Acme #123", "--login-hint", EMAIL
    )
    assert code == Outcome.OK, output
    (sent,) = [e for e in events if e["event"] == "link_sent"]
    return sent


async def answer(url: object, decision: str = "allow") -> str:
    bot = ConsentBot(decision, stop_at_redirect=True)  # type: ignore[arg-type]
    await bot.visit(str(url))
    return await bot.next_answer(timeout=10)


async def test_one_command_sends_the_link_and_another_finishes_it(
    tmp_path: Path, sandbox: SandboxServer, env: dict[str, str]
) -> None:
    sent = await send(tmp_path, sandbox, env)
    message = str(sent["message"])
    assert str(sent["url"]) in message and EMAIL in message and "address bar" in message
    address = await answer(sent["url"])

    # No flags: the link names the application it was sent with.
    code, events, output = await run(tmp_path, env, "finish", address, "--json")
    assert code == Outcome.OK, output
    (grant,) = [e for e in events if e["event"] == "grant"]
    assert grant["verified"] is True and grant["email"] == EMAIL
    assert grant["customer"] == "Acme #123"

    again, _, said = await run(tmp_path, env, "finish", address)
    assert again == Outcome.BAD_INPUT and "used already" in said

    listed, _, history = await run(tmp_path, env, "history", "--json")
    (row,) = json.loads(history[: history.rindex("]") + 1])
    assert listed == Outcome.OK and "by link" in row["note"]


async def test_the_answer_can_come_on_standard_input_and_a_decline_is_said(
    tmp_path: Path, sandbox: SandboxServer, env: dict[str, str]
) -> None:
    sent = await send(tmp_path, sandbox, env)
    address = await answer(sent["url"], "deny")
    mail = f"Hi,\n\nhere is what I got:\n{address}\n\nBest".encode()
    code, events, output = await run(tmp_path, env, "finish", "-", "--json", stdin=mail)
    assert code == Outcome.FAILED, output
    (declined,) = [e for e in events if e["event"] == "declined"]
    assert declined["customer"] == "Acme #123" and declined["reason"]


@pytest.mark.parametrize(
    ("answer_text", "words"),
    [
        ("thanks, it worked", "no answer in what was pasted"),
        (
            "http://localhost:9007/callback?code=abcdefgh12&state=not-a-state-of-ours",
            "names no link",
        ),
    ],
)
async def test_a_bad_answer_exits_2_saying_what_to_ask_for(
    tmp_path: Path, secret_service: dict[str, str], answer_text: str, words: str
) -> None:
    code, _, output = await run(tmp_path, secret_service, "finish", answer_text)
    assert code == Outcome.BAD_INPUT and words in output


async def test_queue_run_remote_sends_a_link_per_entry_and_each_answer_finishes_its_own(
    tmp_path: Path, sandbox: SandboxServer, env: dict[str, str]
) -> None:
    people = "a@example.com,Acme\nb@example.com,Beta\n"
    added, _, output = await run(tmp_path, env, "queue", "add", "-", stdin=people.encode())
    assert added == Outcome.OK, output
    where = ("--api", "v3", "--api-url", sandbox.url)
    code, events, output = await run(tmp_path, env, "queue", "run", "--remote", "--json", *where)
    assert code == Outcome.OK, output
    sent = [e for e in events if e["event"] == "link_sent"]
    assert [e["customer"] for e in sent] == ["Acme", "Beta"]
    _, _, listed = await run(tmp_path, env, "queue", "list", "--json")
    assert {e["state"] for e in json.loads(listed[: listed.rindex("]") + 1])} == {"sent"}

    for link in reversed(sent):  # Beta answers first
        code, finished, output = await run(
            tmp_path, env, "finish", await answer(link["url"]), "--json"
        )
        assert code == Outcome.OK, output
        (grant,) = [e for e in finished if e["event"] == "grant"]
        assert grant["customer"] == link["customer"]
    _, _, listed = await run(tmp_path, env, "queue", "list", "--json")
    entries = json.loads(listed[: listed.rindex("]") + 1])
    assert [(e["customer"], e["state"]) for e in entries] == [
        ("Acme", "connected"),
        ("Beta", "connected"),
    ]
