"""A consent given after the wizard stopped waiting: on the Connect API it still ends in the
history (the session looks for it on Nylas while the old link works, and the History window
can ask on demand); on v3 the wizard says at once that the old link cannot become a grant."""

from __future__ import annotations

import httpx
import pytest
from pytestqt.qtbot import QtBot

from tests.support import free_port
from tests.ui.test_wizard import WAIT, authorize, connect, make, through_integration
from tests.ui.test_wizard_v3 import to_account_page
from wizard.flow.browser import no_browser
from wizard.sandbox.consent_bot import ConsentBot
from wizard.ui import session as session_module
from wizard.ui.wizard import OnboardingWizard, PageId


def waiting_on(qtbot: QtBot, api: str) -> tuple[OnboardingWizard, str]:
    """A wizard waiting for consent on a link nobody opened; returns it and the link."""
    wizard = make(qtbot, no_browser, api=api)
    if api == "v3":
        to_account_page(qtbot, wizard, free_port())
        wizard.v3_account_page.login_hint.setText("late.customer@example.com")
        wizard.v3_account_page.customer.setText("Late #1")
        wizard.next()
        assert wizard.currentId() == PageId.AUTHORIZATION
    else:
        connect(qtbot, wizard)
        through_integration(qtbot, wizard, free_port())
        authorize(qtbot, wizard, "acct-late-1")
    page = wizard.authorization_page
    qtbot.waitUntil(lambda: bool(page.url.text()), timeout=WAIT)
    return wizard, page.url.text()


async def allow_with_the_old_link(url: str) -> None:
    try:
        await ConsentBot("allow").visit(url)
    except httpx.ConnectError:
        pass  # the listener is gone: the customer's browser shows a dead localhost page
    else:
        raise AssertionError("the listener still answered after Stop waiting")


def test_v3_stop_waiting_says_the_old_link_cannot_become_a_grant(
    qtbot: QtBot, loop: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    monkeypatch.setattr(session_module, "LATE_POLL_SECONDS", 0.05)
    wizard, url = waiting_on(qtbot, "v3")
    page = wizard.authorization_page
    page.stop.click()
    qtbot.waitUntil(page.try_again.isVisible, timeout=WAIT)
    assert "cannot become a grant" in page.status.message
    assert "looked for on Nylas" not in page.status.message
    qtbot.waitUntil(lambda: not wizard.session.history.open_authorizations(), timeout=WAIT)
    done = asyncio.ensure_future(allow_with_the_old_link(url))
    qtbot.waitUntil(done.done, timeout=WAIT)
    done.result()
    sandbox = wizard.session.sandbox
    assert sandbox is not None and sandbox.v3_grants == {}
    assert wizard.session.history.records() == []
    wizard.close()


def test_stop_waiting_then_allow_is_found_said_and_in_the_history(
    qtbot: QtBot, loop: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    monkeypatch.setattr(session_module, "LATE_POLL_SECONDS", 0.05)
    wizard, url = waiting_on(qtbot, "connect")
    page = wizard.authorization_page
    page.stop.click()
    qtbot.waitUntil(page.try_again.isVisible, timeout=WAIT)
    assert "looked for on Nylas" in page.status.message
    assert not page.copy.isEnabled() and not page.open_again.isEnabled()
    done = asyncio.ensure_future(allow_with_the_old_link(url))
    qtbot.waitUntil(done.done, timeout=WAIT)
    done.result()
    qtbot.waitUntil(lambda: "came back after the wait ended" in page.status.message, timeout=WAIT)
    grants = wizard.session.history.records()
    assert len(grants) == 1 and grants[0].grant_id in page.status.message
    assert grants[0].verified  # matched by its state, checked with the API
    history = wizard.show_history()
    qtbot.waitUntil(lambda: history.model.rowCount() == 1, timeout=WAIT)
    wizard.close()


def test_the_history_window_checks_for_late_grants_on_demand(
    qtbot: QtBot, loop: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    monkeypatch.setattr(session_module, "LATE_POLL_SECONDS", 3600.0)  # no automatic check
    wizard, url = waiting_on(qtbot, "connect")
    page = wizard.authorization_page
    page.stop.click()
    qtbot.waitUntil(page.try_again.isVisible, timeout=WAIT)
    done = asyncio.ensure_future(allow_with_the_old_link(url))
    qtbot.waitUntil(done.done, timeout=WAIT)
    history = wizard.show_history()
    qtbot.waitUntil(lambda: "grant(s) on this computer" in history.status.message, timeout=WAIT)
    assert history.model.rowCount() == 0
    history.check_late.click()
    qtbot.waitUntil(lambda: history.model.rowCount() == 1, timeout=WAIT)
    qtbot.waitUntil(lambda: "1 late grant(s) found" in history.status.message, timeout=WAIT)
    history.check_late.click()  # again: nothing new, nothing twice
    qtbot.waitUntil(lambda: "No sign-in was left waiting" in history.status.message, timeout=WAIT)
    assert history.model.rowCount() == 1
    wizard.close()


def test_check_for_late_grants_before_a_connection_says_what_to_do(
    qtbot: QtBot, loop: object
) -> None:
    wizard = make(qtbot, no_browser, api="v3")
    wizard.connection_page.select_region("us")  # no sandbox: nothing is checked yet
    history = wizard.show_history()
    history.check_late.click()
    qtbot.waitUntil(lambda: "Check the connection" in history.status.message, timeout=WAIT)
    wizard.close()
