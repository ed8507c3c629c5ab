"""No two controls the operator sees at once share a keyboard mnemonic (Alt+letter): on each
page of the wizard, with the queue's offer shown, and in the Queue and History windows."""

from __future__ import annotations

import asyncio

from pytestqt.qtbot import QtBot

from tests.helpers.ports import free_port
from tests.helpers.wizard import WAIT, make, mnemonics, pasted, to_account_page
from wizard.flow.browser import no_browser
from wizard.sandbox.consent_bot import ConsentBot
from wizard.ui.page_ids import PageId


def test_no_mnemonic_is_used_twice_where_the_operator_works(qtbot: QtBot, loop: object) -> None:
    wizard = make(qtbot, no_browser, api="v3")
    to_account_page(qtbot, wizard, free_port())
    pasted(qtbot, wizard, "first@example.com\tAcme #1")
    queue = wizard.queue_window
    assert queue is not None
    clashes = {k: n for k, n in mnemonics(queue).items() if n > 1}
    assert clashes == {}, f"Queue window: {clashes}"
    queue.hide()
    page = wizard.v3_account_page
    wizard.onboard_another()
    qtbot.waitUntil(page.from_queue.isVisible, timeout=WAIT)
    clashes = {k: n for k, n in mnemonics(wizard).items() if n > 1}
    assert clashes == {}, f"account page with the queue's offer: {clashes}"
    page.from_queue.click()  # the consent page, waiting
    consent = wizard.authorization_page
    qtbot.waitUntil(lambda: bool(consent.url.text()), timeout=WAIT)
    clashes = {k: n for k, n in mnemonics(wizard).items() if n > 1}
    assert clashes == {}, f"consent page: {clashes}"
    visit = asyncio.ensure_future(ConsentBot("allow").visit(consent.url.text()))
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.DONE, timeout=WAIT)
    qtbot.waitUntil(visit.done, timeout=WAIT)
    clashes = {k: n for k, n in mnemonics(wizard).items() if n > 1}
    assert clashes == {}, f"Done page: {clashes}"
    history = wizard.show_history()
    clashes = {k: n for k, n in mnemonics(history).items() if n > 1}
    assert clashes == {}, f"History window: {clashes}"
    wizard.close()
