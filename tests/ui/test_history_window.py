"""The History window shows what matters without scrolling, and keeps a usable size."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.ui.test_wizard import WAIT
from wizard.store.history import History
from wizard.ui.history_window import COLUMNS, HistoryWindow

GRANT = "4394b253-5170-406d-a9f4-0f4199394c42"


def test_status_verified_and_profile_are_in_view_and_long_ids_keep_both_ends(
    qtbot: QtBot, loop: object, tmp_path: Path
) -> None:
    history = History(tmp_path / "h.sqlite3", tmp_path / "h.jsonl")
    history.record_grant(
        profile="acme",
        region="us",
        account_id="",
        integration_id=None,
        grant_id=GRANT,
        api="v3",
        customer="Acme #102",
        login_hint="alex@customer.example",
    )
    history.update_verification(
        GRANT, email="alex@customer.example", grant_status="valid", verified=True
    )
    window = HistoryWindow(history)
    qtbot.addWidget(window)
    window.show()
    window.load()
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=WAIT)
    titles = [title for title, _, _ in COLUMNS]
    viewport = window.table.viewport().width()
    for title in ("Status", "Verified", "Profile"):
        column = titles.index(title)
        right = window.table.columnViewportPosition(column) + window.table.columnWidth(column)
        assert 0 <= right <= viewport, title
    grant_cell = window.model.index(0, titles.index("Grant id"))
    assert window.table.textElideMode() is Qt.TextElideMode.ElideMiddle
    assert GRANT in str(window.model.data(grant_cell, Qt.ItemDataRole.ToolTipRole))
    assert window.minimumSize().width() >= 720 and window.minimumSize().height() >= 360
