"""The work queue in the wizard: paste (all or nothing), start an entry (the account page is
filled and consent begins), Next customer with Return, outcomes recorded, resume after a
restart, retry, export."""

from __future__ import annotations

import csv
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from tests.helpers.store import crash_owner_of
from tests.helpers.wizard import (
    WAIT,
    close_anyway,
    counting_actions,
    make,
    on_account_page,
    pasted,
    sandbox_checked,
    start_consent,
    start_next_from_queue,
    stop_waiting,
    wait_for_done,
)
from wizard.sandbox.consent_bot import ConsentBot
from wizard.store.queue import EntryState, WorkQueue
from wizard.ui.page_ids import PageId
from wizard.ui.wizard import OnboardingWizard


def states(wizard: OnboardingWizard) -> list[str]:
    queue = WorkQueue(wizard.session.paths.history_db)
    return [e.state.value for e in queue.entries(practice=True)]


def test_a_paste_with_a_bad_line_adds_nothing_and_names_it(qtbot: QtBot, loop: object) -> None:
    wizard = make(qtbot, ConsentBot("allow"), api="v3")
    sandbox_checked(qtbot, wizard)
    window = pasted(
        qtbot, wizard, "a@example.com\tAcme\nnot an email or id!\tX\na@example.com\tAgain"
    )
    assert "line 2" in window.status.message and "line 3" in window.status.message
    assert window.model.rowCount() == 0
    window.paste.setPlainText("a@example.com\tAcme\nb@example.com\tGlobex")
    window.add.click()
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=WAIT)
    assert "Added 2" in window.status.message and "Practice queue" in window.practice_note.text()
    wizard.close()


def test_work_through_the_queue_with_one_action_per_customer(
    qtbot: QtBot, loop: object, tmp_path: Path
) -> None:
    wizard = on_account_page(qtbot, ConsentBot("allow"))
    pasted(qtbot, wizard, "first@example.com\tAcme #1\nsecond@example.com\tGlobex #2")
    page = wizard.v3_account_page
    # The account page offers the queue's next entry (also where a restart resumes).
    wizard.onboard_another()
    qtbot.waitUntil(page.from_queue.isVisible, timeout=WAIT)
    assert "Acme #1" in page.from_queue.text() and "2 waiting" in page.from_queue.text()
    page.from_queue.click()
    wait_for_done(qtbot, wizard)
    assert wizard.session.result is not None
    assert wizard.session.result.email == "first@example.com"  # filled from the entry
    done = wizard.done_page
    qtbot.waitUntil(lambda: "Next customer: Globex #2" in done.another.text(), timeout=WAIT)
    qtbot.waitUntil(done.another.isDefault, timeout=WAIT)
    qtbot.keyClick(done.another, Qt.Key.Key_Return)  # type: ignore[no-untyped-call]
    qtbot.waitUntil(
        lambda: (
            wizard.currentId() == PageId.DONE
            and wizard.session.result is not None
            and wizard.session.result.customer == "Globex #2"
        ),
        timeout=WAIT,
    )
    qtbot.waitUntil(lambda: states(wizard) == ["connected", "connected"], timeout=WAIT)
    qtbot.waitUntil(lambda: done.another.text() == "Onboard &another account", timeout=WAIT)
    window = wizard.show_queue()

    def grants() -> list[str]:
        return [window.model.item(row, 4).text() for row in range(window.model.rowCount())]

    # The window was open before: wait for its reload, not just for two rows.
    qtbot.waitUntil(lambda: len(grants()) == 2 and all(grants()), timeout=WAIT)
    assert len(set(grants())) == 2
    window.export_to(tmp_path / "queue.csv")
    qtbot.waitUntil(lambda: "Exported 2" in window.status.message, timeout=WAIT)
    exported = (tmp_path / "queue.csv").read_bytes()
    assert exported.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs
    rows = list(csv.reader(exported.decode("utf-8-sig").splitlines()))
    assert [r[3] for r in rows[1:]] == ["connected", "connected"]
    assert rows[1][7] == "practice (sandbox)"
    wizard.close()


def test_a_decline_is_recorded_with_why_and_retry_brings_it_back(
    qtbot: QtBot, loop: object
) -> None:
    wizard = on_account_page(qtbot, ConsentBot("deny"))
    window = pasted(qtbot, wizard, "first@example.com\tAcme #1")
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=WAIT)
    window.start.click()  # nothing selected: the next waiting one
    auth = wizard.authorization_page
    qtbot.waitUntil(lambda: auth.try_again.isVisible(), timeout=WAIT)
    qtbot.waitUntil(lambda: states(wizard) == ["refused"], timeout=WAIT)
    qtbot.waitUntil(lambda: window.model.item(0, 1).text() == "refused", timeout=WAIT)
    assert "declined" in window.model.item(0, 6).text().lower()
    window.table.selectRow(0)
    window.retry.click()
    qtbot.waitUntil(lambda: states(wizard) == ["waiting"], timeout=WAIT)
    wizard.close()


