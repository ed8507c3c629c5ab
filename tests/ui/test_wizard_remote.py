"""Consent by link in the wizard (issue 19, part 1), against the in-process sandbox: the consent
page's The customer is not here..., the message and Copy message, Paste answer... on the consent
page and in the Queue window, several links out at once, a restart between send and paste, the
landing page saved in a profile, and on Connect the grant found by asking Nylas, nothing pasted.

The customer elsewhere is ConsentBot(stop_at_redirect=True): their browser stops at the redirect
and hands back the address it shows."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar
from urllib.parse import urlsplit

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from tests.helpers.ports import free_port
from tests.helpers.wizard import (
    WAIT,
    answer_name_dialog,
    close_anyway,
    connect,
    make,
    mnemonics,
    on_account_page,
    pasted,
    sandbox_checked,
    sandbox_of,
    start_consent,
    started_from_the_queue,
    through_integration,
    to_account_page,
    wait_for_done,
)
from wizard.flow.browser import no_browser
from wizard.sandbox.consent_bot import ConsentBot
from wizard.store.queue import EntryState, WorkQueue
from wizard.ui.page_ids import PageId
from wizard.ui.paste_answer import PasteAnswerDialog
from wizard.ui.queue_window import QueueWindow
from wizard.ui.wizard import OnboardingWizard

T = TypeVar("T")
EMAIL = "customer@example.com"


def run(qtbot: QtBot, coro: Coroutine[Any, Any, T]) -> T:
    """A coroutine on the window's loop, waited for while Qt runs."""
    task = asyncio.ensure_future(coro)
    qtbot.waitUntil(task.done, timeout=WAIT)
    return task.result()


async def customer_answers(url: str, decision: str = "allow", email: str | None = None) -> str:
    """The customer elsewhere: signs in, decides, and copies the address their browser shows."""
    bot = ConsentBot(decision, stop_at_redirect=True, email=email)  # type: ignore[arg-type]
    await bot.visit(url)
    return await bot.next_answer(timeout=10)


def states(wizard: OnboardingWizard) -> list[EntryState]:
    queue = WorkQueue(wizard.session.paths.history_db)
    return [e.state for e in queue.entries(practice=True)]


def paste(qtbot: QtBot, dialog: PasteAnswerDialog | None, text: str) -> PasteAnswerDialog:
    """Type `text` into the open Paste answer dialog and press OK (its answer comes later)."""
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT)
    dialog.text.setPlainText(text)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    return dialog


def sent_from_the_consent_page(qtbot: QtBot, wizard: OnboardingWizard) -> str:
    """On the waiting consent page: The customer is not here...; returns the link sent."""
    page = wizard.authorization_page
    qtbot.waitUntil(lambda: bool(page.url.text()), timeout=WAIT)
    assert page.task.running and page.remote.not_here.isVisible()
    page.remote.not_here.click()
    qtbot.waitUntil(page.remote.view.isVisible, timeout=WAIT)
    sent = page.remote.view.sent
    assert sent is not None
    return sent.url


def v3_at_consent_with_an_entry(qtbot: QtBot) -> OnboardingWizard:
    """v3, a queue entry for EMAIL started: the consent page waits (no browser opened)."""
    wizard = on_account_page(qtbot, no_browser)
    started_from_the_queue(qtbot, wizard, f"{EMAIL}\tAcme #1")
    return wizard


def test_not_here_sends_a_link_and_the_pasted_address_goes_on_to_done(
    qtbot: QtBot, loop: object
) -> None:
    wizard = v3_at_consent_with_an_entry(qtbot)
    page = wizard.authorization_page
    url = sent_from_the_consent_page(qtbot, wizard)
    view = page.remote.view
    message = view.message.toPlainText()
    assert url in message and EMAIL in message and "address bar" in message
    assert view.message.isReadOnly()
    assert "Paste answer..." in view.next_steps.text() and "works until" in view.next_steps.text()
    assert not view.warning.isVisible()  # the keyring keeps the link's secret
    view.copy.click()
    assert QGuiApplication.clipboard().text() == message
    qtbot.waitUntil(lambda: states(wizard) == [EntryState.SENT], timeout=WAIT)
    assert wizard.session.work.current is None  # the page no longer holds the entry
    assert not page.task.running and page.try_again.isVisible()
    assert "send it to the customer" in page.status.message
    clashes = {k: n for k, n in mnemonics(wizard).items() if n > 1}
    assert clashes == {}, f"consent page with a sent link: {clashes}"

    address = run(qtbot, customer_answers(url))
    assert urlsplit(address).path == "/callback"
    page.remote.paste.click()
    paste(qtbot, page.remote.dialog, f"Hi, here it is:\n{address}\nThanks")

    wait_for_done(qtbot, wizard)
    result = wizard.session.result
    assert result is not None and result.verified and result.email == EMAIL
    assert wizard.done_page.grant_id.text() == result.grant_id
    assert wizard.session.grants_this_session == (result.grant_id,)  # counted once
    assert states(wizard) == [EntryState.CONNECTED]
    close_anyway(wizard)  # the page's own link is still listened for


