"""Consent by link (flow/remote.py) on the sandbox: a customer on another computer, whose
browser stops at the redirect and hands back the address (ConsentBot(stop_at_redirect=True)),
pasted here; the history in SQLite and the verifier in a keyring, as the product keeps them."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.helpers.flows import EMAIL, sandbox_flow, spec, v3_flow
from tests.helpers.store import MemoryKeyring
from wizard.flow import CustomerAccount
from wizard.flow.factory import history_recorder, open_history
from wizard.flow.onboarding import BrowserOpener, OnboardingFlow
from wizard.flow.reconcile import reconcile_history
from wizard.flow.remote import RemoteAnswerError, RemoteLinks, link_of_answer
from wizard.listener.pasted import LANDING_PREFIX, NotAnAnswer
from wizard.listener.redirect_uri import LoopbackRedirectUri
from wizard.sandbox import SandboxServer, V3Options
from wizard.sandbox.consent_bot import ConsentBot
from wizard.store.entries import EntryState, NewEntry
from wizard.store.paths import AppPaths
from wizard.store.queue import LINK_EXPIRED, WorkQueue
from wizard.store.secrets import SecretStore
from wizard.target import Target

pytestmark = pytest.mark.anyio
ACME = CustomerAccount(customer="Acme #123", login_hint=EMAIL)


@dataclass
class Desk:
    """One operator's side: a flow on the sandbox, its history, queue and keyring."""

    sandbox: SandboxServer
    flow: OnboardingFlow
    links: RemoteLinks
    queue: WorkQueue
    paths: AppPaths
    redirect: LoopbackRedirectUri

    @property
    def db(self) -> Path:
        return self.paths.history_db

    @property
    def target(self) -> Target:
        return Target.of(self.flow.api, "sandbox", self.sandbox.url)

    def entry(self, label: str = "Acme #123", hint: str | None = EMAIL) -> int:
        (entry_id,) = self.queue.add([NewEntry(None, hint, label)], practice=True)
        assert self.queue.start(entry_id)
        return entry_id

    def authorizations(self) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.db) as conn:
            return conn.execute(
                "SELECT outcome, grant_id, remote, queue_entry FROM authorizations ORDER BY id"
            ).fetchall()


async def desk_on(sandbox: SandboxServer, tmp_path: Path, flow: OnboardingFlow) -> Desk:
    """`flow` with its integration in place (its redirect URI registered), and its stores."""
    integration = spec(sandbox)
    await flow.ensure_integration(integration)
    paths = AppPaths(tmp_path / "config", tmp_path / "data", tmp_path / "logs")
    history = open_history(paths)
    target = Target.of(flow.api, "sandbox", sandbox.url)
    recorder = history_recorder(history, target, None, "practice")
    queue = WorkQueue(paths.history_db)
    links = RemoteLinks(flow.backend, recorder, SecretStore(), queue)
    return Desk(sandbox, flow, links, queue, paths, integration.redirect_uri)


@asynccontextmanager
async def open_desk(
    tmp_path: Path, new_flow: Callable[[SandboxServer, BrowserOpener], OnboardingFlow]
) -> AsyncIterator[Desk]:
    """A desk on a sandbox of its own, its flow (from `new_flow`) answered by an Allow."""
    async with SandboxServer() as sandbox, aclosing(new_flow(sandbox, ConsentBot("allow"))) as flow:
        yield await desk_on(sandbox, tmp_path, flow)


@pytest.fixture
async def v3_desk(tmp_path: Path, memory_keyring: MemoryKeyring) -> AsyncIterator[Desk]:
    async with open_desk(tmp_path, v3_flow) as desk:
        yield desk


async def customer_answers(url: str, decision: str = "allow", email: str | None = None) -> str:
    """The customer elsewhere: signs in, decides, and copies the address their browser shows."""
    bot = ConsentBot(decision, stop_at_redirect=True, email=email)  # type: ignore[arg-type]
    await bot.visit(url)
    return await bot.next_answer(timeout=10)


# -- v3 --------------------------------------------------------------------------------------


