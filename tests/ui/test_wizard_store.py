"""The wizard with the store: profiles and keyring, the history window, diagnostics, crashes."""

from __future__ import annotations

import csv
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from tests.helpers.ports import free_port
from tests.helpers.store import MemoryKeyring, install_keyring
from tests.helpers.wizard import (
    WAIT,
    ActionCounter,
    answer_name_dialog,
    authorize,
    connect,
    make,
    through_integration,
)
from wizard.sandbox.consent_bot import ConsentBot
from wizard.ui.app import create_wizard
from wizard.ui.page_ids import PageId
from wizard.ui.wizard import OnboardingWizard


def onboard_one(qtbot: QtBot, wizard: OnboardingWizard, account: str) -> str:
    connect(qtbot, wizard)
    through_integration(qtbot, wizard, free_port())
    authorize(qtbot, wizard, account)
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.DONE, timeout=WAIT)
    return wizard.done_page.grant_id.text()


def test_profile_saved_with_secrets_in_the_keyring_and_loaded_next_time(
    qtbot: QtBot, loop: object, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    first = make(qtbot, ConsentBot(), api="connect")
    page = first.connection_page
    qtbot.waitUntil(lambda: page.api_url.text().startswith("http://127.0.0.1"), timeout=WAIT)
    page.select_region("custom")
    page.api_url.setText("https://nylas.internal.example")
    page.client_id.setText("client-abc")
    page.secret.setText("nylas-secret-for-test")
    first.zoom_app_page.zoom_id.setText("zoom-id-xyz")
    first.zoom_app_page.zoom_secret.setText("zoom-secret-for-test")
    first.zoom_app_page.port.setValue(9123)
    page.profile_bar.save.click()
    answer_name_dialog(qtbot, "acme")
    qtbot.waitUntil(lambda: "Saved profile 'acme'" in page.profile_bar.note.message, timeout=WAIT)
    first.close()

    # Secrets are in the keyring, never in a file.
    assert ("zoom-onboard", "acme:nylas_client_secret") in memory_keyring.entries
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert b"secret-for-test" not in path.read_bytes(), path

    second = create_wizard(ConsentBot())
    qtbot.addWidget(second)
    second.show()
    page2 = second.connection_page
    qtbot.waitUntil(lambda: page2.client_id.text() == "client-abc", timeout=WAIT)
    assert page2.profile_bar.current() == "acme"
    assert page2.region_value() == "custom"
    assert page2.api_url.text() == "https://nylas.internal.example"
    assert page2.secret.text() == "nylas-secret-for-test"
    assert second.zoom_app_page.zoom_secret.text() == "zoom-secret-for-test"
    assert second.zoom_app_page.port.value() == 9123
    second.close()


def test_a_profile_loaded_with_its_secrets_checks_the_connection_by_itself(
    qtbot: QtBot, loop: object, memory_keyring: MemoryKeyring
) -> None:
    import asyncio

    from wizard.sandbox import SandboxServer

    sandbox = SandboxServer()  # a Nylas reached by URL, like a real region
    started = asyncio.ensure_future(sandbox.start())
    qtbot.waitUntil(started.done, timeout=WAIT)
    first = make(qtbot, ConsentBot(), api="v3")
    page = first.connection_page
    qtbot.waitUntil(lambda: page.api_url.text().startswith("http://127.0.0.1"), timeout=WAIT)
    page.select_region("custom")
    page.api_url.setText(sandbox.url)
    page.secret.setText(sandbox.credentials.v3_api_key)
    first.zoom_app_page.zoom_id.setText(sandbox.credentials.zoom_client_id)
    first.zoom_app_page.zoom_secret.setText(sandbox.credentials.zoom_client_secret)
    page.profile_bar.save.click()
    answer_name_dialog(qtbot, "acme-by-url")
    qtbot.waitUntil(lambda: "Saved profile" in page.profile_bar.note.message, timeout=WAIT)
    first.close()

    second = create_wizard(ConsentBot())
    qtbot.addWidget(second)
    second.show()
    page2 = second.connection_page
    # No click on Check connection: Next is the next action.
    qtbot.waitUntil(page2.isComplete, timeout=WAIT)
    assert "Connected" in page2.status.message
    # Relaunched with a saved profile: three Returns to the first customer's page (it was 4).
    app = QApplication.instance()
    assert app is not None
    counter = ActionCounter()
    app.installEventFilter(counter)
    try:
        for then, ready in (
            (PageId.ZOOM_APP, second.zoom_app_page.isComplete),
            (PageId.INTEGRATION, second.integration_page.isComplete),
            (PageId.ACCOUNT_V3, lambda: True),
        ):
            focused = QApplication.focusWidget()
            assert focused is not None
            qtbot.keyClick(focused, Qt.Key.Key_Return)  # type: ignore[no-untyped-call]
            qtbot.waitUntil(lambda then=then: second.currentId() == then, timeout=WAIT)  # type: ignore[misc]
            qtbot.waitUntil(ready, timeout=WAIT)
    finally:
        app.removeEventFilter(counter)
    assert counter.count == 3
    second.close()
    closing = asyncio.ensure_future(sandbox.close())
    qtbot.waitUntil(closing.done, timeout=WAIT)


def test_without_a_keyring_the_wizard_says_secrets_are_session_only(
    qtbot: QtBot, loop: object, tmp_path: Path
) -> None:
    import keyring.backends.fail

    with install_keyring(keyring.backends.fail.Keyring()):  # type: ignore[no-untyped-call]
        wizard = make(qtbot, ConsentBot(), api="connect")
        bar = wizard.connection_page.profile_bar
        qtbot.waitUntil(lambda: "session only" in bar.keyring_note.message, timeout=WAIT)
        bar.save.click()
        answer_name_dialog(qtbot, "practice")
        qtbot.waitUntil(
            lambda: "Saved profile 'practice' without its secrets" in bar.note.message, timeout=WAIT
        )
        wizard.close()
    secret = wizard.session.sandbox.credentials.nylas_client_secret  # type: ignore[union-attr]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


def test_rename_and_delete_a_profile(
    qtbot: QtBot, loop: object, memory_keyring: MemoryKeyring
) -> None:
    wizard = make(qtbot, ConsentBot(), api="connect")
    bar = wizard.connection_page.profile_bar
    qtbot.waitUntil(lambda: wizard.session.sandbox is not None, timeout=WAIT)
    bar.save.click()
    answer_name_dialog(qtbot, "old")
    qtbot.waitUntil(lambda: bar.current() == "old", timeout=WAIT)
    bar.rename.click()
    answer_name_dialog(qtbot, "new")
    qtbot.waitUntil(lambda: bar.current() == "new", timeout=WAIT)
    assert [p.name for p in wizard.session.profiles.list()] == ["new"]
    assert ("zoom-onboard", "new:nylas_client_secret") in memory_keyring.entries
    bar.delete.click()
    qtbot.waitUntil(
        lambda: any(
            isinstance(w, QMessageBox) and w.isVisible() for w in QApplication.topLevelWidgets()
        ),
        timeout=WAIT,
    )
    box = next(
        w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
    )
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: bar.current() is None and "Deleted" in bar.note.message, timeout=WAIT)
    assert wizard.session.profiles.list() == []
    assert memory_keyring.entries == {}
    wizard.close()


