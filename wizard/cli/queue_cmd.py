"""`zoom-onboard queue`: the day's list of customer accounts, filled from a file or a paste and
worked through one entry after another with the same events and rules as `onboard`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict

from wizard import memory
from wizard.cli.onboard import prepared_flow
from wizard.cli.output import csv_stdout
from wizard.cli.reporting import Reporter, explain_for_cli, run_reported
from wizard.cli.where import api_of, chosen_profile, where
from wizard.defaults import DEFAULT_TIMEOUT
from wizard.flow.events import FlowEvent, LateAnswer
from wizard.flow.factory import Prepared, redirect_uri_for
from wizard.flow.inputs import account_for_entry
from wizard.flow.onboarding import OnboardingFlow
from wizard.flow.queue_rules import EntryRecorder, entry_state_after, finish_entry_late
from wizard.listener.listener import CallbackRefused, ListenerTimeout
from wizard.listener.redirect_uri import LoopbackRedirectUri
from wizard.logs import setup_logging
from wizard.outcome import Outcome
from wizard.store.paths import AppPaths
from wizard.store.queue import (
    EntryState,
    QueueEntry,
    QueueImportError,
    WorkQueue,
    decode_import,
    write_queue_csv,
)
from wizard.target import Api

log = logging.getLogger("wizard.cli.queue")

STOPPED_REASON = (
    "Stopped with Ctrl+C before the customer's consent came back: waiting again, the next run "
    "takes it with a new link. (On the Connect API a consent given with the old link is found "
    "by `zoom-onboard history --reconcile`; on Nylas API v3 it cannot become a grant.)"
)


def run_queue(args: argparse.Namespace) -> int:
    paths = AppPaths.default()
    verbose = bool(getattr(args, "verbose", False))
    setup_logging(paths.log_file, verbose=verbose, console=args.queue_command == "run")
    queue = WorkQueue(paths.history_db)
    practice = bool(getattr(args, "sandbox", False))
    try:
        match args.queue_command:
            case "add":
                return _add(queue, args.file, practice)
            case "list":
                return _list(queue, practice, as_csv=args.csv, as_json=args.json)
            case "clear":
                removed = queue.clear_done(practice=practice)
                print(
                    f"Removed {removed} done entr{'y' if removed == 1 else 'ies'} from the queue."
                )
                return int(Outcome.OK)
            case _:
                reporter = Reporter(args.json)
                # A failure here: the run could not start (credentials, port, API).
                return run_reported(
                    _run(args, reporter, queue),
                    reporter,
                    what="the queue run",
                    on_ctrl_c=("the queue run was stopped with Ctrl+C", "Stopped."),
                )
    except QueueImportError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        for number, why in exc.problems:
            print(f"  line {number}: {why}", file=sys.stderr)
        return int(Outcome.BAD_INPUT)
    except (OSError, ValueError) as exc:
        words = explain_for_cli(exc)
        print(f"Error: {words.text()}", file=sys.stderr)
        return int(words.outcome)


def _add(queue: WorkQueue, source: str, practice: bool) -> int:
    # Bytes, decoded by the queue's one rule (UTF-8, a byte-order mark or not), for a file and
    # standard input alike.
    if source == "-":
        text = decode_import(sys.stdin.buffer.read(), "What came on standard input")
    else:
        try:
            with open(source, "rb") as f:
                data = f.read()
        except OSError as exc:
            raise ValueError(
                f"Cannot read {source}: {exc.strerror or exc}. Give the path of a CSV or text "
                "file saved as UTF-8, or - to read the lines from standard input."
            ) from None
        text = decode_import(data, source)
    ids = queue.import_text(text, practice=practice)
    waiting = sum(1 for e in queue.entries(practice=practice) if e.state is EntryState.WAITING)
    kind = " practice" if practice else ""
    print(f"Added {len(ids)}{kind} entr{'y' if len(ids) == 1 else 'ies'}; {waiting} waiting.")
    return int(Outcome.OK)


def _list(queue: WorkQueue, practice: bool, *, as_csv: bool, as_json: bool) -> int:
    entries = queue.entries(practice=practice)
    if as_csv:
        with csv_stdout() as out:
            write_queue_csv(entries, out)
    elif as_json:
        print(json.dumps([{**asdict(e), "state": e.state.value} for e in entries], indent=1))
    elif not entries:
        print("The queue is empty. Add accounts with `zoom-onboard queue add FILE`.")
    else:
        print_queue(entries)
    return int(Outcome.OK)


def print_queue(entries: Sequence[QueueEntry]) -> None:
    headers = ("#", "State", "Account / Zoom email", "Customer", "Grant id", "Zoom user", "Why")
    rows = [
        (
            str(e.id),
            e.state.value,
            e.account_id or e.login_hint or "",
            e.customer or "",
            e.grant_id or "",
            e.email or "",
            e.reason or "",
        )
        for e in entries
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    for row in (headers, *rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


async def _run(args: argparse.Namespace, reporter: Reporter, queue: WorkQueue) -> int:
    paths = AppPaths.default()
    profile = chosen_profile(args, paths)
    api = api_of(args, profile)
    reporter.api = api
    practice = where(args, profile)[0] == "sandbox"
    # Waiting ones, and those a window or command that is gone left in progress.
    waiting = [e for e in queue.entries(practice=practice) if e.to_work_on]
    if not waiting:
        reporter.emit(
            "queue_empty",
            "No waiting entries in the queue. Add some with `zoom-onboard queue add FILE`.",
        )
        return int(Outcome.OK)
    redirect_uri = redirect_uri_for(args.redirect_uri, profile)
    timeout = args.timeout if args.timeout is not None else DEFAULT_TIMEOUT
    if args.remote:  # the customers are elsewhere: a link each, finished later
        args.landing_page = args.landing_page or (profile.landing_page if profile else "") or None
        async with prepared_flow(args, reporter, profile, api, redirect_uri, listen=False) as ready:
            from wizard.cli.remote_cmd import send_queue_links

            return await send_queue_links(ready, queue, waiting, redirect_uri, args, reporter)
    async with prepared_flow(args, reporter, profile, api, redirect_uri) as ready:
        run = _QueueRun(ready, queue, reporter, api, redirect_uri, timeout, len(waiting))
        ready.flow.on_event = run.on_event
        memory.freeze()  # one account after another: the heap stays flat (wizard/memory.py)
        try:
            await run.work_through(practice)
            await _listen_for_open_links(ready.flow, reporter)
        except asyncio.CancelledError:  # Ctrl+C: say what stops working with this run
            links = ready.flow.open_links()
            if links:
                reporter.warning(
                    f"{len(links)} sign-in link(s) that still work are no longer listened for: "
                    "on Nylas API v3 a consent given with them now cannot become a grant (retry "
                    "those entries for new links)."
                )
            raise
    return int(run.last)


class _QueueRun:
    """One `queue run`: the entries one after another on one flow, and the late answers of
    earlier entries while it goes on."""

    def __init__(
        self,
        ready: Prepared,
        queue: WorkQueue,
        reporter: Reporter,
        api: Api,
        redirect_uri: LoopbackRedirectUri,
        timeout: float,
        total: int,
    ) -> None:
        self.ready, self.queue, self.reporter = ready, queue, reporter
        self.api, self.redirect_uri, self.timeout, self.total = api, redirect_uri, timeout, total
        self.last = Outcome.OK  # the exit code: the last entry's outcome
        self.last_entry: int | None = None
        self.done = 0
        self.told: set[str] = set()  # history problems already said

    def on_event(self, event: FlowEvent) -> None:
        # An earlier entry's link came back while the run goes on: that entry is decided.
        if isinstance(event, LateAnswer):
            finish_entry_late(self.queue, event)
            if event.tag == self.last_entry and event.result is not None:
                self.last = Outcome.OK  # the last entry is connected after all
        self.reporter.on_event(event)

    async def work_through(self, practice: bool) -> None:
        while (entry := self.queue.next_waiting(practice=practice)) is not None:
            if not self.queue.start(entry.id):
                continue  # another window or command took it
            await self.one(entry)

    async def one(self, entry: QueueEntry) -> None:
        queue, reporter, ready = self.queue, self.reporter, self.ready
        self.done += 1
        self.last_entry = entry.id
        reporter.emit(
            "entry",
            f"[{self.done}/{self.total}] {entry.label}",
            id=entry.id,
            account_id=entry.account_id,
            login_hint=entry.login_hint,
            customer=entry.customer,
        )
        try:
            account = account_for_entry(entry, self.api.value)
            result = await ready.flow.authorize(
                account,
                self.redirect_uri,
                timeout=self.timeout,
                # The entry is connected with its grant, before anything else can stop us.
                recorder=EntryRecorder(ready.recorder, queue, entry.id),
                tag=entry.id,  # a late answer finds its entry
            )
        except asyncio.CancelledError:  # Ctrl+C: back to waiting, so running again takes it
            queue.release(entry.id, reason=STOPPED_REASON)  # unless its grant came already
            raise
        except (CallbackRefused, ListenerTimeout, ValueError) as exc:
            # About this customer: record it and go on with the next.
            words = explain_for_cli(exc)
            queue.finish(entry.id, entry_state_after(exc), reason=words.text())
            reporter.error(words)
            self.last = words.outcome
            return
        except Exception as exc:
            # About the run (credentials, the API, the port): every next entry would fail too,
            # and this one is not the customer's fault: it waits for the next run.
            words = explain_for_cli(exc)
            queue.release(entry.id, reason=words.text())
            raise
        finally:
            for problem in ready.history.problems:
                if problem not in self.told:
                    self.told.add(problem)
                    reporter.warning(problem)
        queue.finish(entry.id, EntryState.CONNECTED, grant_id=result.grant_id, email=result.email)
        reporter.result(result)
        self.last = Outcome.OK


async def _listen_for_open_links(flow: OnboardingFlow, reporter: Reporter) -> None:
    """Earlier links that still work are listened for until they come back or expire: on v3
    nothing else can turn their consent into a grant."""
    links = flow.open_links()
    if not links:
        return
    until = max(link.expires_at for link in links)
    reporter.emit(
        "listening",
        f"{len(links)} earlier sign-in link(s) still work until "
        f"{time.strftime('%H:%M', time.localtime(until))}: still listening for them. Ctrl+C "
        "stops (on Nylas API v3 a consent given with them afterwards cannot become a grant).",
        count=len(links),
        until=int(until),
        entries=[link.tag for link in links],
    )
    await flow.until_links_close()
