"""Escape, Cancel, the close button and Finish ask before closing exactly when something
would be lost: a pending consent, an earlier link still listened for, details the operator
typed; never for values the wizard filled in itself. And the window comes forward when the
customer answers, so the operator never has to find it."""

from __future__ import annotations

import asyncio

import pytest
from pytestqt.qtbot import QtBot

from tests.helpers.wizard import (
    WAIT,
    close_anyway,
    fill_account,
    make,
    on_account_page,
    start_consent,
    stop_waiting,
    wait_for_done,
)
from wizard.flow.browser import no_browser
from wizard.sandbox.consent_bot import ConsentBot
from wizard.ui.page_ids import PageId


def test_values_the_wizard_filled_in_are_not_asked_about(qtbot: QtBot, loop: object) -> None:
    wizard = on_account_page(qtbot, no_browser)
    fill_account(wizard, "Acme #1", "queued@example.com")  # as a queue entry fills the page
    assert wizard.pending_loss() is None
    wizard.reject()  # Escape
    assert wizard.leaving.question is None


def test_details_the_operator_typed_are_asked_about(qtbot: QtBot, loop: object) -> None:
    wizard = on_account_page(qtbot, no_browser)
    qtbot.keyClicks(wizard.v3_account_page.customer, "Acme #2")  # type: ignore[no-untyped-call]
    wizard.reject()  # Escape
    box = wizard.leaving.question
    assert box is not None and "you typed will be lost" in box.text()
    box.reject()  # Keep open
    qtbot.waitUntil(lambda: wizard.leaving.question is None, timeout=WAIT)
    close_anyway(wizard)


def test_finish_asks_while_an_earlier_link_is_listened_for(qtbot: QtBot, loop: object) -> None:
    wizard = on_account_page(qtbot, no_browser)
    start_consent(wizard, "Slow #1")
    consent = wizard.authorization_page
    stop_waiting(qtbot, wizard)  # the first link keeps working, and is listened for
    old = consent.url.text() or None
    consent.try_again.click()
    qtbot.waitUntil(lambda: bool(consent.url.text()) and consent.url.text() != old, timeout=WAIT)
    done = asyncio.ensure_future(ConsentBot("allow").visit(consent.url.text()))
    wait_for_done(qtbot, wizard)
    qtbot.waitUntil(done.done, timeout=WAIT)
    wizard.accept()  # Finish
    box = wizard.leaving.question
    assert box is not None and "1 earlier sign-in link(s) still work" in box.text()
    assert wizard.isVisible()
    close_anyway(wizard)


def test_the_window_comes_forward_when_the_customer_answers(
    qtbot: QtBot, loop: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QApplication, QWidget

    alerted: list[QWidget] = []
    monkeypatch.setattr(QApplication, "alert", staticmethod(lambda w, ms=0: alerted.append(w)))
    wizard = on_account_page(qtbot, ConsentBot("allow"))
    start_consent(wizard, "Acme #3")
    wait_for_done(qtbot, wizard)
    assert alerted and alerted[0] is wizard  # flashed where the window manager keeps focus
    wizard.close()


def test_change_application_asks_about_open_links_and_keep_leaves_all_as_it_was(
    qtbot: QtBot, loop: object
) -> None:
    wizard = on_account_page(qtbot, no_browser)
    page = wizard.v3_account_page
    start_consent(wizard, "Slow #2")
    stop_waiting(qtbot, wizard)
    wizard.onboard_another()
    page.change_application.click()
    box = wizard.leaving.question
    assert box is not None and "1 earlier sign-in link(s) still work" in box.text()
    box.reject()  # Keep this application
    qtbot.waitUntil(lambda: wizard.leaving.question is None, timeout=WAIT)
    assert wizard.currentId() == PageId.ACCOUNT_V3 and len(wizard.session.open_links()) == 1
    wizard.close()  # closing still asks about the link
    assert wizard.leaving.question is not None and wizard.isVisible()
    close_anyway(wizard)


def test_settings_typed_and_not_saved_are_asked_about_until_saved(
    qtbot: QtBot, loop: object
) -> None:
    from tests.helpers.wizard import answer_name_dialog

    wizard = make(qtbot, ConsentBot("allow"), api="connect")
    page = wizard.zoom_app_page
    qtbot.keyClicks(page.zoom_secret, "typed-zoom-secret")  # type: ignore[no-untyped-call]
    wizard.reject()  # Escape
    box = wizard.leaving.question
    assert box is not None and "not saved in a profile" in box.text()
    box.reject()  # Keep open
    qtbot.waitUntil(lambda: wizard.leaving.question is None, timeout=WAIT)
    bar = wizard.connection_page.profile_bar
    bar.save.click()
    answer_name_dialog(qtbot, "typed")
    qtbot.waitUntil(lambda: "Saved profile" in bar.note.message, timeout=WAIT)
    assert wizard.pending_loss() is None  # kept now: nothing to lose
