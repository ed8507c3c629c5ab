"""The headless command as a subprocess: events, exit codes, and no secret anywhere visible."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.helpers.cli import cli_env, onboard_args, run_onboard, spawn
from tests.helpers.ports import free_port
from wizard.log_files import newest_log
from wizard.sandbox import DEMO_CREDENTIALS
from wizard.sandbox.consent_bot import ConsentBot

pytestmark = pytest.mark.anyio

SECRETS = (
    DEMO_CREDENTIALS.nylas_client_secret,
    DEMO_CREDENTIALS.zoom_client_secret,
    DEMO_CREDENTIALS.v3_api_key,
)


async def test_sandbox_onboarding_gives_a_grant_event_and_exit_0(tmp_path: Path) -> None:
    code, events, output = await run_onboard(tmp_path, "--sandbox", "--account-id", "acct-1")
    assert code == 0, output
    names = [e["event"] for e in events]
    assert names[0] == "integration"
    assert "auth_url" in names
    grant = events[-1]
    assert grant["event"] == "grant"
    assert grant["verified"] is True
    assert grant["provider"] == "zoom"
    assert grant["email"] == "zoom.user@example.com"
    for secret in SECRETS:
        assert secret not in output


async def test_secrets_from_the_environment_never_show(tmp_path: Path) -> None:
    env = cli_env(
        tmp_path,
        NYLAS_CLIENT_ID=DEMO_CREDENTIALS.nylas_client_id,
        NYLAS_CLIENT_SECRET=DEMO_CREDENTIALS.nylas_client_secret,
        ZOOM_CLIENT_ID=DEMO_CREDENTIALS.zoom_client_id,
        ZOOM_CLIENT_SECRET=DEMO_CREDENTIALS.zoom_client_secret,
    )
    bot = ConsentBot("allow")
    code, _events, output = await run_onboard(
        tmp_path, "--sandbox", "--account-id", "acct-1", env=env, bot=bot
    )
    assert code == 0, output
    for secret in SECRETS:
        assert secret not in output
    log_text = newest_log(tmp_path / "logs" / "zoom-onboard.log").read_text()
    assert "POST /connect/auth -> 200" in log_text  # the log is real, and was written
    # The state travelled in the final redirect to the listener; it is not in the log.
    state = parse_qs(urlsplit(bot.visits[-1].final_url).query)["state"][0]
    assert len(state) >= 22
    assert state not in log_text
    for path in tmp_path.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            for secret in SECRETS:
                assert secret.encode() not in content, path


async def test_decline_exits_1_with_an_error_event(tmp_path: Path) -> None:
    code, events, output = await run_onboard(
        tmp_path, "--sandbox", "--account-id", "acct-1", decision="deny"
    )
    assert code == 1, output
    assert events[-1]["event"] == "error"
    assert events[-1]["type"] == "refused"
    assert "declined" in str(events[-1]["message"]).lower()


async def test_timeout_exits_3(tmp_path: Path) -> None:
    code, events, output = await run_onboard(
        tmp_path, "--sandbox", "--account-id", "acct-1", "--timeout", "1", decision=None
    )
    assert code == 3, output
    assert events[-1]["event"] == "error" and events[-1]["type"] == "timeout"


async def test_bad_account_id_exits_2_before_any_network(tmp_path: Path) -> None:
    code, events, output = await run_onboard(tmp_path, "--sandbox", "--account-id", "no spaces!")
    assert code == 2, output
    assert events == [events[-1]] and events[-1]["type"] == "invalid_input"
    assert "--account-id" in str(events[-1]["message"])
    assert "account id" in str(events[-1]["message"])


async def test_missing_credentials_exit_2_and_name_the_variables(tmp_path: Path) -> None:
    code, events, output = await run_onboard(
        tmp_path, "--api-url", "http://127.0.0.1:9", "--account-id", "acct-1"
    )
    assert code == 2, output
    assert "NYLAS_CLIENT_SECRET" in str(events[-1]["message"])


async def test_plain_output_for_people(tmp_path: Path) -> None:
    args = onboard_args("--sandbox", "--account-id", "acct-1")
    proc = await spawn(tmp_path, *args, env=cli_env(tmp_path))
    assert proc.stdout is not None
    lines = []
    async with asyncio.timeout(30):
        while line := (await proc.stdout.readline()).decode():
            lines.append(line)
            if line.strip().startswith("http://127.0.0.1"):
                await ConsentBot("allow")(line.strip())
        code = await proc.wait()
    text = "".join(lines)
    assert code == 0, text
    assert "Done. grant_id" in text
    assert not text.lstrip().startswith("{")


async def test_sandbox_command_prints_one_json_line(tmp_path: Path) -> None:
    proc = await spawn(
        tmp_path,
        "sandbox",
        "--json",
        env=cli_env(tmp_path),
    )
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(20):
            info = json.loads(await proc.stdout.readline())
        assert set(info) == {
            "url",
            "landing_url",
            "nylas_client_id",
            "nylas_client_secret",
            "zoom_client_id",
            "zoom_client_secret",
            "v3_api_key",
            "v3_application_id",
        }
        assert info["v3_api_key"] == DEMO_CREDENTIALS.v3_api_key
        import httpx

        async with httpx.AsyncClient() as client:
            health = await client.get(f"{info['url']}/healthz")
        assert health.status_code == 200
        assert info["landing_url"] == f"{info['url']}/landing/zoom-onboard-answer.html"
    finally:
        proc.terminate()
        await proc.wait()


async def test_sandbox_json_on_a_busy_port_is_an_error_event(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = await spawn(
            tmp_path, "sandbox", "--json", "--port", str(port), env=cli_env(tmp_path)
        )
        out, _err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    (line,) = out.decode().splitlines()
    event = json.loads(line)
    assert event["event"] == "error" and event["type"] == "port_in_use"
    assert str(port) in event["message"] and "--port" in event["message"]
    assert event["exit_code"] == 2


@pytest.mark.linux_only  # no DISPLAY: Windows and macOS always have a display
async def test_wizard_without_a_display_says_what_to_do(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in cli_env(tmp_path).items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    proc = await spawn(tmp_path, "--sandbox", env=env)
    _out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1
    assert "No display" in lines[0] and "xvfb-run" in lines[0] and "onboard" in lines[0]
    assert "plugin" not in lines[0]


def test_no_option_takes_a_secret() -> None:
    """Secrets never go on a command line, where other users of the computer can read them."""
    import argparse

    from wizard.cli.parser import build_parser

    def options(parser: argparse.ArgumentParser) -> list[str]:
        found = [o for action in parser._actions for o in action.option_strings]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    found += options(sub)
        return found

    names = options(build_parser())
    assert "--account-id" in names  # the walk reaches the subcommands
    assert [n for n in names if any(w in n for w in ("secret", "password", "token"))] == []


@pytest.mark.parametrize("empty", ["", "   "])
def test_an_empty_login_hint_means_none(empty: str) -> None:
    from wizard.cli.parser import build_parser

    args = build_parser().parse_args(["onboard", f"--login-hint={empty}", "--customer", "x"])
    assert args.login_hint is None


@pytest.mark.parametrize(
    ("args", "named", "limit"),
    [
        (("--timeout", "-5"), "--timeout", "between 1 and 86400"),
        (("--timeout", "nan"), "--timeout", "between 1 and 86400"),
        (("--timeout", "inf"), "--timeout", "between 1 and 86400"),
        (("--integration-name", "Zoom\nInjected: yes"), "--integration-name", "control"),
        (("--integration-name", "Zoom\x1b[31m"), "--integration-name", "control"),
        (("--login-hint", "a" * 100_000 + "@b.example"), "--login-hint", "at most 254"),
        (("--customer", "x" * 201), "--customer", "at most 200"),
        (("--expires-in", "5"), "--expires-in", "between 60 and"),
        (
            ("--redirect-uri", "http://127.0.0.1:9007/" + "p" * 2000),
            "--redirect-uri",
            "at most 1024",
        ),
    ],
)
async def test_bad_flags_exit_2_naming_the_flag_and_the_limit(
    tmp_path: Path, args: tuple[str, ...], named: str, limit: str
) -> None:
    code, events, output = await run_onboard(tmp_path, "--sandbox", "--account-id", "a1", *args)
    assert code == 2, output
    assert events[-1]["event"] == "error" and events[-1]["type"] in (
        "invalid_input",
        "invalid_redirect_uri",
    )
    message = str(events[-1]["message"])
    assert named in message or named == "--redirect-uri", message
    assert limit in message, message
    assert "\x1b" not in output


async def test_connect_flags_are_refused_with_v3(tmp_path: Path) -> None:
    code, events, output = await run_onboard(
        tmp_path, "--api", "v3", "--sandbox", "--account-id", "a1", "--customer", "Acme"
    )
    assert code == 2, output
    assert "--account-id belongs to the Connect API" in str(events[-1]["message"])


async def test_v3_needs_a_customer_reference(tmp_path: Path) -> None:
    code, events, output = await run_onboard(tmp_path, "--api", "v3", "--sandbox")
    assert code == 2, output
    assert "--customer is required" in str(events[-1]["message"])


async def test_a_busy_port_is_found_before_the_integration_is_touched(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, events, output = await run_onboard(
            tmp_path,
            "--sandbox",
            "--account-id",
            "a1",
            "--redirect-uri",
            f"http://127.0.0.1:{port}/callback",
        )
    assert code == 2, output
    assert [e["event"] for e in events] == ["error"], output  # no integration event before it
    assert events[-1]["type"] == "port_in_use"
    assert "--redirect-uri" in str(events[-1]["message"])
    log_text = newest_log(tmp_path / "logs" / "zoom-onboard.log").read_text()
    assert "WARNING" in log_text and "port_in_use" in log_text


async def test_without_a_browser_the_timeout_speaks_of_nobody_opening_the_link(
    tmp_path: Path,
) -> None:
    code, events, output = await run_onboard(
        tmp_path, "--sandbox", "--account-id", "a1", "--timeout", "1", decision=None
    )
    assert code == 3, output
    message = str(events[-1]["message"])
    assert "Nobody opened the sign-in link" in message
    assert "did not open" not in message


async def test_v3_on_the_sandbox_gives_a_verified_grant_and_no_secret_anywhere(
    tmp_path: Path,
) -> None:
    env = cli_env(
        tmp_path,
        NYLAS_API_KEY=DEMO_CREDENTIALS.v3_api_key,
        ZOOM_CLIENT_ID=DEMO_CREDENTIALS.zoom_client_id,
        ZOOM_CLIENT_SECRET=DEMO_CREDENTIALS.zoom_client_secret,
    )
    args = ("--api", "v3", "--sandbox", "--login-hint", "zoom.user@example.com")
    code, events, output = await run_onboard(tmp_path, *args, "--customer", "Acme #123", env=env)
    assert code == 0, output
    integration, grant = events[0], events[-1]
    assert integration["event"] == "integration" and integration["api"] == "v3"
    assert "was created" in output  # said after it happened, not before
    assert grant["event"] == "grant" and grant["verified"] is True
    assert grant["api"] == "v3" and grant["customer"] == "Acme #123"
    assert grant["account_id"] is None and grant["renewed"] is False
    for secret in SECRETS:
        assert secret not in output
    for path in tmp_path.rglob("*"):
        if path.is_file():
            for secret in SECRETS:
                assert secret.encode() not in path.read_bytes(), path


async def test_v3_decline_exits_1_and_names_the_decline(tmp_path: Path) -> None:
    code, events, output = await run_onboard(
        tmp_path, "--api", "v3", "--sandbox", "--customer", "Acme", decision="deny"
    )
    assert code == 1, output
    assert events[-1]["type"] == "refused"
    assert "declined" in str(events[-1]["message"])
    assert "secret" not in str(events[-1]["message"]).lower()


@pytest.mark.parametrize(
    "args",
    [("history", "--json"), ("--self-test", "--json"), ("--diagnostics", "--json")],
    ids=["history", "self-test", "diagnostics"],
)
async def test_the_commands_scripts_read_have_json(tmp_path: Path, args: tuple[str, ...]) -> None:
    proc = await spawn(tmp_path, *args, env=cli_env(tmp_path))
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    answer = json.loads(out)  # the whole of stdout is one JSON document
    if args[0] == "history":
        assert answer == []
    elif args[0] == "--self-test":
        assert answer["ok"] is True
        assert [r["api"] for r in answer["results"]] == ["v3", "connect"]
        assert all(r["grant_id"] for r in answer["results"])
    else:
        assert answer["version"] and "diagnostics" in answer["report"]
        assert set(answer["files"]) == {"profiles", "history_database", "history_fallback", "log"}


async def test_a_failure_is_said_once_on_the_console_and_kept_in_the_log(tmp_path: Path) -> None:
    proc = await spawn(
        tmp_path,
        *("onboard", "--sandbox", "--api", "connect", "--account-id", "acct-1"),
        *("--no-browser", "--timeout", "1", "--redirect-uri"),
        f"http://127.0.0.1:{free_port()}/callback",
    )
    _out, err = await asyncio.wait_for(proc.communicate(), 60)
    text = err.decode()
    assert proc.returncode == 3
    assert text.count("No answer from the browser within 1 seconds") == 1, text
    assert "onboarding failed" not in text and "Error: No answer" in text
    log = next((tmp_path / "logs").glob("*.log")).read_text(encoding="utf-8")
    assert "onboarding failed (timeout)" in log  # the engineer's diagnostics still have it
