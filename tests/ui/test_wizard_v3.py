"""The wizard on Nylas API v3 (the default), driven by pytest-qt against the in-process sandbox."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from tests.helpers.ports import free_port
from tests.helpers.wizard import (
    WAIT,
    close_anyway,
    consent,
    make,
    on_account_page,
    sandbox_checked,
    start_consent,
    to_account_page,
    wait_for_done,
)
from wizard.sandbox.consent_bot import ConsentBot
from wizard.ui import core
from wizard.ui.page_ids import PageId


def test_v3_is_the_default_and_reaches_done_then_renews(qtbot: QtBot, loop: object) -> None:
    wizard = make(qtbot, ConsentBot("allow"), api="v3")
    assert wizard.connection_page.api_value() == "v3"
    to_account_page(qtbot, wizard, free_port())
    consent(qtbot, wizard, "Acme #123")
    result = wizard.session.result
    assert result is not None and result.verified and result.api == "v3"
    assert result.customer == "Acme #123" and not result.renewed
    done = wizard.done_page
    assert done.grant_id.text() == result.grant_id
    assert done.customer.text() == "Acme #123"
    qtbot.waitUntil(done.another.isDefault, timeout=WAIT)  # Return: the next customer
    finish = wizard.button(wizard.WizardButton.FinishButton)
    assert isinstance(finish, QPushButton) and not finish.isDefault()
    # The same Zoom user again: Nylas renews the grant (same id) and the page says so.
    done.another.click()
    assert wizard.currentId() == PageId.ACCOUNT_V3
    assert "1 account(s) onboarded" in wizard.v3_account_page.status.message
    consent(qtbot, wizard, "Acme #123 again")
    again = wizard.session.result
    assert again is not None and again.grant_id == result.grant_id and again.renewed
    assert "renewed" in done.verification.message
    wizard.close()


def test_v3_decline_says_so_without_blaming_a_secret(qtbot: QtBot, loop: object) -> None:
    wizard = on_account_page(qtbot, ConsentBot("deny"))
    wizard.v3_account_page.customer.setText("Declines")
    wizard.next()
    auth = wizard.authorization_page
    qtbot.waitUntil(lambda: not auth.task.running and bool(auth.status.message), timeout=WAIT)
    qtbot.waitUntil(lambda: "declined" in auth.status.message.lower(), timeout=WAIT)
    assert "secret" not in auth.status.message.lower()
    close_anyway(wizard)


def test_the_account_page_checks_as_you_type_in_one_style(qtbot: QtBot, loop: object) -> None:
    wizard = on_account_page(qtbot, ConsentBot("allow"))
    page = wizard.v3_account_page
    page.customer.setText("Acme")
    page.login_hint.setText("not-an-email")
    assert not page.isComplete()
    assert "not an email address" in page.problem.text() and page.problem.isVisibleTo(page)
    page.login_hint.setText("a@b.example")
    page.customer.setText("bad\ttab")
    assert "control characters" in page.problem.text()
    page.customer.setText("Acme")
    assert page.isComplete() and not page.problem.isVisibleTo(page)
    wizard.close()


def test_everything_that_may_import_runs_on_the_one_loader_thread(
    qtbot: QtBot, loop: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two workers importing overlapping modules at once can hand one a half-initialised module
    # (an ImportError at the first Check connection, 4 launches in 12 here): one thread loads.
    import threading

    from wizard.ui import session as session_module

    threads: dict[str, str] = {}

    def recorded(name: str, original: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            threads[name] = threading.current_thread().name
            return original(*args, **kwargs)

        return run

    monkeypatch.setattr(session_module, "_new_flow", recorded("flow", session_module._new_flow))
    monkeypatch.setattr(
        session_module, "_new_secret_store", recorded("keyring", session_module._new_secret_store)
    )
    monkeypatch.setattr(core, "preload", recorded("core", core.preload))
    wizard = make(qtbot, ConsentBot("allow"), api="v3")
    sandbox_checked(qtbot, wizard)
    assert set(threads) == {"flow", "keyring", "core"}
    assert {name.rsplit("_", 1)[0] for name in threads.values()} == {"zoom-onboard-loader"}


def test_a_consent_by_another_zoom_user_is_said_on_the_page_and_the_wait_goes_on(
    qtbot: QtBot, loop: object
) -> None:
    bot = ConsentBot("allow", email="operator@example.com")  # the operator's own Zoom session
    wizard = on_account_page(qtbot, bot)
    start_consent(wizard, "Acme #9", "customer.9@example.com")
    status = wizard.authorization_page.status
    qtbot.waitUntil(lambda: "operator@example.com" in status.message, timeout=WAIT)
    assert "not accepted" in status.message and "customer.9@example.com" in status.message
    assert wizard.currentId() == PageId.AUTHORIZATION
    assert wizard.authorization_page.task.running  # still waiting for the right user
    bot.email = None  # the customer signs in: the form is prefilled with the login hint
    wizard.authorization_page.open_again.click()
    wait_for_done(qtbot, wizard)
    result = wizard.session.result
    assert result is not None and result.verified and result.email == "customer.9@example.com"


def test_from_the_account_page_another_application_or_api_without_relaunching(
    qtbot: QtBot, loop: object
) -> None:
    wizard = on_account_page(qtbot, ConsentBot("allow"))
    page = wizard.v3_account_page
    assert page.change_application.isVisible()
    page.change_application.click()
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.CONNECTION, timeout=WAIT)
    connection = wizard.connection_page
    connection.select_api("connect")  # another API this time
    qtbot.waitUntil(connection.isComplete, timeout=WAIT)  # the sandbox's own values, checked
    wizard.next()
    assert wizard.currentId() == PageId.ZOOM_APP
    zoom = wizard.zoom_app_page
    zoom.port.setValue(free_port())
    qtbot.waitUntil(zoom.isComplete, timeout=WAIT)
    wizard.next()
    qtbot.waitUntil(wizard.integration_page.isComplete, timeout=WAIT)
    wizard.next()
    assert wizard.currentId() == PageId.ACCOUNT  # the Connect API's account page
    wizard.close()