def test_history_window_lists_filters_copies_and_exports(
    qtbot: QtBot, loop: object, tmp_path: Path
) -> None:
    wizard = make(qtbot, ConsentBot(), api="connect")
    first = onboard_one(qtbot, wizard, "acct-alpha")
    wizard.done_page.another.click()
    authorize(qtbot, wizard, "acct-beta")
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.DONE, timeout=WAIT)
    second = wizard.done_page.grant_id.text()

    window = wizard.show_history()
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=WAIT)
    assert {r.grant_id for r in window.records} == {first, second}
    assert all(r.verified for r in window.records)
    window.filter.setText("ALPHA")  # SQLite filters, case-insensitively
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=WAIT)
    assert "1 grant(s) match" in window.status.message
    window.table.selectRow(0)
    window.copy_row()
    assert first in QGuiApplication.clipboard().text()

    out = tmp_path / "export.csv"
    window.export_to(out)
    qtbot.waitUntil(lambda: "Exported 1 grant" in window.status.message, timeout=WAIT)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads the names right
    with out.open(newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert [(r["account_id"], r["grant_id"], r["verified"]) for r in rows] == [
        ("acct-alpha", first, "true")
    ]
    window.close()
    wizard.close()


def test_copy_diagnostics_is_redacted(qtbot: QtBot, loop: object) -> None:
    wizard = make(qtbot, ConsentBot(), api="connect")
    connect(qtbot, wizard)
    QGuiApplication.clipboard().clear()
    wizard.copy_diagnostics()
    qtbot.waitUntil(
        lambda: "zoom-onboard" in QGuiApplication.clipboard().text().lower(), timeout=WAIT
    )
    report = QGuiApplication.clipboard().text()
    assert wizard.session.api_url in report
    sandbox = wizard.session.sandbox
    assert sandbox is not None
    assert sandbox.credentials.nylas_client_secret not in report
    wizard.close()


def test_an_unexpected_error_shows_a_copyable_redacted_report(qtbot: QtBot, loop: object) -> None:
    from wizard.logs import remember_secret
    from wizard.ui import crash

    remember_secret("crash-secret-value")
    wizard = make(qtbot, ConsentBot(), api="connect")
    try:
        raise RuntimeError("boom while holding crash-secret-value")
    except RuntimeError as exc:
        crash.show_crash(exc)
    boxes = [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, QMessageBox) and w.objectName() == "crashDialog"
    ]
    assert boxes and boxes[-1].isVisible()
    # The traceback shows at once; the full report follows from a worker thread.
    qtbot.waitUntil(lambda: "diagnostics" in boxes[-1].detailedText(), timeout=WAIT)
    detail = boxes[-1].detailedText()
    assert "RuntimeError" in detail
    assert "crash-secret-value" not in detail
    boxes[-1].close()
    wizard.close()


