"""The Done page on the sandbox (v3): scopes the consent did not grant, and deleting a grant
(asked once, or twice when the grant was in use before this onboarding)."""

from __future__ import annotations

import socket
from typing import NamedTuple

from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from tests.helpers.wizard import WAIT, consent, destructive, on_account_page, sandbox_of
from wizard.sandbox import SandboxServer
from wizard.sandbox.consent_bot import ConsentBot
from wizard.ui.pages.done import DonePage
from wizard.ui.wizard import OnboardingWizard

EMAIL = "zoom.user@example.com"  # the login hint consent() gives, and the bot's Zoom user


class Onboarded(NamedTuple):
    wizard: OnboardingWizard
    done: DonePage
    grant_id: str  # as the Done page shows it
    sandbox: SandboxServer


def onboarded(qtbot: QtBot, *, already_connected: bool = False) -> Onboarded:
    """A v3 onboarding on the sandbox, on the Done page; `already_connected`: the Zoom user
    had a grant before, which the consent renews."""
    wizard = on_account_page(qtbot, ConsentBot("allow"))
    if already_connected:
        sandbox_of(wizard).add_v3_grant(email=EMAIL, at=1000)
    consent(qtbot, wizard, "Acme #5")
    result = wizard.session.result
    assert result is not None and result.verified and result.renewed is already_connected
    done = wizard.done_page
    return Onboarded(wizard, done, done.grant_id.text(), sandbox_of(wizard))


def asked(qtbot: QtBot, done: DonePage, previous: QMessageBox | None = None) -> QMessageBox:
    qtbot.waitUntil(
        lambda: (
            done.confirm is not None and done.confirm is not previous and done.confirm.isVisible()
        ),
        timeout=WAIT,
    )
    assert done.confirm is not None
    box = done.confirm
    assert box.icon() is QMessageBox.Icon.Warning
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    return box


def test_scopes_the_consent_did_not_grant_are_named_beside_the_verification(
    qtbot: QtBot, loop: object
) -> None:
    wizard = on_account_page(qtbot, ConsentBot("allow"))
    sandbox_of(wizard).zoom_app_scopes = ("meeting:write:meeting", "user:read:user")
    consent(qtbot, wizard, "Acme #6")
    result = wizard.session.result
    assert result is not None
    assert result.missing_scopes == ("meeting:update:meeting", "meeting:delete:meeting")
    done = wizard.done_page
    assert "Verified" in done.verification.message  # the grant still counts as obtained
    assert done.grant_id.text() == result.grant_id
    line = done.scopes.message
    assert done.scopes.isVisibleTo(done)
    assert "meeting:update:meeting" in line and "meeting:delete:meeting" in line
    assert "meeting:write:meeting" not in line and "user:read:user" not in line
    assert "Zoom Marketplace" in line and "consent again" in line
    wizard.close()


def test_a_consent_with_every_scope_shows_no_scopes_line(qtbot: QtBot, loop: object) -> None:
    wizard, done, _, _ = onboarded(qtbot)
    assert not done.scopes.isVisibleTo(done) and done.scopes.message == ""
    wizard.close()


def test_deleting_a_renewed_grant_asks_twice_then_deletes(qtbot: QtBot, loop: object) -> None:
    wizard, done, grant_id, sandbox = onboarded(qtbot, already_connected=True)
    assert grant_id in sandbox.v3_grants
    done.delete.click()
    first = asked(qtbot, done)
    assert grant_id in first.text() and EMAIL in first.text()
    destructive(first).click()
    second = asked(qtbot, done, previous=first)
    assert "in use" in second.windowTitle()
    assert grant_id in second.text() and "existed before this onboarding" in second.text()
    assert grant_id in sandbox.v3_grants  # nothing deleted yet
    destructive(second).click()
    qtbot.waitUntil(lambda: grant_id not in sandbox.v3_grants, timeout=WAIT)
    qtbot.waitUntil(lambda: "was deleted" in done.verification.message, timeout=WAIT)
    assert grant_id not in wizard.session.grants_this_session
    wizard.close()


def test_cancelling_the_second_question_keeps_a_renewed_grant(qtbot: QtBot, loop: object) -> None:
    wizard, done, grant_id, sandbox = onboarded(qtbot, already_connected=True)
    done.delete.click()
    first = asked(qtbot, done)
    destructive(first).click()
    second = asked(qtbot, done, previous=first)
    second.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: done.confirm is None, timeout=WAIT)
    qtbot.wait(300)  # a delete that was (wrongly) started would be done by now
    assert not done.task.running
    assert grant_id in sandbox.v3_grants
    assert done.delete.isEnabled() and "Verified" in done.verification.message
    wizard.close()


def test_deleting_a_first_consent_asks_once(qtbot: QtBot, loop: object) -> None:
    wizard, done, grant_id, sandbox = onboarded(qtbot)
    done.delete.click()
    box = asked(qtbot, done)
    assert "in use" not in box.windowTitle()
    destructive(box).click()
    assert done.confirm is None  # no second question
    qtbot.waitUntil(lambda: grant_id not in sandbox.v3_grants, timeout=WAIT)
    assert done.confirm is None
    # The record tells the truth, here and in the history: never "valid" for a deleted grant.
    qtbot.waitUntil(lambda: done.grant_status.text().startswith("deleted"), timeout=WAIT)
    (record,) = wizard.session.history.records()
    assert record.grant_id == grant_id and record.grant_status == "deleted"
    assert record.note is not None and "deleted on Nylas" in record.note
    assert socket.gethostname() in record.note and socket.gethostname() in done.grant_status.text()
    wizard.close()


def test_the_history_window_deletes_a_grant_naming_its_zoom_user(
    qtbot: QtBot, loop: object
) -> None:
    wizard, _, grant_id, _ = onboarded(qtbot)
    history = wizard.show_history()
    qtbot.waitUntil(lambda: history.model.rowCount() == 1, timeout=WAIT)
    assert history.delete.isVisible()
    history.table.selectRow(0)
    history.delete.click()
    qtbot.waitUntil(
        lambda: history.confirm is not None and history.confirm.isVisible(), timeout=WAIT
    )
    box = history.confirm
    assert box is not None and grant_id in box.text() and EMAIL in box.text()
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    destructive(box).click()
    qtbot.waitUntil(lambda: grant_id not in sandbox_of(wizard).v3_grants, timeout=WAIT)
    qtbot.waitUntil(lambda: "was deleted on Nylas" in history.status.message, timeout=WAIT)
    qtbot.waitUntil(
        lambda: history.model.rowCount() == 1 and history.records[0].grant_status == "deleted",
        timeout=WAIT,
    )
    wizard.close()


def test_after_a_delete_return_still_means_onboard_another_never_finish(
    qtbot: QtBot, loop: object
) -> None:
    from PySide6.QtWidgets import QPushButton, QWizard

    wizard, done, grant_id, _ = onboarded(qtbot)
    done.delete.click()
    destructive(asked(qtbot, done)).click()
    qtbot.waitUntil(lambda: grant_id not in sandbox_of(wizard).v3_grants, timeout=WAIT)
    qtbot.waitUntil(lambda: not done.task.running, timeout=WAIT)
    qtbot.wait(50)  # QWizard updates its buttons when the page's task ends
    finish = wizard.button(QWizard.WizardButton.FinishButton)
    assert isinstance(finish, QPushButton)
    assert not finish.isDefault() and done.another.isDefault()
    wizard.close()
