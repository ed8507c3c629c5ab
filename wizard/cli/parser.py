"""The command line's grammar: the top-level flags, then one part per command.

Only import-free modules here: the wizard's start-up time begins with this file (main.py).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from wizard import __version__
from wizard.defaults import (
    DEFAULT_API,
    DEFAULT_INTEGRATION_NAME,
    DEFAULT_REDIRECT_URI,
    DEFAULT_TIMEOUT,
    MAX_GRANT_LIFETIME,
    MAX_TIMEOUT,
    MIN_GRANT_LIFETIME,
)
from wizard.outcome import Outcome
from wizard.validation import (
    MAX_CUSTOMER,
    MAX_LOGIN_HINT,
    validate_account_id,
    validate_customer,
    validate_grant_id,
    validate_landing_page,
    validate_login_hint,
    validate_name,
)

# The subparsers' action: argparse does not name its type publicly.
Commands = Any


def _flag_type(check: Callable[[str], object]) -> Callable[[str], object]:
    """An argparse type from a validator: its message names the flag (exit 2)."""

    def convert(text: str) -> object:
        try:
            return check(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return convert


def _blank_is_none(check: Callable[[str], object]) -> Callable[[str], object]:
    """An empty value (`--login-hint=`, a script's empty variable) means none, as in the
    wizard's empty field."""
    return lambda text: None if not text.strip() else check(text)


def _seconds(low: float, high: float) -> Callable[[str], float]:
    def check(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number of seconds") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise ValueError(f"must be between {low:g} and {high:g} seconds, not {text}")
        return value

    return check


def _count(high: int) -> Callable[[str], int]:
    def check(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number") from None
        if not 0 <= value <= high:
            raise ValueError(f"must be between 0 and {high}, not {value}")
        return value

    return check


def _lifetime(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number of seconds") from None
    if not MIN_GRANT_LIFETIME <= value <= MAX_GRANT_LIFETIME:
        raise ValueError(
            f"must be between {MIN_GRANT_LIFETIME} and {MAX_GRANT_LIFETIME} seconds, not {value}"
        )
    return value


class _Parser(argparse.ArgumentParser):
    """With --json on the command line, a bad flag is reported as a JSON error event too, so a
    program driving the command reads every failure the same way."""

    json_errors = False

    def error(self, message: str) -> NoReturn:
        if self.json_errors:
            event = {
                "event": "error",
                "type": "invalid_input",
                "message": message,
                "exit_code": int(Outcome.BAD_INPUT),
            }
            print(json.dumps(event), flush=True)
            sys.exit(int(Outcome.BAD_INPUT))
        super().error(message)


def build_parser(json_errors: bool = False) -> argparse.ArgumentParser:
    _Parser.json_errors = json_errors
    parser = _Parser(
        prog="zoom-onboard",
        description="Connect a customer's Zoom account to Nylas. "
        "Without a command, opens the wizard.",
        epilog="Secrets are read from the environment (v3: NYLAS_API_KEY and optionally "
        "NYLAS_CLIENT_ID; Connect: NYLAS_CLIENT_ID and NYLAS_CLIENT_SECRET; both: ZOOM_CLIENT_ID "
        "and ZOOM_CLIENT_SECRET), a saved profile, or a hidden prompt: never from the command "
        "line.",
    )
    _top_flags(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _onboard_parser(commands)
    _sandbox_parser(commands)
    _queue_parser(commands)
    _history_parser(commands)
    _grants_parser(commands)
    _finish_parser(commands)
    return parser


def _top_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="run the offline sandbox in-process and use its demo credentials",
    )
    parser.add_argument("--profile", metavar="NAME", help="use a saved profile")
    parser.add_argument(
        "--diagnostics", action="store_true", help="print a redacted diagnostic report and exit"
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="run a whole onboarding against the in-process sandbox and exit",
    )
    parser.add_argument(
        "--json",
        dest="top_json",
        action="store_true",
        help="with --diagnostics or --self-test: one JSON object on stdout, for scripts",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")


def _onboard_parser(commands: Commands) -> None:
    onboard = commands.add_parser(
        "onboard",
        help="onboard one customer account without the wizard",
        description="Create or reuse the Zoom integration, create the auth request, open the "
        "browser and wait for the customer's consent.",
    )
    _target_flags(onboard, in_process=True)
    _account_flags(onboard)
    _run_flags(onboard)
    _remote_flags(onboard)


def _remote_flags(parser: argparse.ArgumentParser) -> None:
    """A customer on another computer: a link to send, its answer pasted back."""
    parser.add_argument(
        "--remote",
        action="store_true",
        help="the customer is on another computer: print a message with the link to send "
        "them, then take what they send back (now, or later with `zoom-onboard finish`); with "
        "queue run, a link for every waiting entry",
    )
    parser.add_argument(
        "--landing-page",
        metavar="URL",
        type=_flag_type(validate_landing_page),
        default=None,
        help="with --remote: your company's copy of resources/landing/ (an https address); "
        "the customer ends there and sends back one line instead of an address",
    )


def _finish_parser(commands: Commands) -> None:
    finish = commands.add_parser(
        "finish",
        help="take the answer of a customer on another computer (see onboard --remote)",
        description="Finish a link sent to a customer elsewhere with what they sent back: the "
        "address their browser ended on, or the line the landing page showed. The link names "
        "the application and profile it was sent with; the flags override them.",
    )
    finish.add_argument(
        "answer",
        nargs="?",
        metavar="ANSWER",
        help="what the customer sent (quote it); omitted or -: read from standard input",
    )
    _target_flags(finish, in_process=False)
    finish.add_argument("--json", action="store_true", help="JSON Lines events on stdout")


def _target_flags(parser: argparse.ArgumentParser, *, in_process: bool, note: str = "") -> None:
    """Which Nylas: the API, the region or a URL (or the in-process sandbox), a profile."""
    parser.add_argument(
        "--api",
        choices=["v3", "connect"],
        default=None,
        help=f"{note}Nylas API v3 or the Connect API of the private preview (default: the "
        f"profile's, else {DEFAULT_API})",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--region",
        choices=["us", "eu"],
        default=None,
        help=f"{note}Nylas region of the application (default: us)",
    )
    where.add_argument("--api-url", metavar="URL", help=f"{note}a custom Nylas API base URL")
    if in_process:
        # SUPPRESS: a subcommand's default must not undo the same flag given before the command.
        where.add_argument(
            "--sandbox",
            action="store_true",
            default=argparse.SUPPRESS,
            help="run the offline sandbox in-process (demo credentials by default)",
        )
    parser.add_argument(
        "--profile", metavar="NAME", default=argparse.SUPPRESS, help="use a saved profile"
    )


def _account_flags(parser: argparse.ArgumentParser) -> None:
    """One customer account (`queue run` takes them from the queue's entries instead)."""
    parser.add_argument(
        "--account-id",
        metavar="ID",
        type=_flag_type(validate_account_id),
        help="Connect: the customer's Nylas account id (required there)",
    )
    parser.add_argument(
        "--customer",
        metavar="LABEL",
        type=_flag_type(validate_customer),
        help=f"your reference for this customer in the history (v3: required; at most "
        f"{MAX_CUSTOMER} characters)",
    )
    parser.add_argument(
        "--expires-in",
        metavar="SECONDS",
        type=_flag_type(_lifetime),
        default=None,
        help="Connect: grant lifetime for this account (default: the integration's)",
    )
    parser.add_argument(
        "--login-hint",
        metavar="EMAIL",
        type=_flag_type(_blank_is_none(validate_login_hint)),
        help=f"the customer's Zoom email (at most {MAX_LOGIN_HINT} characters)",
    )


def _run_flags(parser: argparse.ArgumentParser) -> None:
    """How an onboarding runs: the integration, the browser, the wait, the output."""
    parser.add_argument(
        "--redirect-uri",
        metavar="URI",
        default=None,
        help=f"loopback redirect URI to listen on (default {DEFAULT_REDIRECT_URI})",
    )
    parser.add_argument(
        "--integration-name",
        metavar="NAME",
        default=None,
        type=_flag_type(validate_name),
        help=f"name of the integration if one is created (default {DEFAULT_INTEGRATION_NAME!r})",
    )
    parser.add_argument(
        "--no-browser",
        action="store_true",
        help="print the sign-in link and open nothing (open it yourself, e.g. in a private window)",
    )
    parser.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=_flag_type(_seconds(1, MAX_TIMEOUT)),
        default=None,
        help=f"give up waiting for consent after this long (default {DEFAULT_TIMEOUT:g}; the "
        "sign-in link's own expiry ends the wait earlier)",
    )
    parser.add_argument(
        "--replace-zoom-app",
        action="store_true",
        help="v3: when the application's Zoom connector holds another Zoom app, move it to "
        "this one (the application's existing Zoom grants were made with the old app; without "
        "this flag the run stops and names both)",
    )
    parser.add_argument("--json", action="store_true", help="JSON Lines events on stdout")


def _sandbox_parser(commands: Commands) -> None:
    sandbox = commands.add_parser(
        "sandbox",
        help="run the offline sandbox that imitates Nylas and Zoom",
        description="A local imitation of Nylas API v3, the Nylas Connect API and Zoom's consent "
        "page, for training and tests. The --v3-* flags choose how the v3 imitation answers "
        "where Nylas's documentation is silent. Stops with Ctrl+C.",
    )
    sandbox.add_argument(
        "--port", type=int, default=0, help="port on 127.0.0.1 (default: any free)"
    )
    sandbox.add_argument(
        "--json", action="store_true", help="print one JSON line with the URL and demo credentials"
    )
    sandbox.add_argument(
        "--v3-renewal-state",
        choices=("initial", "overwritten"),
        default="initial",
        help="when a Zoom user connects again, the grant keeps the state of its first "
        "authorization (initial, the default) or takes the new one (overwritten)",
    )
    sandbox.add_argument(
        "--v3-no-grant-status",
        action="store_true",
        help="answer v3 grants without the optional grant_status field",
    )
    sandbox.add_argument(
        "--v3-null-scope",
        action="store_true",
        help='answer v3 grants with "scope": null',
    )
    sandbox.add_argument(
        "--v3-reauth-email-check",
        action="store_true",
        help="refuse the code exchange (grant.reauth_email_invalid) when the login hint names a "
        "connected Zoom user and another user signed in",
    )
    sandbox.add_argument(
        "--grants",
        metavar="N",
        type=_flag_type(_count(100_000)),
        default=0,
        help="start with N practice Zoom grants on both APIs (made-up users; default 0)",
    )
    sandbox.add_argument(
        "--invalid",
        metavar="M",
        type=_flag_type(_count(100_000)),
        default=0,
        help="of those, M invalid (they need re-authentication: the grants worklist)",
    )


def _history_parser(commands: Commands) -> None:
    history = commands.add_parser("history", help="list the grants obtained on this computer")
    history_shape = history.add_mutually_exclusive_group()
    history_shape.add_argument("--csv", action="store_true", help="CSV instead of a table")
    history_shape.add_argument("--json", action="store_true", help="a JSON list, for scripts")
    history.add_argument("--account-id", metavar="ID", help="only this account")
    history.add_argument(
        "--include-practice",
        action="store_true",
        help="also list the practice grants of the offline sandbox (marked as such)",
    )
    history.add_argument(
        "--reconcile",
        action="store_true",
        help="first ask Nylas for the grants of sign-ins left waiting (Stop waiting, a timeout, "
        "a closed window) and record them; uses --profile or the environment's credentials",
    )
    _target_flags(history, in_process=False, note="with --reconcile: ")


ALL_INVALID = "all-invalid"  # --reauthenticate without an id


def _grants_parser(commands: Commands) -> None:
    grants = commands.add_parser(
        "grants",
        help="the application's Zoom grants on Nylas, invalid first: re-authenticate or revoke",
        description="Every Zoom grant of the Nylas application (connected from any computer), "
        "joined with this computer's history, invalid ones first. An invalid grant needs the "
        "same Zoom user to consent again (re-authentication keeps the grant id); revoking "
        "deletes a grant for good. Credentials as for onboard (--profile or the environment).",
    )
    grants.add_argument(
        "--status", choices=["invalid", "valid"], help="only the grants of this status"
    )
    shape = grants.add_mutually_exclusive_group()
    shape.add_argument("--csv", action="store_true", help="CSV instead of a table")
    shape.add_argument("--json", action="store_true", help="a JSON list, for scripts")
    action = grants.add_mutually_exclusive_group()
    action.add_argument(
        "--reauthenticate",
        metavar="GRANT_ID",
        nargs="?",
        const=ALL_INVALID,
        type=_flag_type(lambda text: text if text == ALL_INVALID else validate_grant_id(text)),
        help="add a queue entry to re-authenticate this grant, or without an id every invalid "
        "one (its Zoom email as login hint); then run the queue",
    )
    action.add_argument(
        "--revoke",
        metavar="GRANT_ID",
        type=_flag_type(validate_grant_id),
        help="delete this grant on Nylas for good (asks first, showing its Zoom user)",
    )
    grants.add_argument(
        "--yes",
        action="store_true",
        help="with --revoke: do not ask (required when not on a terminal)",
    )
    _target_flags(grants, in_process=True)


def _queue_parser(commands: Commands) -> None:
    queue = commands.add_parser(
        "queue",
        help="the day's list of customer accounts: add, list, run, clear",
        description="A list of customer accounts (an account id or a Zoom email, then an "
        "optional customer reference, per line) kept on this computer and worked through one "
        "after another. --sandbox addresses the practice queue.",
    )
    steps = queue.add_subparsers(dest="queue_command", metavar="STEP", required=True)
    practice = argparse.ArgumentParser(add_help=False)
    practice.add_argument(
        "--sandbox",
        action="store_true",
        default=argparse.SUPPRESS,
        help="the practice queue of the offline sandbox",
    )
    add = steps.add_parser(
        "add", parents=[practice], help="add accounts from a CSV or text file, or - for stdin"
    )
    add.add_argument("file", metavar="FILE|-")
    listing = steps.add_parser("list", parents=[practice], help="the queue and its results")
    shape = listing.add_mutually_exclusive_group()
    shape.add_argument("--csv", action="store_true", help="CSV with the results")
    shape.add_argument("--json", action="store_true", help="a JSON list")
    clear = steps.add_parser("clear", parents=[practice], help="remove entries")
    clear.add_argument(
        "--done", action="store_true", required=True, help="the connected and skipped ones"
    )
    # `run` takes every option of `onboard` but the account, which comes from each entry.
    run = steps.add_parser(
        "run",
        help="onboard the waiting entries one after another (Ctrl+C stops after recording the "
        "current one)",
    )
    _target_flags(run, in_process=True)
    _run_flags(run)
    _remote_flags(run)
