"""The wizard driven end to end by pytest-qt against the in-process sandbox."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from tests.support import free_port
from wizard.sandbox.consent_bot import ConsentBot
from wizard.ui.app import create_wizard
from wizard.ui.wizard import OnboardingWizard, PageId

WAIT = 15_000  # ms: generous; these are waits for conditions, not timings


def make(qtbot: QtBot, opener: object) -> OnboardingWizard:
    wizard = create_wizard(opener, sandbox=True)  # type: ignore[arg-type]
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def connect(qtbot: QtBot, wizard: OnboardingWizard) -> None:
    page = wizard.connection_page
    qtbot.waitUntil(lambda: page.api_url.text().startswith("http://127.0.0.1"), timeout=WAIT)
    page.check.click()
    qtbot.waitUntil(page.isComplete, timeout=WAIT)
    assert "Connected" in page.status.message
    wizard.next()
    assert wizard.currentId() == PageId.ZOOM_APP


def through_integration(qtbot: QtBot, wizard: OnboardingWizard, port: int) -> None:
    page = wizard.zoom_app_page
    page.port.setValue(port)
    qtbot.waitUntil(page.isComplete, timeout=WAIT)
    wizard.next()
    assert wizard.currentId() == PageId.INTEGRATION
    qtbot.waitUntil(wizard.integration_page.isComplete, timeout=WAIT)
    wizard.next()
    assert wizard.currentId() == PageId.ACCOUNT


def authorize(qtbot: QtBot, wizard: OnboardingWizard, account: str) -> None:
    wizard.account_page.account_id.setText(account)
    assert wizard.account_page.isComplete()
    wizard.next()
    assert wizard.currentId() == PageId.AUTHORIZATION


def test_full_run_reaches_done_with_a_verified_grant(qtbot: QtBot, loop: object) -> None:
    bot = ConsentBot("allow")
    wizard = make(qtbot, bot)
    assert wizard.windowTitle().startswith("Zoom onboarding")
    assert wizard.connection_page.banner.isVisible()
    connect(qtbot, wizard)
    assert "sandbox" in wizard.windowTitle()
    through_integration(qtbot, wizard, free_port())
    authorize(qtbot, wizard, "acct-1")
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.DONE, timeout=WAIT)
    result = wizard.session.result
    assert result is not None and result.verified
    assert wizard.done_page.grant_id.text() == result.grant_id
    assert wizard.done_page.email.text() == "zoom.user@example.com"
    assert "Verified" in wizard.done_page.verification.message
    sandbox = wizard.session.sandbox
    assert sandbox is not None and result.grant_id in sandbox.grants
    wizard.close()
