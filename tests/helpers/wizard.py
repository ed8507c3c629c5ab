"""Driving the wizard as an operator does (pytest-qt, against the in-process sandbox): a window
on either API, then the pages on the way to consent."""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import qasync
import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QInputDialog,
    QLabel,
    QMessageBox,
    QWidget,
)
from pytestqt.qtbot import QtBot

from tests.helpers.ports import free_port
from wizard.defaults import DEFAULT_API
from wizard.sandbox import SandboxServer
from wizard.ui.app import create_wizard
from wizard.ui.page_ids import PageId
from wizard.ui.queue_window import QueueWindow
from wizard.ui.wizard import OnboardingWizard

WAIT = 15_000  # ms: generous; these are waits for conditions, not timings


def make(qtbot: QtBot, opener: object, api: str = DEFAULT_API) -> OnboardingWizard:
    """A sandbox window on `api` (the product's default unless told), shown."""
    wizard = create_wizard(opener, sandbox=True, api=api)  # type: ignore[arg-type]
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def sandbox_checked(qtbot: QtBot, wizard: OnboardingWizard) -> None:
    """The sandbox's demo credentials are filled in and checked without a click."""
    page = wizard.connection_page
    qtbot.waitUntil(lambda: page.api_url.text().startswith("http://127.0.0.1"), timeout=WAIT)
    qtbot.waitUntil(page.isComplete, timeout=WAIT)


def connect(qtbot: QtBot, wizard: OnboardingWizard) -> None:
    page = wizard.connection_page
    sandbox_checked(qtbot, wizard)
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


def sandbox_of(wizard: OnboardingWizard) -> SandboxServer:
    sandbox = wizard.session.sandbox
    assert sandbox is not None
    return sandbox


def to_account_page(qtbot: QtBot, wizard: OnboardingWizard, port: int) -> None:
    sandbox_checked(qtbot, wizard)
    page = wizard.connection_page
    sandbox = wizard.session.sandbox
    assert sandbox is not None
    # The application id was filled in from the API key.
    assert page.client_id.text() == sandbox.credentials.v3_application_id
    wizard.next()
    zoom = wizard.zoom_app_page
    assert zoom.callback.text() == f"{sandbox.url}/v3/connect/callback"
    assert not zoom.name.isVisibleTo(zoom)  # Connect-only fields are not offered for v3
    zoom.port.setValue(port)
    qtbot.waitUntil(zoom.isComplete, timeout=WAIT)
    assert "connector" in zoom.plan_status.message
    wizard.next()
    assert wizard.currentId() == PageId.INTEGRATION
    qtbot.waitUntil(wizard.integration_page.isComplete, timeout=WAIT)
    assert "connector" in wizard.integration_page.status.message
    assert f"http://localhost:{port}/callback" in sandbox.v3_callback_uris
    wizard.next()
    assert wizard.currentId() == PageId.ACCOUNT_V3


def on_account_page(qtbot: QtBot, opener: object) -> OnboardingWizard:
    """A v3 sandbox window on `opener`, walked to the account page (a free port)."""
    wizard = make(qtbot, opener, api="v3")
    to_account_page(qtbot, wizard, free_port())
    return wizard


def to_authorization(
    qtbot: QtBot, opener: object, *, port: int | None = None, account: str = "acct-1"
) -> OnboardingWizard:
    """A Connect sandbox window on `opener`, walked to the consent page for `account`."""
    wizard = make(qtbot, opener, api="connect")
    connect(qtbot, wizard)
    through_integration(qtbot, wizard, free_port() if port is None else port)
    authorize(qtbot, wizard, account)
    return wizard


def fill_account(
    wizard: OnboardingWizard, customer: str, email: str = "zoom.user@example.com"
) -> None:
    """The v3 account page filled in (the Zoom user's email as login hint, the customer)."""
    page = wizard.v3_account_page
    page.login_hint.setText(email)
    page.customer.setText(customer)


def start_consent(
    wizard: OnboardingWizard, customer: str, email: str = "zoom.user@example.com"
) -> None:
    """The v3 account page filled in, then Next: the consent begins."""
    fill_account(wizard, customer, email)
    wizard.next()


def consent(qtbot: QtBot, wizard: OnboardingWizard, customer: str) -> None:
    fill_account(wizard, customer)
    assert wizard.v3_account_page.isComplete()
    wizard.next()
    assert wizard.currentId() == PageId.AUTHORIZATION
    wait_for_done(qtbot, wizard)