async def test_a_v3_link_sent_elsewhere_is_finished_by_the_address_pasted_back(
    v3_desk: Desk, memory_keyring: MemoryKeyring
) -> None:
    entry = v3_desk.entry()
    redirect = v3_desk.redirect
    sent = await v3_desk.links.send(ACME, redirect, queue_entry=entry)
    message = sent.message()
    assert sent.url in message and EMAIL in message and sent.until in message
    assert "address bar" in message and sent.survives_restart and sent.queue_entry == entry
    assert v3_desk.queue.get(entry).state is EntryState.SENT
    # The verifier waits in the keyring, under the state's digest; never in the database.
    assert any(key.startswith("link:") for (_service, key) in memory_keyring.entries)
    address = await customer_answers(sent.url)
    assert urlsplit(address).path == "/callback" and "code=" in address

    finished = await v3_desk.links.finish(f"Here you go:\n{address}\nThanks!")

    assert finished.result is not None and finished.result.verified
    assert finished.result.email == EMAIL and finished.label == "Acme #123"
    assert v3_desk.authorizations() == [("connected", finished.result.grant_id, 1, entry)]
    done = v3_desk.queue.get(entry)
    assert done.state is EntryState.CONNECTED and done.grant_id == finished.result.grant_id
    history = open_history(v3_desk.paths).records()
    assert [r.grant_id for r in history] == [finished.result.grant_id]
    assert "by link" in (history[0].note or "")
    assert not any(key.startswith("link:") for (_service, key) in memory_keyring.entries)


async def test_the_landing_page_is_registered_and_its_line_finishes_the_link(
    v3_desk: Desk,
) -> None:
    landing = v3_desk.sandbox.landing_url
    sent = await v3_desk.links.send(ACME, landing, landing_page=True)
    assert landing in v3_desk.sandbox.v3_callback_uris
    assert LANDING_PREFIX in sent.message()
    address = await customer_answers(sent.url)
    assert address.startswith(landing + "?")
    line = f"{LANDING_PREFIX} {urlsplit(address).query}"

    finished = await v3_desk.links.finish(line)

    assert finished.result is not None and finished.result.verified


async def test_a_decline_is_recorded_as_refused_and_moves_the_entry(v3_desk: Desk) -> None:
    entry = v3_desk.entry()
    sent = await v3_desk.links.send(ACME, v3_desk.redirect, queue_entry=entry)
    address = await customer_answers(sent.url, "deny")

    finished = await v3_desk.links.finish(address)

    assert finished.result is None and finished.declined
    assert v3_desk.queue.get(entry).state is EntryState.REFUSED
    assert v3_desk.authorizations()[0][0] == "refused"


async def test_an_answer_used_twice_says_it_was_used(v3_desk: Desk) -> None:
    sent = await v3_desk.links.send(ACME, v3_desk.redirect)
    address = await customer_answers(sent.url)
    first = await v3_desk.links.finish(address)
    assert first.result is not None

    with pytest.raises(RemoteAnswerError, match=r"used already.*Acme #123.*Nothing more"):
        await v3_desk.links.finish(address)


async def test_a_code_nylas_refuses_leaves_the_link_open_for_a_new_answer(
    v3_desk: Desk,
) -> None:
    sent = await v3_desk.links.send(ACME, v3_desk.redirect)
    address = await customer_answers(sent.url)
    state = parse_qs(urlsplit(address).query)["state"][0]
    foreign = f"{v3_desk.redirect}?code=a-code-nylas-never-made&state={state}"

    with pytest.raises(RemoteAnswerError, match=r"refused the code.*minutes.*same link again"):
        await v3_desk.links.finish(foreign)
    assert v3_desk.authorizations()[0][0] is None  # still open
    # The customer opens the same link again and sends the new address: it works.
    finished = await v3_desk.links.finish(await customer_answers(sent.url))
    assert finished.result is not None and finished.result.verified


