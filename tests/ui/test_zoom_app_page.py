"""The Zoom app page on the sandbox: a connector holding another Zoom app is found (and replaced
only when the operator confirms) before any link is made; the checklist of what the Zoom app
needs, for each API and region."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox, QWizard
from pytestqt.qtbot import QtBot

from tests.helpers.ports import free_port
from tests.helpers.wizard import WAIT, destructive, make, sandbox_checked, sandbox_of
from wizard.sandbox.consent_bot import ConsentBot
from wizard.target import Target
from wizard.ui.page_ids import PageId
from wizard.ui.pages.zoom_app import ZoomAppPage
from wizard.ui.wizard import OnboardingWizard

OTHER_APP = "zoom-app-of-last-year"
SCOPES = "meeting:write:meeting meeting:update:meeting meeting:delete:meeting user:read:user"


def on_zoom_page(qtbot: QtBot, *, other_app: bool = False) -> tuple[OnboardingWizard, ZoomAppPage]:
    """A window checked on the sandbox (v3), the connector seeded with another Zoom app if
    asked, and the Zoom app page's first lookup done."""
    wizard = make(qtbot, ConsentBot("allow"), api="v3")
    sandbox_checked(qtbot, wizard)
    if other_app:
        sandbox_of(wizard).add_v3_connector(client_id=OTHER_APP, client_secret="old-secret")
    wizard.next()
    assert wizard.currentId() == PageId.ZOOM_APP
    page = wizard.zoom_app_page
    page.port.setValue(free_port())
    qtbot.waitUntil(lambda: page.plan is not None and not page.task.running, timeout=WAIT)
    return wizard, page


def next_enabled(wizard: OnboardingWizard) -> bool:
    return wizard.button(QWizard.WizardButton.NextButton).isEnabled()


def open_confirmation(qtbot: QtBot, page: ZoomAppPage) -> QMessageBox:
    page.replace.click()
    qtbot.waitUntil(lambda: page.confirm is not None and page.confirm.isVisible(), timeout=WAIT)
    assert page.confirm is not None
    return page.confirm


def confirm_replacement(qtbot: QtBot, page: ZoomAppPage) -> None:
    box = open_confirmation(qtbot, page)
    (button,) = [b for b in box.buttons() if b.text() == "Replace Zoom app"]
    button.click()
    qtbot.waitUntil(lambda: page.confirm is None, timeout=WAIT)


def test_another_zoom_app_is_named_and_blocks_next_until_replacement_is_confirmed(
    qtbot: QtBot, loop: object
) -> None:
    wizard, page = on_zoom_page(qtbot, other_app=True)
    sandbox = sandbox_of(wizard)
    entered = sandbox.credentials.zoom_client_id
    message = page.plan_status.message
    assert OTHER_APP in message and entered in message
    assert "existing Zoom grants" in message
    assert page.replace.isVisibleTo(page) and not page.replace.isChecked()
    assert "&Replace" in page.replace.text()
    assert not page.isComplete() and not next_enabled(wizard)

    box = open_confirmation(qtbot, page)
    assert box.icon() is QMessageBox.Icon.Warning
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    assert destructive(box).text() == "Replace Zoom app"
    assert OTHER_APP in box.text() and "existing Zoom grants" in box.text()
    assert "stop working" in box.text()
    assert not page.isComplete()  # ticked, not yet confirmed
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: page.confirm is None, timeout=WAIT)
    assert not page.replace.isChecked()
    assert not page.isComplete() and not next_enabled(wizard)
    # Nothing was made or moved: the connector keeps its app, no callback URI was added.
    assert sandbox.v3_connectors["zoom"]["settings"]["client_id"] == OTHER_APP
    assert sandbox.v3_callback_uris == []
    wizard.close()


def test_a_confirmed_replacement_moves_the_connector_to_the_entered_zoom_app(
    qtbot: QtBot, loop: object
) -> None:
    wizard, page = on_zoom_page(qtbot, other_app=True)
    sandbox = sandbox_of(wizard)
    confirm_replacement(qtbot, page)
    assert page.replace.isChecked()
    assert page.isComplete() and next_enabled(wizard)
    assert page.spec().replace_zoom_app
    wizard.next()
    assert wizard.currentId() == PageId.INTEGRATION
    integration = wizard.integration_page
    qtbot.waitUntil(integration.isComplete, timeout=WAIT)
    assert "Zoom app was replaced" in integration.status.message
    connector = sandbox.v3_connectors["zoom"]
    assert connector["settings"]["client_id"] == sandbox.credentials.zoom_client_id
    assert connector["client_secret"] == sandbox.credentials.zoom_client_secret
    wizard.close()


