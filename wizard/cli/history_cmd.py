"""`zoom-onboard history`: the grants obtained on this computer, as a table or CSV."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from wizard.cli.history_table import layout, practice_note
from wizard.cli.output import csv_stdout
from wizard.logs import setup_logging
from wizard.outcome import Outcome
from wizard.store.grant_columns import HEADERS, LocalTime, cells
from wizard.store.history import GrantQuery, History, HistoryRecord, write_csv
from wizard.store.paths import AppPaths

if TYPE_CHECKING:
    from wizard.store.profiles import Profile
    from wizard.target import Target


def run_history(args: argparse.Namespace) -> int:
    paths = AppPaths.default()
    # Console logging only with -v: the problems are printed below in plain words anyway.
    verbose = bool(getattr(args, "verbose", False))
    setup_logging(paths.log_file, verbose=verbose, console=verbose)
    history = History(paths.history_db, paths.history_fallback)
    if getattr(args, "reconcile", False):
        code = asyncio.run(_reconcile(args, paths, history))
        if code != Outcome.OK:
            return code
    account_id = getattr(args, "account_id", None)
    # Sandbox grants are not real: never mixed into the real list unless asked.
    include_practice = bool(getattr(args, "include_practice", False))
    listing = history.listing(GrantQuery(account_id=account_id, include_practice=include_practice))
    records, hidden = listing.records, listing.hidden
    if getattr(args, "csv", False):
        with csv_stdout() as out:
            write_csv(records, out)
    elif getattr(args, "json", False):
        print(json.dumps([dataclasses.asdict(r) for r in records], indent=1))
    elif records:
        print_table(records, sys.stdout)
    elif account_id:
        print(f"No grants recorded for account {account_id}.")
    else:
        print("No grants recorded yet.")
    if hidden:
        print(practice_note(hidden), file=sys.stderr)
    for problem in history.problems:
        print(f"Note: {problem}", file=sys.stderr)
    # Listed what could be read; the exit code says that something was left out.
    return int(Outcome.FAILED) if history.skipped else int(Outcome.OK)


async def _reconcile(args: argparse.Namespace, paths: AppPaths, history: History) -> int:
    """Ask Nylas for the grants of the sign-ins that were left waiting, and record them: on the
    target the flags or the profile name, or else on each target those sign-ins were made on."""
    from wizard.cli.where import api_of, chosen_profile, where
    from wizard.flow.explain import explain
    from wizard.target import Target

    try:
        profile = chosen_profile(args, paths)
        named = profile is not None or any(
            getattr(args, flag, None) for flag in ("api", "region", "api_url", "sandbox")
        )
        if named:
            api = api_of(args, profile)
            region, api_url = where(args, profile)
            if region == "sandbox":
                raise ValueError(SANDBOX_RECONCILE)
            targets = [Target.of(api, region, api_url)]
        else:
            targets = await _targets_left_waiting(history)
    except Exception as exc:  # worded like every other error, redacted like the log
        words = explain(exc)
        print(f"Checking for late grants failed: {words.text()}", file=sys.stderr)
        return int(words.outcome)
    if not targets:
        print("Late grants: no sign-in was left waiting: nothing to look for.\n")
        return int(Outcome.OK)
    worst = Outcome.OK
    for target in targets:
        outcome = await _reconcile_on(target, profile, history)
        worst = max(worst, outcome)
    print()
    return int(worst)


SANDBOX_RECONCILE = (
    "A new in-process sandbox knows no grants of earlier runs: practice sign-ins are checked "
    "by the wizard that ran them. To practise this, run `zoom-onboard sandbox` and give its "
    "URL with --api-url."
)


async def _targets_left_waiting(history: History) -> list[Target]:
    """Where the open sign-ins were made (API, region, custom URL), oldest first; those of an
    in-process sandbox, gone with its process, are left to the wizard that ran them."""
    from wizard.target import Target

    rows = await asyncio.to_thread(history.open_authorizations)
    targets: list[Target] = []
    for row in rows:
        if row.region == "sandbox":
            continue
        if row.region == "custom" and not row.api_url:
            continue  # made before API URLs were kept: name it with --api-url
        target = Target.of(row.api, row.region, row.api_url if row.region == "custom" else None)
        if target not in targets:
            targets.append(target)
    return targets


async def _reconcile_on(target: Target, profile: Profile | None, history: History) -> Outcome:
    from wizard.cli.credentials import read_credentials
    from wizard.cli.where import saved_values
    from wizard.flow.browser import no_browser
    from wizard.flow.explain import explain
    from wizard.flow.factory import NylasCredentials, open_flow
    from wizard.flow.reconcile import reconcile_history
    from wizard.store.queue import WorkQueue

    where = f"{target.api.label}, {target.region.label}"
    if target.region.value == "custom":
        where += f" {target.base_url}"
    try:
        # Only the credentials are asked for: the environment, the profile, or a prompt.
        saved = await asyncio.to_thread(saved_values, profile, target.api)
        creds = read_credentials(api=target.api.value, fallback=saved, zoom=False)
        flow = open_flow(
            target, NylasCredentials(creds.nylas_secret, creds.nylas_client_id), no_browser
        )
        try:
            await flow.check_connection()  # a wrong key is said even with nothing to look for
            report = await reconcile_history(
                flow.backend,
                history,
                target,
                # Connect links sent to customers elsewhere: their entries are connected too.
                queue=WorkQueue(history.db_path),
            )
        finally:
            await flow.aclose()
    except Exception as exc:  # worded like every other error, redacted like the log
        words = explain(exc)
        print(f"Checking for late grants failed ({where}): {words.text()}", file=sys.stderr)
        return words.outcome
    print(f"Late grants ({where}): {report.summary()}")
    for found in report.found:
        how = "matched by state" if found.confirmed else found.note
        print(f"  {found.grant.id}  {found.grant.email or '-'}  ({how})")
    return Outcome.OK


def print_table(records: Sequence[HistoryRecord], out: TextIO) -> None:
    """The table the History window shows, in columns of text (as history_table.py's SQL
    writes it, with the same header)."""
    clock = LocalTime()
    rows = [cells(record, clock) for record in records]
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in HEADERS]
    widths, head = layout([max(map(len, column), default=0) for column in columns])
    row_format = "  ".join(f"{{:<{w}}}" for w in widths)  # one format call per row
    out.write(head + "".join([row_format.format(*row).rstrip() + "\n" for row in rows]))
