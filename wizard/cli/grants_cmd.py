"""`zoom-onboard grants`: the application's Zoom grants on Nylas, invalid first, joined with this
computer's history (streamed, a page at a time); `--reauthenticate` adds queue entries for the
invalid ones (or one), `--revoke` deletes one for good after asking."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import dataclasses
import json
import sys
from typing import TYPE_CHECKING, Any, TextIO

from wizard.cli.output import csv_stdout
from wizard.cli.parser import ALL_INVALID
from wizard.logs import setup_logging
from wizard.outcome import Outcome
from wizard.store.grant_columns import LocalTime
from wizard.store.grant_listing import CSV_COLUMNS, HEADERS, ListedGrant, cells, csv_row
from wizard.store.paths import AppPaths

if TYPE_CHECKING:
    from wizard.flow.grants import GrantWorklist
    from wizard.flow.onboarding import OnboardingFlow
    from wizard.store.history import History
    from wizard.target import Target

# Table columns' widths (the table is printed as the grants come, before all are known).
WIDTHS = (8, 34, 22, 36, 16, 16, 19, 12)


class Refused(Exception):
    """A bad input found after asking Nylas (an unknown grant id, no --yes): exit 2."""


def run_grants(args: argparse.Namespace) -> int:
    paths = AppPaths.default()
    verbose = bool(getattr(args, "verbose", False))
    setup_logging(paths.log_file, verbose=verbose, console=verbose)
    problem = _bad_combination(args)
    if problem is not None:
        return _fail(args, "invalid_input", problem, Outcome.BAD_INPUT)
    return asyncio.run(_grants(args, paths))


def _bad_combination(args: argparse.Namespace) -> str | None:
    """What argparse cannot say: flags that do not go together, and what to do instead."""
    action = args.reauthenticate or args.revoke
    if action and args.csv:
        return "--csv shapes the list of grants; leave it out with --reauthenticate or --revoke."
    if action and args.status:
        return (
            "--status chooses which grants are listed; --reauthenticate without an id takes the "
            "invalid ones, and with an id (or --revoke) the grant named: leave --status out."
        )
    if args.yes and not args.revoke:
        return "--yes answers the question of --revoke; leave it out otherwise."
    return None


async def _grants(args: argparse.Namespace, paths: AppPaths) -> int:
    from wizard.cli.onboard import _api
    from wizard.cli.where import api_of, chosen_profile
    from wizard.flow.browser import no_browser
    from wizard.flow.explain import explain
    from wizard.flow.factory import NylasCredentials, open_flow, open_history

    try:
        profile = chosen_profile(args, paths)
        api = api_of(args, profile)
        async with _api(args, profile, api, zoom=False) as (target, creds):
            flow = open_flow(
                target, NylasCredentials(creds.nylas_secret, creds.nylas_client_id), no_browser
            )
            try:
                await flow.check_connection()
                history = open_history(paths)
                name = profile.name if profile else None
                return await _act(_On(args, flow, target, history, name))
            finally:
                await flow.aclose()
    except Refused as exc:
        return _fail(args, "invalid_input", str(exc), Outcome.BAD_INPUT)
    except Exception as exc:  # worded like every other error, redacted like the log
        words = explain(exc)
        return _fail(args, words.type, f"Grants: {words.text()}", words.outcome)


@dataclasses.dataclass(frozen=True)
class _On:
    """One run of the command: its flags, the checked flow on its target, the history."""

    args: argparse.Namespace
    flow: OnboardingFlow
    target: Target
    history: History
    profile: str | None


async def _act(on: _On) -> int:
    from wizard.flow.grants import GrantWorklist

    if on.args.revoke:
        return await _revoke(on)
    if on.args.reauthenticate:
        return await _reauthenticate(on)
    practice, status = on.target.practice, on.args.status
    worklist = GrantWorklist(on.flow.backend, on.history, practice=practice, status=status)
    return await _list(on.args, worklist, on.target)


# -- listing -----------------------------------------------------------------------------------


async def _list(args: argparse.Namespace, worklist: GrantWorklist, target: Target) -> int:
    """Page after page as Nylas answers: the first rows show before the last page is read."""
    count = invalid = 0
    with csv_stdout() if args.csv else contextlib.nullcontext(sys.stdout) as out:
        writer = _Writer(args, out)
        cursor = None
        while True:
            page = await worklist.page(cursor)
            for grant in page.grants:
                writer.row(grant)
                count += 1
                invalid += grant.needs_attention
            out.flush()
            if page.next is None:
                break
            cursor = page.next
        writer.end()
    _summary(args, count, invalid, target)
    return int(Outcome.OK)


class _Writer:
    """One shape of output, written row by row."""

    def __init__(self, args: argparse.Namespace, out: TextIO) -> None:
        self.out = out
        self.shape = "csv" if args.csv else "json" if args.json else "table"
        self.rows = 0
        self.clock = LocalTime()
        self._csv = csv.writer(out)
        if self.shape == "csv":
            self._csv.writerow(CSV_COLUMNS)
        elif self.shape == "json":
            out.write("[")
        else:
            self._line(HEADERS)
            self._line(tuple("-" * w for w in WIDTHS))

    def row(self, grant: ListedGrant) -> None:
        if self.shape == "csv":
            self._csv.writerow(csv_row(grant))
        elif self.shape == "json":
            item = json.dumps(dataclasses.asdict(grant))
            self.out.write(("\n " if self.rows == 0 else ",\n ") + item)
        else:
            self._line(cells(grant, self.clock))
        self.rows += 1

    def end(self) -> None:
        if self.shape == "json":
            self.out.write("\n]\n" if self.rows else "]\n")

    def _line(self, values: tuple[str, ...]) -> None:
        padded = [value.ljust(width) for value, width in zip(values, WIDTHS, strict=True)]
        self.out.write("  ".join(padded).rstrip() + "\n")


def _summary(args: argparse.Namespace, count: int, invalid: int, target: Target) -> None:
    where = " --sandbox" if target.region.value == "sandbox" else ""
    if count == 0:
        which = f" {args.status}" if args.status else ""
        words = f"No{which} Zoom grants on this Nylas application."
    else:
        words = f"{count} Zoom grant(s), {invalid} invalid."
        if invalid:
            words += (
                f" Re-authenticate them: zoom-onboard grants{where} --reauthenticate, then "
                f"zoom-onboard queue run{where} --api {target.api.value}."
            )
    # The table is for people (stdout); CSV and JSON stay machine-readable.
    print(words, file=sys.stdout if not (args.csv or args.json) else sys.stderr)


# -- acting --------------------------------------------------------------------------------


async def _found(flow: OnboardingFlow, history: History, grant_id: str, target: Target) -> Any:
    from wizard.flow.grants import find_grant
    from wizard.nylas.errors import NotFound

    try:
        return await find_grant(flow.backend, history, grant_id, practice=target.practice)
    except NotFound:
        raise Refused(
            f"Nylas has no grant {grant_id} on this application ({target.api.label}). Check the "
            "id, the profile and the region: `zoom-onboard grants` lists the grants there."
        ) from None


async def _reauthenticate(on: _On) -> int:
    from wizard.flow.grants import GrantWorklist, queue_reauthentication

    args, flow, target, history = on.args, on.flow, on.target, on.history
    from wizard.store.queue import WorkQueue

    if args.reauthenticate == ALL_INVALID:
        worklist = GrantWorklist(flow.backend, history, practice=target.practice, status="invalid")
        grants = [grant async for grant in worklist]
    else:
        grants = [await _found(flow, history, args.reauthenticate, target)]
    queue = WorkQueue(AppPaths.default().history_db)
    done = await asyncio.to_thread(
        queue_reauthentication, queue, grants, api=target.api, practice=target.practice
    )
    where = " --sandbox" if target.region.value == "sandbox" else ""
    then = f"Run them with: zoom-onboard queue run{where} --api {target.api.value}"
    if not grants:
        text = "No invalid Zoom grants: nothing to re-authenticate."
    else:
        text = f"{done.summary()} {then}" if done.added else done.summary()
    fields = dataclasses.asdict(done)
    _say(args, "reauthenticate", text, grant_ids=[g.grant_id for g in grants], **fields)
    return int(Outcome.OK)


async def _revoke(on: _On) -> int:
    from wizard.flow.factory import history_recorder

    args, flow, target, history, profile = on.args, on.flow, on.target, on.history, on.profile
    grant: ListedGrant = await _found(flow, history, args.revoke, target)
    who = grant.email or "an unknown Zoom user"
    of = f" ({grant.customer})" if grant.customer else ""
    question = (
        f"Revoke the grant {grant.grant_id} of Zoom user {who}{of}? Nylas deletes it for good: "
        "it cannot be undone, and a new consent by this customer makes a new grant id. (An "
        "invalid grant is fixed by --reauthenticate instead.)"
    )
    if not args.yes and not await asyncio.to_thread(_confirmed, question):
        if not _interactive():
            raise Refused(
                f"Revoking cannot be undone: add --yes to revoke the grant {grant.grant_id} of "
                f"Zoom user {who} without a question, or run on a terminal to be asked."
            )
        _say(args, "not_revoked", "Not revoked.", grant_id=grant.grant_id)
        return int(Outcome.OK)
    recorder = history_recorder(history, target, None, profile)
    words = await flow.delete_grant(grant.grant_id, recorder=recorder)
    text = f"Revoked: the grant {grant.grant_id} of Zoom user {who} was {words}."
    _say(args, "revoked", text, grant_id=grant.grant_id, email=grant.email, history=words)
    return int(Outcome.OK)


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def _confirmed(question: str) -> bool:
    """Asked on the terminal; False at once when there is none to ask on."""
    if not _interactive():
        return False
    print(question, file=sys.stderr)
    try:
        answer = input("Type yes to revoke it: ")
    except EOFError:
        return False
    return answer.strip().casefold() == "yes"


# -- saying --------------------------------------------------------------------------------


def _say(args: argparse.Namespace, event: str, text: str, **fields: Any) -> None:
    if args.json:
        print(json.dumps({"event": event, "message": text, **fields}), flush=True)
    else:
        print(text, flush=True)


def _fail(args: argparse.Namespace, kind: str, message: str, outcome: Outcome) -> int:
    if getattr(args, "json", False):
        event = {"event": "error", "type": kind, "message": message, "exit_code": int(outcome)}
        print(json.dumps(event), flush=True)
    print(f"Error: {message}", file=sys.stderr)
    return int(outcome)