def test_changing_the_port_or_the_client_id_unticks_and_looks_up_again(
    qtbot: QtBot, loop: object
) -> None:
    wizard, page = on_zoom_page(qtbot, other_app=True)
    confirm_replacement(qtbot, page)
    assert page.isComplete()

    page.port.setValue(free_port())
    # At once: the choice was for the old lookup.
    assert not page.replace.isChecked() and not page.replace.isVisibleTo(page)
    assert page.conflict is None and OTHER_APP not in page.plan_status.message
    assert not page.isComplete()
    qtbot.waitUntil(lambda: OTHER_APP in page.plan_status.message, timeout=WAIT)
    assert page.replace.isVisibleTo(page) and not page.replace.isChecked()
    assert not page.isComplete()

    confirm_replacement(qtbot, page)
    # The connector's own Zoom app: no conflict once the new lookup is in.
    page.zoom_id.setText(OTHER_APP)
    assert not page.replace.isChecked() and page.conflict is None and not page.isComplete()
    qtbot.waitUntil(page.isComplete, timeout=WAIT)
    assert not page.replace.isVisibleTo(page)
    assert OTHER_APP not in page.plan_status.message
    assert "reused" in page.plan_status.message
    assert not page.spec().replace_zoom_app
    wizard.close()


def test_no_other_zoom_app_means_no_replace_choice(qtbot: QtBot, loop: object) -> None:
    wizard, page = on_zoom_page(qtbot)
    assert page.isComplete() and next_enabled(wizard)
    assert page.conflict is None and not page.replace.isVisibleTo(page)
    assert not page.spec().replace_zoom_app
    wizard.close()


def test_a_connector_changed_after_the_lookup_is_named_by_the_integration_page(
    qtbot: QtBot, loop: object
) -> None:
    wizard, page = on_zoom_page(qtbot)
    assert page.isComplete()
    sandbox = sandbox_of(wizard)
    # Someone else creates the connector, with another Zoom app, before Next.
    sandbox.add_v3_connector(client_id=OTHER_APP, client_secret="old-secret")
    wizard.next()
    integration = wizard.integration_page
    qtbot.waitUntil(integration.retry.isVisible, timeout=WAIT)
    message = integration.status.message
    assert OTHER_APP in message and sandbox.credentials.zoom_client_id in message
    assert sandbox.v3_connectors["zoom"]["settings"]["client_id"] == OTHER_APP
    # Back on the Zoom app page, the conflict and its choice are there (looked up again).
    wizard.back()
    assert wizard.currentId() == PageId.ZOOM_APP
    qtbot.waitUntil(lambda: page.replace.isVisibleTo(page), timeout=WAIT)
    assert OTHER_APP in page.plan_status.message and not page.isComplete()
    confirm_replacement(qtbot, page)
    wizard.next()
    qtbot.waitUntil(integration.isComplete, timeout=WAIT)
    assert "replaced" in integration.status.message
    assert (
        sandbox.v3_connectors["zoom"]["settings"]["client_id"] == sandbox.credentials.zoom_client_id
    )
    wizard.close()


def test_the_checklist_and_the_scopes_copy_button_on_the_sandbox(
    qtbot: QtBot, loop: object
) -> None:
    wizard, page = on_zoom_page(qtbot)
    sandbox = sandbox_of(wizard)
    assert page.callback.text() == f"{sandbox.url}/v3/connect/callback"
    text = page.checklist.text()
    for needed in ("General app", "user-managed", "OAuth redirect URL", "allow list"):
        assert needed in text
    assert "published" in text and "beta" in text
    assert "nylas.com" not in text  # the sandbox has no other region
    assert page.scopes.text() == SCOPES and page.checklist.isVisibleTo(page)
    QGuiApplication.clipboard().clear()
    page.copy_scopes.click()
    assert QGuiApplication.clipboard().text() == SCOPES
    wizard.close()


def test_connect_on_the_sandbox_shows_its_own_callback(qtbot: QtBot, loop: object) -> None:
    wizard = make(qtbot, ConsentBot("allow"), api="connect")
    sandbox_checked(qtbot, wizard)
    wizard.next()
    page = wizard.zoom_app_page
    assert page.callback.text() == f"{sandbox_of(wizard).url}/connect/callback"
    assert "General app" in page.checklist.text() and page.scopes.text() == SCOPES
    wizard.close()


@pytest.mark.parametrize(
    ("api", "region", "callback", "other"),
    [
        (
            "v3",
            "us",
            "https://api.us.nylas.com/v3/connect/callback",
            "https://api.eu.nylas.com/v3/connect/callback",
        ),
        (
            "v3",
            "eu",
            "https://api.eu.nylas.com/v3/connect/callback",
            "https://api.us.nylas.com/v3/connect/callback",
        ),
        (
            "connect",
            "us",
            "https://beta.us.nylas.com/connect/callback",
            "https://beta.eu.nylas.com/connect/callback",
        ),
        (
            "connect",
            "eu",
            "https://beta.eu.nylas.com/connect/callback",
            "https://beta.us.nylas.com/connect/callback",
        ),
    ],
)
def test_the_checklist_for_each_api_and_region(
    qtbot: QtBot, loop: object, api: str, region: str, callback: str, other: str
) -> None:
    # Only the sandbox can be checked offline, and the page needs a checked target: the
    # page's own rendering is given the target of each API and region.
    wizard, page = on_zoom_page(qtbot)
    page.show_zoom_app_needs(Target.of(api, region))
    assert page.callback.text() == callback
    text = page.checklist.text()
    # Both regions' URLs go on the allow list: the one in the field and the other region's.
    assert other in text and "both regions" in text and "allow list" in text
    assert page.scopes.text() == SCOPES
    wizard.close()