def test_secrets_typed_in_the_wizard_never_reach_the_diagnostics(
    qtbot: QtBot, loop: object
) -> None:
    from wizard.diagnostics import build_report

    wizard = make(qtbot, ConsentBot(), api="connect")
    page = wizard.connection_page
    qtbot.waitUntil(lambda: page.api_url.text().startswith("http://127.0.0.1"), timeout=WAIT)
    qtbot.waitUntil(page.isComplete, timeout=WAIT)  # the demo credentials' own check
    page.secret.setText("typed-secret-4711")
    page.check.click()
    qtbot.waitUntil(lambda: "HTTP 401" in page.status.message, timeout=WAIT)
    report = build_report(extra={"pasted by mistake": "typed-secret-4711"})
    assert "typed-secret-4711" not in report
    wizard.close()


def test_the_history_window_hides_practice_grants_unless_asked(
    qtbot: QtBot, loop: object, tmp_path: Path
) -> None:
    from wizard.store.grant_columns import HEADERS
    from wizard.store.history import History
    from wizard.ui.history_window import HistoryWindow

    history = History(tmp_path / "h.sqlite3", tmp_path / "h.jsonl")
    for grant_id, practice in (("grant-real", False), ("grant-practice", True)):
        history.record_grant(
            profile="",
            region="sandbox" if practice else "eu",
            account_id="",
            integration_id=None,
            grant_id=grant_id,
            api="v3",
            customer=f"Customer of {grant_id}",
            practice=practice,
        )
    window = HistoryWindow(history)
    qtbot.addWidget(window)
    assert HEADERS[:2] == ("API", "Region")  # which is which, first
    window.show()
    window.load()
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=WAIT)
    assert window.records[0].grant_id == "grant-real"
    assert "1 practice grant(s) hidden" in window.status.message
    window.include_practice.setChecked(True)
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=WAIT)
    regions = {window.model.index(row, 1).data() for row in range(2)}
    assert regions == {"eu", "sandbox (practice)"}


