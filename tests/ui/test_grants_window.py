"""The Grants window against the wizard's in-process sandbox: the practice worklist invalid
first, the status choice, 10,000 grants read a page at a time as the view scrolls,
re-authentication into the queue, revoking with a question, copy, export, and what it says
before a connection is checked."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox, QWizard
from pytestqt.qtbot import QtBot

from tests.helpers.wizard import WAIT, destructive, make, mnemonics, sandbox_checked, sandbox_of
from wizard.flow.browser import no_browser
from wizard.ui.grants_window import GrantsWindow
from wizard.ui.wizard import OnboardingWizard


def opened(qtbot: QtBot, api: str = "v3") -> tuple[OnboardingWizard, GrantsWindow]:
    wizard = make(qtbot, no_browser, api=api)
    sandbox_checked(qtbot, wizard)
    grants = wizard.show_grants()
    qtbot.waitUntil(lambda: grants.model.complete, timeout=WAIT)
    return wizard, grants


def test_the_practice_worklist_shows_invalid_first(qtbot: QtBot, loop: object) -> None:
    wizard, grants = opened(qtbot)
    rows = grants.model.rows
    assert len(rows) == 12 and [g.needs_attention for g in rows[:3]] == [True] * 3
    assert not any(g.needs_attention for g in rows[3:])
    assert "12 Zoom grant(s) listed, 3 invalid." in grants.status.message
    grants.showing.setCurrentIndex(1)  # Invalid only
    qtbot.waitUntil(lambda: grants.model.complete and len(grants.model.rows) == 3, timeout=WAIT)
    assert {g.grant_status for g in grants.model.rows} == {"invalid"}
    clashes = {k: n for k, n in mnemonics(grants).items() if n > 1}
    assert clashes == {}, f"Grants window: {clashes}"
    wizard.close()


def test_the_grants_button_sits_beside_history_and_queue(qtbot: QtBot, loop: object) -> None:
    wizard = make(qtbot, no_browser, api="v3")
    button = wizard.button(QWizard.WizardButton.HelpButton)
    assert button.text() == "&Grants..." and button.isVisible()
    button.click()
    grants = wizard.grants_window
    assert grants is not None and grants.isVisible()
    # Before the connection is checked there is nobody to ask: said, and nothing to press.
    qtbot.waitUntil(lambda: "Check the connection" in grants.status.message, timeout=WAIT)
    assert not grants.reauthenticate_all.isEnabled() and grants.model.rowCount() == 0
    sandbox_checked(qtbot, wizard)
    grants.load()
    qtbot.waitUntil(lambda: grants.model.rowCount() == 12, timeout=WAIT)
    assert grants.reauthenticate_all.isEnabled()
    wizard.close()


def test_ten_thousand_grants_are_read_a_page_at_a_time_as_the_view_scrolls(
    qtbot: QtBot, loop: object
) -> None:
    wizard = make(qtbot, no_browser, api="v3")
    sandbox_checked(qtbot, wizard)
    sandbox = sandbox_of(wizard)
    for number in range(10_000 - 12):
        sandbox.add_v3_grant(email=f"user{number}@bulk.example", at=1_700_000_000 + number)
    grants = wizard.show_grants()
    model = grants.model
    qtbot.waitUntil(lambda: model.pages_read >= 1 and not model.busy, timeout=WAIT)
    first = len(model.rows)
    assert 200 <= first <= 203 and model.canFetchMore()
    assert [g.needs_attention for g in model.rows[:3]] == [True] * 3
    for _ in range(3):  # the operator scrolls to the end of what is loaded, three times
        pages = model.pages_read

        def one_more(pages: int = pages) -> bool:
            return model.pages_read > pages and not model.busy

        grants.table.scrollToBottom()
        qtbot.waitUntil(one_more, timeout=WAIT)
    assert first < len(model.rows) < 10_000 and model.pages_read <= 6
    assert len({g.grant_id for g in model.rows}) == len(model.rows)
    wizard.close()


def test_re_authenticate_adds_queue_entries_once(qtbot: QtBot, loop: object) -> None:
    wizard, grants = opened(qtbot)
    grants.table.selectRow(5)  # a valid one may be renewed too: the customer consents again
    grants.reauthenticate.click()
    qtbot.waitUntil(lambda: "1 re-authentication(s) added" in grants.status.message, timeout=WAIT)
    grants.reauthenticate_all.click()
    qtbot.waitUntil(lambda: "3 re-authentication(s) added" in grants.status.message, timeout=WAIT)
    assert "Queue window" in grants.status.message
    grants.reauthenticate_all.click()
    qtbot.waitUntil(lambda: "3 already in the queue" in grants.status.message, timeout=WAIT)
    entries = wizard.session.queue.entries(practice=True)
    rows = grants.model.rows
    assert [e.login_hint for e in entries] == [rows[5].email] + [g.email for g in rows[:3]]
    wizard.close()


def test_revoke_asks_with_the_zoom_user_and_then_deletes(qtbot: QtBot, loop: object) -> None:
    wizard, grants = opened(qtbot)
    grant = grants.model.rows[0]
    grants.table.selectRow(0)
    grants.revoke.click()
    qtbot.waitUntil(lambda: grants.confirm is not None and grants.confirm.isVisible(), timeout=WAIT)
    box = grants.confirm
    assert box is not None and grant.grant_id in box.text() and str(grant.email) in box.text()
    assert "cannot be undone" in box.text()
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    destructive(box).click()
    qtbot.waitUntil(lambda: grant.grant_id not in sandbox_of(wizard).v3_grants, timeout=WAIT)
    qtbot.waitUntil(lambda: "was deleted on Nylas" in grants.status.message, timeout=WAIT)
    qtbot.waitUntil(lambda: grants.model.complete and len(grants.model.rows) == 11, timeout=WAIT)
    assert "11 Zoom grant(s) listed, 2 invalid" in grants.status.message
    wizard.close()


def test_copy_ids_and_export_every_grant(qtbot: QtBot, loop: object, tmp_path: Path) -> None:
    wizard, grants = opened(qtbot, api="connect")
    grants.table.selectRow(0)
    grants.copy.click()
    assert QGuiApplication.clipboard().text() == grants.model.rows[0].grant_id
    target = tmp_path / "grants.csv"
    grants.export_to(target)
    qtbot.waitUntil(lambda: "Exported 12 grant(s)" in grants.status.message, timeout=WAIT)
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # a spreadsheet reads the names right
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("grant_id,grant_status,email,account_id") and len(lines) == 13
    assert sum(",invalid," in line for line in lines) == 3
    wizard.close()