async def test_a_link_survives_a_restart_of_the_tool(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    async with SandboxServer() as sandbox:
        async with aclosing(v3_flow(sandbox, ConsentBot("allow"))) as first:
            desk = await desk_on(sandbox, tmp_path, first)
            sent = await desk.links.send(ACME, desk.redirect)
        # The window closed; the customer answers the next morning.
        address = await customer_answers(sent.url)
        # A new process: new flow, keyring, history.
        async with aclosing(v3_flow(sandbox, ConsentBot("allow"))) as again:
            desk = await desk_on(sandbox, tmp_path, again)
            finished = await desk.links.finish(address)
    assert finished.result is not None and finished.result.verified


async def test_without_a_keyring_the_link_lives_only_in_this_process(
    tmp_path: Path, no_keyring: None
) -> None:
    async with SandboxServer() as sandbox, aclosing(v3_flow(sandbox, ConsentBot("allow"))) as flow:
        desk = await desk_on(sandbox, tmp_path, flow)
        sent = await desk.links.send(ACME, desk.redirect)
        assert not sent.survives_restart
        later = await desk_on(sandbox, tmp_path, flow)  # another process's (empty) session
        with pytest.raises(RemoteAnswerError, match=r"no longer on this computer.*new link"):
            await later.links.finish(await customer_answers(sent.url))
        finished = await desk.links.finish(await customer_answers(sent.url))
    assert finished.result is not None


async def test_several_links_out_at_once_each_finish_their_own_entry(v3_desk: Desk) -> None:
    redirect = v3_desk.redirect
    people = [("Acme", "a@example.com"), ("Beta", "b@example.com"), ("Gamma", "c@example.com")]
    sent = []
    for label, email in people:
        entry = v3_desk.entry(label, email)
        account = CustomerAccount(customer=label, login_hint=email)
        sent.append((entry, email, await v3_desk.links.send(account, redirect, queue_entry=entry)))
    answers = await asyncio.gather(*(customer_answers(s.url, email=e) for _, e, s in sent))
    for (entry, email, _), address in reversed(list(zip(sent, answers, strict=True))):
        finished = await v3_desk.links.finish(address)
        assert finished.queue_entry == entry and finished.result is not None
        assert finished.result.email == email
        assert v3_desk.queue.get(entry).state is EntryState.CONNECTED
    assert await v3_desk.links.sent() == []


async def test_an_expired_link_refuses_its_answer_and_the_sweep_fails_its_entry(
    v3_desk: Desk, memory_keyring: MemoryKeyring
) -> None:
    entry = v3_desk.entry()
    sent = await v3_desk.links.send(ACME, v3_desk.redirect, queue_entry=entry)
    address = await customer_answers(sent.url)
    later = sent.expires_at + 1
    with pytest.raises(RemoteAnswerError, match=r"expired at .*new link"):
        await v3_desk.links.finish(address, now=later)

    assert await v3_desk.links.sweep(now=later) == 1
    assert v3_desk.authorizations()[0][0] == "expired"
    failed = v3_desk.queue.get(entry)
    assert failed.state is EntryState.FAILED and failed.reason == LINK_EXPIRED
    assert not any(key.startswith("link:") for (_service, key) in memory_keyring.entries)


async def test_reconcile_leaves_v3_links_sent_elsewhere_open(v3_desk: Desk) -> None:
    # No process listens for them and none needs to: their answer is pasted.
    await v3_desk.links.send(ACME, v3_desk.redirect)
    history = open_history(v3_desk.paths)
    report = await reconcile_history(v3_desk.flow.backend, history, v3_desk.target)
    assert (report.found, report.expired) == ([], 0)
    assert v3_desk.authorizations()[0][0] is None


# -- bad pastes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("thanks, it worked!", "no answer in what was pasted"),
        ("http://localhost:9007/callback", "no answer in it"),
        ("x" * 20_000, "far more than an answer"),
    ],
)
async def test_what_holds_no_answer_says_what_to_ask_for(
    v3_desk: Desk, text: str, words: str
) -> None:
    with pytest.raises(NotAnAnswer, match=words) as caught:
        await v3_desk.links.finish(text)
    assert "ZOOM-ONBOARD" in str(caught.value)


async def test_a_damaged_answer_and_a_foreign_one_are_told_apart(v3_desk: Desk) -> None:
    with pytest.raises(RemoteAnswerError, match="damaged"):
        await v3_desk.links.finish("http://localhost:9007/callback?code=&state=abc")
    with pytest.raises(RemoteAnswerError, match="not for a link sent from this computer"):
        await v3_desk.links.finish("http://localhost:9007/callback?code=abcdefgh123&state=abc")


async def test_an_answer_at_another_address_is_not_this_links(v3_desk: Desk) -> None:
    sent = await v3_desk.links.send(ACME, v3_desk.redirect)
    query = urlsplit(await customer_answers(sent.url)).query
    with pytest.raises(RemoteAnswerError, match="not where the link sends the customer back"):
        await v3_desk.links.finish(f"https://evil.example.com/callback?{query}")
    finished = await v3_desk.links.finish(query)  # the bare query is fine
    assert finished.result is not None