def test_a_large_history_loads_a_page_at_a_time_and_counts_truthfully(
    qtbot: QtBot, loop: object, tmp_path: Path
) -> None:
    import sqlite3

    from wizard.store.history import History
    from wizard.ui.history_model import PAGE
    from wizard.ui.history_window import HistoryWindow

    history = History(tmp_path / "h.sqlite3", tmp_path / "h.jsonl")
    history.record_grant(
        profile="", region="us", account_id="acct-0", integration_id=None, grant_id="grant-0"
    )
    with sqlite3.connect(tmp_path / "h.sqlite3") as conn:
        conn.executemany(
            "INSERT INTO grants (created_at, profile, region, account_id, grant_id, operator, "
            "api, practice) VALUES (?, '', 'us', ?, ?, 'op', 'v3', 0)",
            [
                (f"2026-11-{1 + n % 28:02d}T10:00:00.{n:06d}+00:00", f"acct-{n}", f"grant-{n}")
                for n in range(1, 2500)
            ],
        )
    window = HistoryWindow(history)
    qtbot.addWidget(window)
    window.show()
    window.load()
    qtbot.waitUntil(lambda: window.model.rowCount() == PAGE, timeout=WAIT)
    assert "2500 grant(s) on this computer" in window.status.message  # not "500"
    window.table.scrollToBottom()  # the view asks for more as it scrolls
    qtbot.waitUntil(lambda: window.model.rowCount() > PAGE, timeout=WAIT)
    while window.model.canFetchMore():
        window.model.fetchMore()
        qtbot.waitUntil(lambda: window.model._loading is None, timeout=WAIT)
    assert window.model.rowCount() == 2500
    dates = [r.created_at for r in window.records]
    assert dates == sorted(dates, reverse=True)  # newest first, across pages
    window.filter.setText("ACCT-249")  # in SQL: acct-249 and acct-2490..2499
    qtbot.waitUntil(lambda: "11 grant(s) match" in window.status.message, timeout=WAIT)
    assert window.model.rowCount() == 11
    window.table.sortByColumn(3, Qt.SortOrder.AscendingOrder)  # by account, in SQL too
    qtbot.waitUntil(lambda: window.records[0].account_id == "acct-249", timeout=WAIT)
    out = tmp_path / "all.csv"
    window.filter.clear()
    qtbot.waitUntil(lambda: window.model.total == 2500 and not window.filter.text(), timeout=WAIT)
    qtbot.waitUntil(lambda: "2500 grant(s)" in window.status.message, timeout=WAIT)
    window.export_to(out)
    qtbot.waitUntil(lambda: "Exported 2500 grant(s)" in window.status.message, timeout=WAIT)
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2501  # all, loaded or not


def test_the_history_window_says_when_it_left_out_an_unreadable_row(
    qtbot: QtBot, loop: object, tmp_path: Path
) -> None:
    import sqlite3

    from wizard.store.history import History
    from wizard.ui.history_window import HistoryWindow

    history = History(tmp_path / "h.sqlite3", tmp_path / "h.jsonl")
    for n in (1, 2):
        history.record_grant(
            profile="", region="us", account_id=f"acct-{n}", integration_id=None, grant_id=f"g{n}"
        )
    with sqlite3.connect(tmp_path / "h.sqlite3") as conn:
        conn.execute("UPDATE grants SET created_at = x'00ff' WHERE grant_id = 'g1'")
    window = HistoryWindow(history)
    qtbot.addWidget(window)
    window.show()
    window.load()
    qtbot.waitUntil(lambda: "Unreadable, skipped: 1" in window.status.message, timeout=WAIT)
    assert [r.grant_id for r in window.records] == ["g2"]
