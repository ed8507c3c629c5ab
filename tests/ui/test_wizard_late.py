"""A consent given after the wizard stopped waiting: the window still listens for the old link
while it works, so the consent becomes a grant (on v3 nothing else could exchange its code),
recorded and said on the page; closing the window meanwhile asks first. The History window
can still look on Nylas for the grants of an earlier window's Connect links."""

from __future__ import annotations

import httpx
import pytest
from pytestqt.qtbot import QtBot

from tests.helpers.ports import free_port
from tests.helpers.wizard import (
    WAIT,
    authorize,
    connect,
    make,
    through_integration,
    to_account_page,
)
from wizard.flow.browser import no_browser
from wizard.sandbox.consent_bot import ConsentBot
from wizard.ui.page_ids import PageId
from wizard.ui.wizard import OnboardingWizard


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


@pytest.mark.parametrize("api", ["connect", "v3"])
def test_stop_waiting_then_allow_is_caught_said_and_in_the_history(
    qtbot: QtBot, loop: object, api: str
) -> None:
    import asyncio

    wizard, url = waiting_on(qtbot, api)
    page = wizard.authorization_page
    page.stop.click()
    qtbot.waitUntil(page.try_again.isVisible, timeout=WAIT)
    assert "keeps listening for the old link" in page.status.message
    assert "still listens" in page.countdown.text()
    assert not page.copy.isEnabled() and not page.open_again.isEnabled()
    assert len(wizard.session.open_links()) == 1
    done = asyncio.ensure_future(ConsentBot("allow").visit(url))  # the customer, later
    qtbot.waitUntil(done.done, timeout=WAIT)
    assert "Zoom is connected" in done.result().text
    qtbot.waitUntil(
        lambda: "came back after its wait had ended" in page.status.message, timeout=WAIT
    )
    grants = wizard.session.history.records()
    assert len(grants) == 1 and grants[0].grant_id in page.status.message
    assert grants[0].verified
    assert wizard.session.open_links() == []
    history = wizard.show_history()
    qtbot.waitUntil(lambda: history.model.rowCount() == 1, timeout=WAIT)
    wizard.close()


def test_closing_with_an_earlier_link_open_asks_first_and_says_what_is_lost(
    qtbot: QtBot, loop: object
) -> None:
    wizard, _url = waiting_on(qtbot, "v3")
    page = wizard.authorization_page
    page.stop.click()
    qtbot.waitUntil(page.try_again.isVisible, timeout=WAIT)
    wizard.close()
    box = wizard.leaving.question
    assert box is not None and wizard.isVisible()
    assert "1 earlier sign-in link(s) still work" in box.text()
    assert "cannot become a grant on Nylas API v3" in box.text()
    box.reject()  # Keep open
    qtbot.waitUntil(lambda: wizard.leaving.question is None, timeout=WAIT)
    assert wizard.isVisible()
    wizard.leaving.confirmed = True
    wizard.close()


def test_the_history_window_checks_for_late_grants_on_demand(qtbot: QtBot, loop: object) -> None:
    # An earlier window closed while its Connect link still worked (Connect makes the grant
    # at consent, so it can be found on Nylas later).
    import asyncio

    wizard, url = waiting_on(qtbot, "connect")
    page = wizard.authorization_page
    page.stop.click()
    qtbot.waitUntil(page.try_again.isVisible, timeout=WAIT)
    flow = wizard.session.flow
    assert flow is not None
    closing = asyncio.ensure_future(flow.stop_listening())  # as that window closing did
    qtbot.waitUntil(closing.done, timeout=WAIT)
    done = asyncio.ensure_future(allow_with_the_old_link(url))
    qtbot.waitUntil(done.done, timeout=WAIT)
    done.result()
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


def test_a_consent_after_a_timeout_is_caught_too(
    qtbot: QtBot, loop: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from wizard.flow.onboarding import OnboardingFlow

    defaults = OnboardingFlow.authorize.__kwdefaults__
    assert defaults is not None
    monkeypatch.setitem(defaults, "timeout", 1.0)  # the wizard's wait, cut short
    wizard, url = waiting_on(qtbot, "v3")
    page = wizard.authorization_page
    qtbot.waitUntil(page.try_again.isVisible, timeout=WAIT)
    assert "No answer from the browser" in page.status.message
    assert "keeps listening for the old link" in page.status.message
    done = asyncio.ensure_future(ConsentBot("allow").visit(url))
    qtbot.waitUntil(done.done, timeout=WAIT)
    assert "Zoom is connected" in done.result().text
    qtbot.waitUntil(
        lambda: "came back after its wait had ended" in page.status.message, timeout=WAIT
    )
    assert [r.verified for r in wizard.session.history.records()] == [True]
    wizard.close()