def test_a_decline_pasted_back_is_said_and_refuses_the_entry(qtbot: QtBot, loop: object) -> None:
    wizard = v3_at_consent_with_an_entry(qtbot)
    page = wizard.authorization_page
    url = sent_from_the_consent_page(qtbot, wizard)
    address = run(qtbot, customer_answers(url, "deny"))
    page.remote.paste.click()
    dialog = paste(qtbot, page.remote.dialog, address)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)
    assert "Acme #1 declined the connection" in page.status.message
    assert wizard.currentId() == PageId.AUTHORIZATION
    assert states(wizard) == [EntryState.REFUSED]
    close_anyway(wizard)


def test_a_bad_paste_keeps_the_text_and_says_what_to_do(qtbot: QtBot, loop: object) -> None:
    wizard = v3_at_consent_with_an_entry(qtbot)
    page = wizard.authorization_page
    url = sent_from_the_consent_page(qtbot, wizard)
    page.remote.paste.click()
    dialog = paste(qtbot, page.remote.dialog, "thanks, it worked!")
    qtbot.waitUntil(lambda: "no answer in what was pasted" in dialog.status.message, timeout=WAIT)
    assert dialog.isVisible() and dialog.text.toPlainText() == "thanks, it worked!"
    assert "ZOOM-ONBOARD" in dialog.status.message  # what to ask the customer for
    foreign = "http://localhost:9/callback?code=abcdefgh123&state=not-ours"
    paste(qtbot, dialog, foreign)
    said = "not for a link sent from this computer"
    qtbot.waitUntil(lambda: said in dialog.status.message, timeout=WAIT)
    assert dialog.isVisible() and dialog.text.toPlainText() == foreign
    dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
    assert not dialog.isVisible() and states(wizard) == [EntryState.SENT]

    # The real answer, pasted in the Queue window this time: the page stays where it is.
    address = run(qtbot, customer_answers(url))
    window = wizard.show_queue()
    qtbot.waitUntil(lambda: not window.task.running, timeout=WAIT)
    assert window.paste_answer.isEnabled()
    window.paste_answer.click()
    paste(qtbot, window.dialog, address)
    qtbot.waitUntil(lambda: "Acme #1 connected: grant" in window.status.message, timeout=WAIT)
    assert "(verified)" in window.status.message
    assert states(wizard) == [EntryState.CONNECTED]
    close_anyway(wizard)


def test_without_a_keyring_the_link_lives_in_this_window_and_closing_asks(
    qtbot: QtBot, loop: object, no_keyring: None
) -> None:
    wizard = v3_at_consent_with_an_entry(qtbot)
    sent_from_the_consent_page(qtbot, wizard)
    warning = wizard.authorization_page.remote.view.warning
    assert warning.isVisible() and "only while this window stays open" in warning.message
    loss = wizard.pending_loss()
    assert loss is not None and "Acme #1" in loss and "answers cannot be taken" in loss
    close_anyway(wizard)


def send_from_the_queue(qtbot: QtBot, window: QueueWindow, row: int) -> str:
    qtbot.waitUntil(lambda: not window.task.running, timeout=WAIT)
    window.table.selectRow(row)
    window.send_link.click()
    qtbot.waitUntil(lambda: "link is made" in window.status.message, timeout=WAIT)
    sent = window.sent_view.sent
    assert sent is not None and sent.queue_entry == window.entries[row].id
    assert window.sent_view.isVisible() and sent.url in window.sent_view.message.toPlainText()
    return sent.url


def test_several_links_out_at_once_each_answer_connects_its_own_entry(
    qtbot: QtBot, loop: object
) -> None:
    wizard = on_account_page(qtbot, no_browser)
    people = [("a@example.com", "Acme #1"), ("b@example.com", "Beta #2")]
    window = pasted(qtbot, wizard, "\n".join(f"{email}\t{name}" for email, name in people))
    urls = [send_from_the_queue(qtbot, window, row) for row in (0, 1)]
    qtbot.waitUntil(lambda: not window.task.running, timeout=WAIT)
    assert states(wizard) == [EntryState.SENT, EntryState.SENT]
    shown = [window.model.item(row, 1).text() for row in (0, 1)]
    assert all(s.startswith("sent, waiting for the customer (until ") for s in shown), shown
    clashes = {k: n for k, n in mnemonics(window).items() if n > 1}
    assert clashes == {}, f"Queue window with a sent link: {clashes}"

    async def both_answer() -> list[str]:
        pairs = zip(urls, people, strict=True)
        return await asyncio.gather(*(customer_answers(u, email=e) for u, (e, _) in pairs))

    answers = run(qtbot, both_answer())
    for answer, (_email, name) in reversed(list(zip(answers, people, strict=True))):
        window.paste_answer.click()
        paste(qtbot, window.dialog, answer)
        said = f"{name} connected: grant"

        def said_so(said: str = said) -> bool:
            return said in window.status.message

        qtbot.waitUntil(said_so, timeout=WAIT)
    assert states(wizard) == [EntryState.CONNECTED, EntryState.CONNECTED]
    qtbot.waitUntil(lambda: all(window.model.item(r, 4).text() for r in (0, 1)), timeout=WAIT)
    assert len({window.model.item(r, 4).text() for r in (0, 1)}) == 2  # a grant each
    assert wizard.currentId() == PageId.ACCOUNT_V3  # the wizard was never needed
    wizard.close()