def test_start_before_the_integration_says_what_to_do(qtbot: QtBot, loop: object) -> None:
    wizard = make(qtbot, ConsentBot("allow"), api="v3")
    sandbox_checked(qtbot, wizard)
    window = pasted(qtbot, wizard, "first@example.com")
    window.start.click()
    qtbot.waitUntil(lambda: "first three pages" in window.status.message, timeout=WAIT)
    assert wizard.currentId() == PageId.CONNECTION
    assert states(wizard) == [EntryState.WAITING.value]  # not claimed
    wizard.close()


def test_a_new_window_offers_to_resume_where_the_last_one_stopped(
    qtbot: QtBot, loop: object, tmp_path: Path
) -> None:
    # What a window killed during a consent leaves behind (ZOOM_ONBOARD_HOME is tmp_path).
    queue = WorkQueue(tmp_path / "data" / "history.sqlite3")
    first, _second = queue.import_text(
        "first@example.com\tAcme #1\nsecond@example.com\tGlobex #2", practice=True
    )
    assert queue.start(first)
    crash_owner_of(queue.db_path, first)

    again = on_account_page(qtbot, ConsentBot("allow"))
    page = again.v3_account_page
    qtbot.waitUntil(page.from_queue.isVisible, timeout=WAIT)
    # The interrupted entry comes first again (its window is gone), then the waiting one.
    assert "Acme #1" in page.from_queue.text() and "2 waiting" in page.from_queue.text()
    assert "interrupted" in page.status.message and "offered again" in page.status.message
    page.from_queue.click()
    qtbot.waitUntil(lambda: states(again) == ["connected", "waiting"], timeout=WAIT)
    again.close()


def test_three_entries_cost_one_action_each_after_the_first(qtbot: QtBot, loop: object) -> None:
    wizard = on_account_page(qtbot, ConsentBot("allow"))  # the bot is the customer's consent
    pasted(qtbot, wizard, "\n".join(f"c{n}@example.com\tCustomer #{n}" for n in (1, 2, 3)))
    page = wizard.v3_account_page
    qtbot.waitUntil(lambda: "3 waiting" in page.from_queue.text(), timeout=WAIT)
    assert wizard.queue_window is not None
    wizard.queue_window.close()  # the list is in; back to the wizard
    wizard.activateWindow()
    with counting_actions() as counter:
        qtbot.mouseClick(page.from_queue, Qt.MouseButton.LeftButton)  # type: ignore[no-untyped-call]
        per_account = []
        for n in (2, 3):
            qtbot.waitUntil(
                lambda n=n: (
                    wizard.currentId() == PageId.DONE  # type: ignore[misc]
                    and f"Customer #{n}" in wizard.done_page.another.text()
                    and wizard.done_page.another.isDefault()
                ),
                timeout=WAIT,
            )
            before = counter.count
            focused = QApplication.focusWidget()
            assert focused is wizard.done_page.another  # where Return lands
            qtbot.keyClick(focused, Qt.Key.Key_Return)  # type: ignore[no-untyped-call]
            qtbot.waitUntil(
                lambda n=n: (
                    wizard.session.result is not None  # type: ignore[misc]
                    and wizard.session.result.customer == f"Customer #{n}"
                ),
                timeout=WAIT,
            )
            per_account.append(counter.count - before)
    assert per_account == [1, 1]  # one Return per later customer, besides their consent
    qtbot.waitUntil(lambda: states(wizard) == ["connected"] * 3, timeout=WAIT)
    wizard.close()


def test_a_late_consent_turns_its_entry_connected_while_the_next_customer_waits(
    qtbot: QtBot, loop: object
) -> None:
    import asyncio

    from wizard.flow.browser import no_browser

    wizard = on_account_page(qtbot, no_browser)
    pasted(qtbot, wizard, "late@example.com\tAcme #1\nnext@example.com\tGlobex #2")
    page = wizard.v3_account_page
    start_next_from_queue(qtbot, wizard)
    consent = wizard.authorization_page
    first_link = stop_waiting(qtbot, wizard)  # the first customer is slow
    qtbot.waitUntil(lambda: states(wizard) == ["failed", "waiting"], timeout=WAIT)
    wizard.onboard_another()  # on to the next customer, whose consent is now pending
    qtbot.waitUntil(page.from_queue.isVisible, timeout=WAIT)
    assert "Globex #2" in page.from_queue.text()  # the failed one is not offered first
    page.from_queue.click()
    qtbot.waitUntil(lambda: consent.url.text() not in ("", first_link), timeout=WAIT)
    late = asyncio.ensure_future(ConsentBot("allow").visit(first_link))  # Acme allows now
    qtbot.waitUntil(late.done, timeout=WAIT)
    assert "Zoom is connected" in late.result().text
    qtbot.waitUntil(lambda: states(wizard) == ["connected", "in progress"], timeout=WAIT)
    qtbot.waitUntil(
        lambda: "came back after its wait had ended" in consent.status.message, timeout=WAIT
    )
    assert "Acme #1" in consent.status.message
    assert consent.task.running  # the next customer's wait goes on, untouched
    entry = WorkQueue(wizard.session.paths.history_db).entries(practice=True)[0]
    assert entry.email == "late@example.com" and entry.grant_id
    close_anyway(wizard)