def wait_for_done(qtbot: QtBot, wizard: OnboardingWizard) -> None:
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.DONE, timeout=WAIT)


def start_next_from_queue(qtbot: QtBot, wizard: OnboardingWizard) -> None:
    """Onboard another, then the queue's next entry that the account page offers."""
    page = wizard.v3_account_page
    wizard.onboard_another()
    qtbot.waitUntil(page.from_queue.isVisible, timeout=WAIT)
    page.from_queue.click()


def stop_waiting(qtbot: QtBot, wizard: OnboardingWizard) -> str:
    """Once the consent page shows its link: Stop waiting, until Try again shows. The link."""
    page = wizard.authorization_page
    qtbot.waitUntil(lambda: bool(page.url.text()), timeout=WAIT)
    link = page.url.text()
    page.stop.click()
    qtbot.waitUntil(page.try_again.isVisible, timeout=WAIT)
    return link


def close_anyway(wizard: OnboardingWizard) -> None:
    """Closed, the operator having said yes to losing what was pending."""
    wizard.leaving.confirmed = True
    wizard.close()


def pasted(qtbot: QtBot, wizard: OnboardingWizard, text: str) -> QueueWindow:
    """`text` pasted into the Queue window and added (or refused); the window."""
    window = wizard.show_queue()
    window.paste.setPlainText(text)
    window.add.click()
    qtbot.waitUntil(lambda: not window.task.running, timeout=WAIT)
    return window


def started_from_the_queue(qtbot: QtBot, wizard: OnboardingWizard, text: str) -> None:
    """`text` added to the queue, its window hidden and Start clicked: the consent page waits."""
    window = pasted(qtbot, wizard, text)
    window.hide()
    window.start.click()
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.AUTHORIZATION, timeout=WAIT)


def answer_name_dialog(qtbot: QtBot, name: str) -> None:
    def dialog() -> QInputDialog | None:
        found = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, QInputDialog) and w.isVisible()
        ]
        return found[0] if found else None

    qtbot.waitUntil(lambda: dialog() is not None, timeout=WAIT)
    box = dialog()
    assert box is not None
    box.setTextValue(name)
    box.accept()


MODIFIER_KEYS = (Qt.Key.Key_Control, Qt.Key.Key_Shift, Qt.Key.Key_Alt, Qt.Key.Key_Meta)


class ActionCounter(QObject):
    """Counts what an operator does: key presses and mouse presses that reach any widget."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Once per press: a key a field ignores (Return) travels on to its parents, each
        # seeing the same event; the press is the focus widget's.
        if not isinstance(watched, QWidget):
            return False
        if event.type() == QEvent.Type.KeyPress and watched is QApplication.focusWidget():
            assert isinstance(event, QKeyEvent)
            if event.key() not in MODIFIER_KEYS:  # Ctrl+V is one action, not two
                self.count += 1
        elif event.type() == QEvent.Type.MouseButtonPress:
            self.count += 1
        return False


@contextmanager
def counting_actions() -> Iterator[ActionCounter]:
    """An ActionCounter on the whole application while the block runs."""
    app = QApplication.instance()
    assert app is not None
    counter = ActionCounter()
    app.installEventFilter(counter)
    try:
        yield counter
    finally:
        app.removeEventFilter(counter)


def close_sessions(loop: qasync.QEventLoop) -> None:
    """Every open window's session closes as the app closes it (app.py): its flow's listeners
    and its sandbox free their ports, instead of lingering into the next test."""
    closing = [
        asyncio.ensure_future(widget.session.aclose())
        for widget in QApplication.topLevelWidgets()
        if isinstance(widget, OnboardingWizard) and shiboken6.isValid(widget)
    ]
    if not closing:
        return
    done = asyncio.gather(*closing, return_exceptions=True)
    deadline = time.monotonic() + 10
    while not done.done() and time.monotonic() < deadline:
        QApplication.processEvents()  # the qasync loop runs inside Qt's
        time.sleep(0.001)


def destructive(box: QMessageBox) -> QAbstractButton:
    (button,) = [
        b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole
    ]
    return button


def mnemonics(window: QWidget) -> Counter[str]:
    letters: Counter[str] = Counter()
    for widget in window.findChildren(QWidget):
        if not widget.isVisible() or widget.window() is not window:
            continue
        if isinstance(widget, QAbstractButton | QLabel):
            found = re.search(r"&([^&\s])", widget.text().replace("&&", ""))
            if found:
                letters[found.group(1).lower()] += 1
    return letters