def test_a_link_sent_before_a_restart_is_finished_in_the_new_window(
    qtbot: QtBot, loop: object
) -> None:
    first = v3_at_consent_with_an_entry(qtbot)
    url = sent_from_the_consent_page(qtbot, first)
    sandbox = sandbox_of(first)
    close_anyway(first)
    run(qtbot, first.session.close_flow())  # the process ends; Nylas (the sandbox) stays
    first.session.sandbox = None
    address = run(qtbot, customer_answers(url))  # the next morning

    again = make(qtbot, no_browser, api="v3")
    again.session.sandbox = sandbox  # the same Nylas: the sandbox outlived the window
    sandbox_checked(qtbot, again)
    window = again.show_queue()
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=WAIT)
    assert window.model.item(0, 1).text().startswith("sent, waiting for the customer")
    window.paste_answer.click()
    paste(qtbot, window.dialog, address)
    qtbot.waitUntil(lambda: "Acme #1 connected: grant" in window.status.message, timeout=WAIT)
    assert "(verified)" in window.status.message
    assert states(again) == [EntryState.CONNECTED]
    again.close()


def test_the_landing_page_is_kept_in_the_profile_and_its_line_finishes_the_link(
    qtbot: QtBot, loop: object
) -> None:
    wizard = make(qtbot, no_browser, api="v3")
    sandbox_checked(qtbot, wizard)
    landing = sandbox_of(wizard).landing_url
    zoom = wizard.zoom_app_page
    zoom.landing.setText("http://www.example.com/answer.html")
    assert "https" in zoom.landing.why.text() and zoom.landing.problem() is not None
    zoom.landing.setText(landing)
    assert zoom.landing.problem() is None
    bar = wizard.connection_page.profile_bar
    bar.save.click()
    answer_name_dialog(qtbot, "practice")
    qtbot.waitUntil(lambda: "Saved profile 'practice'" in bar.note.message, timeout=WAIT)
    assert wizard.session.profiles.get("practice").landing_page == landing

    to_account_page(qtbot, wizard, free_port())
    assert wizard.session.remote.landing_page == landing
    start_consent(wizard, "Acme #1", EMAIL)
    url = sent_from_the_consent_page(qtbot, wizard)
    assert landing in sandbox_of(wizard).v3_callback_uris  # registered at the first send
    view = wizard.authorization_page.remote.view
    assert "ZOOM-ONBOARD" in view.message.toPlainText()
    assert "the landing page's line" in view.next_steps.text()
    address = run(qtbot, customer_answers(url))
    assert address.startswith(landing + "?")
    wizard.authorization_page.remote.paste.click()
    paste(qtbot, wizard.authorization_page.remote.dialog, f"ZOOM-ONBOARD {urlsplit(address).query}")
    wait_for_done(qtbot, wizard)
    result = wizard.session.result
    assert result is not None and result.verified
    close_anyway(wizard)


def test_a_connect_link_sent_elsewhere_is_found_by_asking_nylas_nothing_pasted(
    qtbot: QtBot, loop: object
) -> None:
    wizard = make(qtbot, no_browser, api="connect")
    wizard.session.remote.poll_interval = 50  # ms, instead of 30 s
    connect(qtbot, wizard)
    through_integration(qtbot, wizard, free_port())
    started_from_the_queue(qtbot, wizard, "acct-remote-1\tAcme #1")
    url = sent_from_the_consent_page(qtbot, wizard)
    view = wizard.authorization_page.remote.view
    assert "nothing more is needed from you" in view.message.toPlainText()
    assert "Nothing comes back" in view.next_steps.text()
    qtbot.waitUntil(lambda: states(wizard) == [EntryState.SENT], timeout=WAIT)
    assert wizard.session.remote.polling

    run(qtbot, ConsentBot("allow", stop_at_redirect=True).visit(url))

    qtbot.waitUntil(lambda: states(wizard) == [EntryState.CONNECTED], timeout=WAIT)
    qtbot.waitUntil(lambda: not wizard.session.remote.polling, timeout=WAIT)  # none left out
    status = wizard.authorization_page.status
    qtbot.waitUntil(lambda: "now in the History" in status.message, timeout=WAIT)
    close_anyway(wizard)


def test_send_link_before_the_integration_says_what_to_do_and_keeps_the_entry(
    qtbot: QtBot, loop: object
) -> None:
    wizard = make(qtbot, no_browser, api="v3")
    sandbox_checked(qtbot, wizard)
    window = pasted(qtbot, wizard, f"{EMAIL}\tAcme #1")
    assert window.send_link.isEnabled() and window.paste_answer.isEnabled()
    window.table.selectRow(0)
    window.send_link.click()
    qtbot.waitUntil(lambda: "first three pages" in window.status.message, timeout=WAIT)
    assert states(wizard) == [EntryState.WAITING]
    wizard.close()
