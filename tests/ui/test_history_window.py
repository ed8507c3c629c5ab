"""The History window shows what matters without scrolling, and keeps a usable size."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.helpers.wizard import WAIT
from wizard.store.grant_columns import HEADERS
from wizard.store.history import History
from wizard.ui.history_window import HistoryWindow

GRANT = "4394b253-5170-406d-a9f4-0f4199394c42"
# A v3 grant as the wizard records one: no account id, a customer reference.
_V3: dict[str, Any] = {
    "profile": "acme",
    "region": "us",
    "account_id": "",
    "integration_id": None,
    "api": "v3",
    "login_hint": "alex@customer.example",
}


def test_status_verified_and_profile_are_in_view_and_long_ids_keep_both_ends(
    qtbot: QtBot, loop: object, tmp_path: Path
) -> None:
    history = History(tmp_path / "h.sqlite3", tmp_path / "h.jsonl")
    history.record_grant(**_V3, grant_id=GRANT, customer="Acme #102")
    history.update_verification(
        GRANT, email="alex@customer.example", grant_status="valid", verified=True
    )
    window = HistoryWindow(history)
    qtbot.addWidget(window)
    window.show()
    window.load()
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=WAIT)
    titles = list(HEADERS)
    viewport = window.table.viewport().width()
    for title in ("Status", "Verified", "Profile"):
        column = titles.index(title)
        right = window.table.columnViewportPosition(column) + window.table.columnWidth(column)
        assert 0 <= right <= viewport, title
    grant_cell = window.model.index(0, titles.index("Grant id"))
    assert window.table.textElideMode() is Qt.TextElideMode.ElideMiddle
    assert GRANT in str(window.model.data(grant_cell, Qt.ItemDataRole.ToolTipRole))
    assert window.minimumSize().width() >= 720 and window.minimumSize().height() >= 360


def test_the_window_shows_the_commands_columns_and_cells_in_local_time(
    qtbot: QtBot, loop: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import time

    from wizard.cli.history_cmd import print_table

    monkeypatch.setenv("TZ", "America/New_York")  # never UTC, so the clock is seen
    time.tzset()
    try:
        history = History(tmp_path / "h.sqlite3", tmp_path / "h.jsonl")
        for grant_id, customer in (("g-aerzte", "Ärzte GmbH"), ("g-other", "Other AG")):
            history.record_grant(
                **{**_V3, "profile": "", "login_hint": None},
                grant_id=grant_id,
                customer=customer,
            )
        window = HistoryWindow(history)
        qtbot.addWidget(window)
        window.show()
        window.filter.setText("ÄRZTE")  # folded beyond ASCII, like records(text=...)
        qtbot.waitUntil(lambda: "1 grant(s) match" in window.status.message, timeout=WAIT)
        model = window.model
        shown = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(len(HEADERS))]
        cells = [str(model.index(0, c).data()) for c in range(len(HEADERS))]
        table = io.StringIO()
        print_table(history.records(text="ärzte"), table)
        header, _rule, row = table.getvalue().splitlines()
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert tuple(shown) == HEADERS and header.split() == " ".join(HEADERS).split()
    assert row.split() == " ".join(cells).split()  # the same cells, word for word
    when = cells[HEADERS.index("When (local time)")]
    utc = window.records[0].created_at.replace("T", " ")[:19]
    assert when != utc and "Ärzte GmbH" in cells and cells[HEADERS.index("Verified")] == "-"