async def test_an_answer_for_another_application_names_it(v3_desk: Desk, tmp_path: Path) -> None:
    sent = await v3_desk.links.send(ACME, v3_desk.redirect)
    address = await customer_answers(sent.url)
    async with SandboxServer() as other, aclosing(v3_flow(other, ConsentBot("allow"))) as flow:
        paths = AppPaths(tmp_path / "config", tmp_path / "data", tmp_path / "logs")
        target = Target.of("v3", "custom", other.url)  # real, not practice
        recorder = history_recorder(open_history(paths), target, None, "production")
        links = RemoteLinks(flow.backend, recorder, SecretStore(), None)
        with pytest.raises(RemoteAnswerError, match=r"another application.*profile practice"):
            await links.finish(address)
    assert (await link_of_answer(open_history(v3_desk.paths), address)) is not None


# -- Connect ----------------------------------------------------------------------------


@pytest.fixture
async def connect_desk(tmp_path: Path, memory_keyring: MemoryKeyring) -> AsyncIterator[Desk]:
    async with open_desk(tmp_path, sandbox_flow) as desk:
        yield desk


async def test_a_connect_link_sent_elsewhere_is_found_by_asking_nylas(connect_desk: Desk) -> None:
    desk = connect_desk
    entry = desk.entry("Acme", None)
    account = CustomerAccount("acct-1", customer="Acme")
    sent = await desk.links.send(account, desk.redirect, queue_entry=entry)
    assert "nothing more is needed from you" in sent.message()
    await customer_answers(sent.url)  # nothing is sent back: the grant is made
    report = await reconcile_history(
        desk.flow.backend,
        open_history(desk.paths),
        desk.target,
        queue=desk.queue,
    )
    assert len(report.found) == 1 and report.found[0].confirmed
    assert desk.queue.get(entry).state is EntryState.CONNECTED
    assert desk.authorizations()[0][:1] == ("connected",)


async def test_a_connect_answer_pasted_anyway_finishes_it(connect_desk: Desk) -> None:
    sent = await connect_desk.links.send(CustomerAccount("acct-1"), connect_desk.redirect)
    finished = await connect_desk.links.finish(await customer_answers(sent.url))
    assert finished.result is not None and finished.result.verified


async def test_a_sent_link_opened_on_this_computer_says_to_send_the_address_back(
    v3_desk: Desk,
) -> None:
    # Practising on one computer (or the operator tried the link): the window's listener does
    # not know the link's state, and its page says what the customer would do.
    await v3_desk.flow.listen(v3_desk.redirect)
    sent = await v3_desk.links.send(ACME, v3_desk.redirect)
    visit = await ConsentBot("allow").visit(sent.url)
    assert visit.status == 400 and "send it back to them" in visit.text
    finished = await v3_desk.links.finish(visit.final_url)
    assert finished.result is not None and finished.result.verified


async def test_a_practice_link_of_an_earlier_sandbox_says_it_ended_with_it(
    v3_desk: Desk, tmp_path: Path
) -> None:
    sent = await v3_desk.links.send(ACME, v3_desk.redirect)
    address = await customer_answers(sent.url)
    # The next window's sandbox, on another port.
    async with open_desk(tmp_path, v3_flow) as desk:
        with pytest.raises(RemoteAnswerError, match=r"earlier offline sandbox.*new link"):
            await desk.links.finish(address)


@pytest.mark.parametrize(
    "options",
    [
        V3Options(renewal_state="initial"),
        V3Options(renewal_state="overwritten"),
        V3Options(grant_status_field=False),
        V3Options(scope_null=True),
    ],
    ids=["renewal-keeps-state", "renewal-overwrites-state", "no-grant-status", "null-scope"],
)
async def test_an_answer_by_link_renews_whatever_nylas_leaves_open(
    v3_desk: Desk, options: V3Options
) -> None:
    # Where Nylas is silent (a renewal's state, grant_status, scope), the answer pasted back is
    # taken either way: our own PKCE exchange proves the grant is this link's.
    v3_desk.sandbox.v3_options = options
    first = v3_desk.sandbox.add_v3_grant(email=EMAIL, state="state-of-the-first-consent", at=1_000)
    sent = await v3_desk.links.send(ACME, v3_desk.redirect)
    finished = await v3_desk.links.finish(await customer_answers(sent.url))
    assert finished.result is not None
    assert finished.result.grant_id == first["id"] and finished.result.renewed
    assert finished.result.verified, finished.result.verification_note
    history = open_history(v3_desk.paths).records()
    assert "renewed" in (history[0].note or "")