def test_after_a_refusal_the_next_customer_is_one_return_away(qtbot: QtBot, loop: object) -> None:
    bots = [ConsentBot("deny"), ConsentBot("allow")]  # Acme declines, Globex allows

    async def customers(url: str) -> bool:
        return await bots.pop(0)(url)

    wizard = on_account_page(qtbot, customers)
    pasted(qtbot, wizard, "first@example.com\tAcme #1\nsecond@example.com\tGlobex #2")
    start_next_from_queue(qtbot, wizard)
    consent = wizard.authorization_page
    qtbot.waitUntil(consent.next_customer.isVisible, timeout=WAIT)  # Acme declined
    assert "Globex #2" in consent.next_customer.text()
    assert consent.next_customer.isDefault() and consent.next_customer.hasFocus()
    qtbot.keyClick(consent.next_customer, Qt.Key.Key_Return)  # type: ignore[no-untyped-call]
    qtbot.waitUntil(lambda: states(wizard) == ["refused", "connected"], timeout=WAIT)
    wait_for_done(qtbot, wizard)
    assert wizard.session.result is not None and wizard.session.result.customer == "Globex #2"
    wizard.close()


def test_the_queue_window_by_keyboard_retry_is_one_key(
    qtbot: QtBot, loop: object, tmp_path: Path
) -> None:
    queue = WorkQueue(tmp_path / "data" / "history.sqlite3")
    done, failed, _waiting = queue.import_text("acct-1\nacct-2\nacct-3", practice=True)
    queue.start(done)
    queue.finish(done, EntryState.CONNECTED, grant_id="g-1")
    queue.start(failed)
    queue.finish(failed, EntryState.FAILED, reason="Stopped waiting.")
    wizard = make(qtbot, ConsentBot("allow"), api="connect")
    sandbox_checked(qtbot, wizard)
    window = wizard.show_queue()
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=WAIT)
    # A row is current from the start: the one that needs the operator.
    selected = window.selected()
    assert selected is not None and selected.id == failed
    assert window.table.currentIndex().row() == 1
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)  # type: ignore[no-untyped-call]
    qtbot.waitUntil(lambda: states(wizard) == ["connected", "waiting", "waiting"], timeout=WAIT)
    texts = [b.text() for b in window.findChildren(QPushButton) if b.isVisible()]
    assert "C&lose" in texts
    wizard.close()


def test_a_later_account_without_a_queue_costs_three_actions(qtbot: QtBot, loop: object) -> None:
    # The customer's row copied from the day's spreadsheet: Return, paste, Return.
    wizard = on_account_page(qtbot, ConsentBot("allow"))
    page = wizard.v3_account_page
    start_consent(wizard, "First #1")
    wait_for_done(qtbot, wizard)
    done = wizard.done_page
    qtbot.waitUntil(done.another.isDefault, timeout=WAIT)
    QGuiApplication.clipboard().setText("zoom.user@example.com\tSecond #2")
    with counting_actions() as counter:
        focused = QApplication.focusWidget()
        assert focused is done.another
        qtbot.keyClick(focused, Qt.Key.Key_Return)  # type: ignore[no-untyped-call]
        qtbot.waitUntil(lambda: QApplication.focusWidget() is page.login_hint, timeout=WAIT)
        qtbot.keyClick(page.login_hint, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)  # type: ignore[no-untyped-call]
        assert page.login_hint.text() == "zoom.user@example.com"
        assert page.customer.text() == "Second #2"
        qtbot.waitUntil(page.isComplete, timeout=WAIT)
        qtbot.keyClick(page.login_hint, Qt.Key.Key_Return)  # type: ignore[no-untyped-call]
        qtbot.waitUntil(
            lambda: (
                wizard.session.result is not None and wizard.session.result.customer == "Second #2"
            ),
            timeout=WAIT,
        )
    assert counter.count == 3  # Return, Ctrl+V, Return (the goal: at most 4)
    wizard.close()


def test_retry_leaves_a_connected_entry_connected_and_says_why(qtbot: QtBot, loop: object) -> None:
    wizard = make(qtbot, ConsentBot("allow"), api="v3")
    sandbox_checked(qtbot, wizard)
    window = pasted(qtbot, wizard, "first@example.com\tAcme #1")
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=WAIT)
    queue = WorkQueue(wizard.session.paths.history_db)
    (entry,) = queue.entries(practice=True)
    queue.start(entry.id)
    queue.finish(entry.id, EntryState.CONNECTED, grant_id="grant-1")
    window.load()
    qtbot.waitUntil(lambda: window.model.item(0, 1).text() == "connected", timeout=WAIT)
    window.table.selectRow(0)
    window.retry.click()
    qtbot.waitUntil(lambda: "it has its grant" in window.status.message, timeout=WAIT)
    assert "Re-authenticate in the Grants window" in window.status.message
    assert states(wizard) == ["connected"]
    wizard.close()
