"""Links for customers on another computer, on the command line: `onboard --remote` sends one
(and may take the answer at once), `zoom-onboard finish ANSWER` takes an answer later, in any
process: the link it belongs to names the application to finish it with."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING

from wizard.cli.credentials import read_credentials
from wizard.cli.reporting import Reporter, explain_for_cli, run_command
from wizard.cli.where import api_of, chosen_profile, saved_values, where
from wizard.flow.backend import Backend
from wizard.flow.factory import NylasCredentials, history_recorder, open_backend, open_history
from wizard.flow.inputs import account_for_entry
from wizard.flow.queue_rules import entry_state_after
from wizard.flow.remote import Finished, RemoteLinks, SentLink, link_of_answer
from wizard.outcome import Outcome
from wizard.store.paths import AppPaths
from wizard.store.profiles import Profile, ProfileError, ProfileStore
from wizard.store.queue import WorkQueue
from wizard.store.recorder import HistoryRecorder
from wizard.store.secrets import SecretStore
from wizard.target import Target

if TYPE_CHECKING:
    from wizard.flow import CustomerAccount
    from wizard.flow.factory import Prepared
    from wizard.listener.redirect_uri import LoopbackRedirectUri
    from wizard.store.authorizations import PendingAuthorization
    from wizard.store.entries import QueueEntry

PROMPT = "Paste what the customer sent back (or press Enter to finish later): "
LATER = (
    "When the customer answers, run: zoom-onboard finish 'ANSWER' (the address or the line "
    "they sent; quote it), or zoom-onboard finish and paste it."
)
IN_PROCESS_SANDBOX = (
    "This link was made on an in-process sandbox, which ended with the command or window "
    "that ran it: finish it there. To practise links across commands, run `zoom-onboard "
    "sandbox` and give its URL with --api-url."
)


def run_finish(args: argparse.Namespace) -> int:
    return run_command(args, _finish, "finishing a sent link")


async def send_link(
    ready: Prepared,
    account: CustomerAccount,
    redirect_uri: LoopbackRedirectUri,
    args: argparse.Namespace,
    reporter: Reporter,
    *,
    queue_entry: int | None = None,
) -> int:
    """`onboard --remote`: make the link, print the message for the customer; on a terminal,
    take the answer at once if the operator has it."""
    links = await _links(ready.flow.backend, ready.recorder)
    landing = args.landing_page
    sent = await links.send(
        account,
        landing or redirect_uri,
        landing_page=landing is not None,
        queue_entry=queue_entry,
    )
    _say_sent(sent, reporter)
    if args.json or not sys.stdin.isatty():
        return int(Outcome.OK)
    answer = (await asyncio.to_thread(input, PROMPT)).strip()
    if not answer:
        reporter.emit("later", LATER)
        return int(Outcome.OK)
    return _say_finished(await links.finish(answer), reporter)


async def send_queue_links(
    ready: Prepared,
    queue: WorkQueue,
    entries: list[QueueEntry],
    redirect_uri: LoopbackRedirectUri,
    args: argparse.Namespace,
    reporter: Reporter,
) -> int:
    """`queue run --remote`: a link for each waiting entry, its message printed; the entries
    wait as "sent" until their answers are finished (or their links expire)."""
    links = await _links(ready.flow.backend, ready.recorder)
    landing = args.landing_page
    sent = 0
    for entry in entries:
        if not queue.start(entry.id):
            continue  # another window or command took it
        reporter.emit("entry", f"[{sent + 1}/{len(entries)}] {entry.label}", id=entry.id)
        try:
            account = account_for_entry(entry, ready.target.api.value)
        except ValueError as exc:  # this API cannot take this entry: said, and on to the next
            words = explain_for_cli(exc)
            queue.finish(entry.id, entry_state_after(exc), reason=words.text())
            reporter.error(words)
            continue
        link = await links.send(
            account,
            landing or redirect_uri,
            landing_page=landing is not None,
            queue_entry=entry.id,
        )
        _say_sent(link, reporter)
        sent += 1
    reporter.emit("later", f"{sent} link(s) sent. {LATER}", count=sent)
    return int(Outcome.OK)


async def _finish(args: argparse.Namespace, reporter: Reporter) -> int:
    paths = AppPaths.default()
    text = args.answer if args.answer not in (None, "-") else await _read_answer()
    history = open_history(paths)
    link = await link_of_answer(history, text)
    profile = chosen_profile(args, paths) or await asyncio.to_thread(_profile_of, link, paths)
    target = _target(args, profile, link)
    saved = await asyncio.to_thread(saved_values, profile, target.api)
    creds = read_credentials(api=target.api.value, fallback=saved, zoom=False)
    backend = open_backend(target, NylasCredentials(creds.nylas_secret, creds.nylas_client_id))
    try:
        recorder = history_recorder(history, target, None, profile.name if profile else None)
        finished = await (await _links(backend, recorder)).finish(text)
    finally:
        await backend.aclose()
        for problem in history.problems:
            reporter.warning(problem)
    return _say_finished(finished, reporter)


async def _links(backend: Backend, recorder: HistoryRecorder) -> RemoteLinks:
    vault = await asyncio.to_thread(SecretStore)  # finding the keyring may block on D-Bus
    return RemoteLinks(backend, recorder, vault, WorkQueue(recorder.history.db_path))


async def _read_answer() -> str:
    if sys.stdin.isatty():
        return await asyncio.to_thread(input, "Paste what the customer sent back: ")
    return await asyncio.to_thread(sys.stdin.read)


def _profile_of(link: PendingAuthorization | None, paths: AppPaths) -> Profile | None:
    """The profile the link was sent with, when it is still saved."""
    if link is None or not link.profile:
        return None
    try:
        return ProfileStore(paths.profiles_file).get(link.profile)
    except ProfileError:
        return None


def _target(
    args: argparse.Namespace, profile: Profile | None, link: PendingAuthorization | None
) -> Target:
    """The flags' application, else the one the link was sent with."""
    named = any(getattr(args, flag, None) for flag in ("api", "region", "api_url"))
    if named or (link is None and profile is not None):
        region, api_url = where(args, profile)
        return Target.of(api_of(args, profile), region, api_url)
    if link is None:
        raise ValueError(
            "This answer names no link sent from this computer (or has no state). If it is a "
            "Connect answer without state, name the application with --profile, or --api and "
            "--region or --api-url."
        )
    if link.region == "sandbox":
        raise ValueError(IN_PROCESS_SANDBOX)
    api_url = link.api_url if link.region == "custom" else None
    return Target.of(link.api, link.region, api_url)


def _say_sent(sent: SentLink, reporter: Reporter) -> None:
    text = "Send this message to the customer (by email or chat):\n\n" + "\n".join(
        f"  {line}" if line else "" for line in sent.message().splitlines()
    )
    reporter.emit(
        "link_sent",
        text,
        url=sent.url,
        expires_at=sent.expires_at,
        message=sent.message(),
        customer=sent.account.customer,
        login_hint=sent.account.login_hint,
        account_id=sent.account.account_id,
        queue_entry=sent.queue_entry,
    )
    if not sent.survives_restart:
        reporter.warning(
            "No system keyring: the link's secret is kept only while this command runs. Take "
            "the customer's answer here before it ends, or send a new link later."
        )


def _say_finished(finished: Finished, reporter: Reporter) -> int:
    if finished.result is not None:
        reporter.result(finished.result)
        return int(Outcome.OK)
    reporter.emit(
        "declined",
        finished.declined_words(),
        customer=finished.account.customer,
        reason=finished.declined,
        queue_entry=finished.queue_entry,
    )
    return int(Outcome.FAILED)
