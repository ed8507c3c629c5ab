"""The onboarding wizard window: page order, title, and "onboard another account"."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Protocol, TypeVar

from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import QLineEdit, QWidget, QWizard

from wizard.store.entries import QueueEntry
from wizard.ui import core, crash, leaving
from wizard.ui.page_ids import PageId
from wizard.ui.pages.account import AccountPage, V3AccountPage
from wizard.ui.pages.authorization import AuthorizationPage
from wizard.ui.pages.base import BasePage
from wizard.ui.pages.connection import ConnectionPage
from wizard.ui.pages.done import DonePage
from wizard.ui.pages.integration import IntegrationPage
from wizard.ui.pages.zoom_app import ZoomAppPage
from wizard.ui.session import WizardSession
from wizard.ui.tasks import PageTask
from wizard.ui.widgets import come_forward

if TYPE_CHECKING:
    from wizard.flow import LateAnswer
    from wizard.flow.reconcile import ReconcileReport
    from wizard.ui.grants_window import GrantsWindow
    from wizard.ui.history_window import HistoryWindow
    from wizard.ui.queue_window import QueueWindow

TITLE = "Zoom onboarding"


class _ToolWindow(Protocol):
    def show(self) -> None: ...
    def raise_(self) -> None: ...
    def load(self) -> None: ...


_Window = TypeVar("_Window", bound=_ToolWindow)


def _brought_up(window: _Window) -> _Window:
    """History, Queue or Grants, opened or asked for again: in front, read afresh."""
    window.show()
    window.raise_()
    window.load()
    return window


class OnboardingWizard(QWizard):
    def __init__(self, session: WizardSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._set_buttons()
        self.history_window: HistoryWindow | None = None  # created when first asked for
        self.queue_window: QueueWindow | None = None
        self.grants_window: GrantsWindow | None = None
        self._queue_task = PageTask(self)
        self._diagnostics = PageTask(self)
        self.setMinimumSize(720, 540)
        self._add_pages()
        session.sandboxChanged.connect(self._sandbox_changed)
        session.late.found.connect(self._late_grants_found)
        session.lateAnswer.connect(self._late_answer)
        session.remote.answered.connect(lambda _finished: self._refresh_history())
        session.work.changed.connect(self._queue_changed)
        self._sandbox_changed(False)
        self._closing: asyncio.Task[None] | None = None
        self.leaving = leaving.Leaving(self)

    def _set_buttons(self) -> None:
        """History, Queue, Grants and Copy diagnostics at the left of QWizard's own buttons."""
        if self.wizardStyle() == QWizard.WizardStyle.ClassicStyle:
            # The platform's style has no wizard look of its own (Linux's): the modern one.
            # macOS (MacStyle) and Windows (AeroStyle) keep theirs.
            self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.HaveCustomButton1, True)
        self.setOption(QWizard.WizardOption.HaveCustomButton2, True)
        self.setOption(QWizard.WizardOption.HaveCustomButton3, True)
        self.setButtonText(QWizard.WizardButton.CustomButton1, "&History...")
        self.setButtonText(QWizard.WizardButton.CustomButton3, "&Queue...")
        self.button(QWizard.WizardButton.CustomButton3).setToolTip(
            "The day's list of customer accounts: paste or import it, then work through it"
        )
        # QWizard has three custom buttons; the Help button is the fourth slot (ModernStyle
        # shows it as a plain push button wherever the layout puts it).
        self.setOption(QWizard.WizardOption.HaveHelpButton, True)
        self.setButtonText(QWizard.WizardButton.HelpButton, "&Grants...")
        self.button(QWizard.WizardButton.HelpButton).setToolTip(
            "The application's Zoom grants on Nylas, invalid first: re-authenticate or revoke"
        )
        self.helpRequested.connect(self.show_grants)
        self.setButtonLayout(
            [
                QWizard.WizardButton.CustomButton1,
                QWizard.WizardButton.CustomButton3,
                QWizard.WizardButton.HelpButton,
                QWizard.WizardButton.CustomButton2,
                QWizard.WizardButton.Stretch,
                QWizard.WizardButton.BackButton,
                QWizard.WizardButton.NextButton,
                QWizard.WizardButton.CommitButton,
                QWizard.WizardButton.FinishButton,
                QWizard.WizardButton.CancelButton,
            ]
        )
        self.setButtonText(QWizard.WizardButton.CustomButton2, "Copy &diagnostics")
        self.button(QWizard.WizardButton.CustomButton2).setToolTip(
            "Copy a report for an engineer: versions, settings and recent errors, no secrets"
        )
        self.customButtonClicked.connect(self._custom_button)
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Next >")

    def _add_pages(self) -> None:
        self.connection_page = ConnectionPage()
        self.zoom_app_page = ZoomAppPage()
        self.integration_page = IntegrationPage()
        self.account_page = AccountPage()
        self.v3_account_page = V3AccountPage()
        self.authorization_page = AuthorizationPage()
        # Named *_page: an attribute `done` would hide QDialog.done() from Qt and crash on close.
        self.done_page = DonePage()
        for page_id, page in (
            (PageId.CONNECTION, self.connection_page),
            (PageId.ZOOM_APP, self.zoom_app_page),
            (PageId.INTEGRATION, self.integration_page),
            (PageId.ACCOUNT, self.account_page),
            (PageId.AUTHORIZATION, self.authorization_page),
            (PageId.DONE, self.done_page),
            (PageId.ACCOUNT_V3, self.v3_account_page),
        ):
            self.setPage(page_id, page)

    def pages(self) -> list[BasePage]:
        return [self.page(i) for i in self.pageIds()]  # type: ignore[misc]

    def _sandbox_changed(self, sandbox: bool) -> None:
        self.setWindowTitle(f"{TITLE} - offline sandbox" if sandbox else TITLE)

    def _late_grants_found(self, report: ReconcileReport) -> None:
        """Said on the page the operator is on, and shown in the History window if open."""
        if report.found:
            names = ", ".join(
                f"{f.grant.id} ({f.grant.email or 'unknown Zoom user'})" for f in report.found
            )
            text = f"A consent came back after the wait ended: {names}, now in the History."
            status = getattr(self.currentPage(), "status", None)
            if status is not None:
                status.ok(text)
        self._refresh_history()

    def _refresh_history(self) -> None:
        if self.history_window is not None and self.history_window.isVisible():
            self.history_window.refresh_if_idle()

    def come_forward(self) -> None:
        """A customer's answer came back: the operator's next action is in this window, not
        in the browser they are looking at."""
        come_forward(self)

    def _late_answer(self, event: LateAnswer) -> None:
        """An earlier link came back: said on the page the operator is on."""
        self.come_forward()
        status = getattr(self.currentPage(), "status", None)
        if status is not None:
            words = core.late_answer_words(event)
            status.ok(words) if event.result is not None else status.info(words)
        self._refresh_history()

    def _queue_changed(self) -> None:
        if self.currentId() in (PageId.ACCOUNT, PageId.ACCOUNT_V3):
            self.current_account_page().refresh_queue_offer()

    def _custom_button(self, which: int) -> None:
        if which == QWizard.WizardButton.CustomButton1.value:
            self.show_history()
        elif which == QWizard.WizardButton.CustomButton2.value:
            self.copy_diagnostics()
        elif which == QWizard.WizardButton.CustomButton3.value:
            self.show_queue()

    def show_queue(self) -> QueueWindow:
        if self.queue_window is None:
            from wizard.ui.queue_window import QueueWindow

            self.queue_window = QueueWindow(self.session, self)
        return _brought_up(self.queue_window)

    # -- working through the queue --------------------------------------------------------

    def start_entry(self, entry_id: int) -> None:
        """Fill the account page with this queue entry and go straight to consent."""
        self._queue_task.start(self._start_entry(entry_id), lambda _none: None, self._entry_failed)

    async def _start_entry(self, entry_id: int) -> None:
        if self.session.integration is None or self.currentId() not in (
            PageId.ACCOUNT,
            PageId.ACCOUNT_V3,
            PageId.AUTHORIZATION,
            PageId.DONE,
        ):
            raise ValueError(
                "Set up the connection, the Zoom app and the integration first (the first "
                "three pages); then start the queue."
            )
        if self.currentId() == PageId.AUTHORIZATION and self.authorization_page.task.running:
            raise ValueError("A consent is still pending: use Stop waiting first.")
        entry: QueueEntry = await asyncio.to_thread(self.session.work.store.get, entry_id)
        core.account_for_entry(entry, self.session.api)  # refuses an entry this API cannot take
        self.onboard_another()  # to a clean account page (and away from any earlier entry)
        claimed = await self.session.work.claim(entry_id)
        if claimed is None:
            raise ValueError(f"{entry.label} is done or another window is working on it.")
        account = core.account_for_entry(claimed, self.session.api)
        if self.session.api == "v3":
            self.v3_account_page.login_hint.setText(account.login_hint or "")
            self.v3_account_page.customer.setText(account.customer or "")
        else:
            self.account_page.account_id.setText(account.account_id or "")
            self.account_page.customer.setText(account.customer or "")
        self.next()
        if self.currentId() != PageId.AUTHORIZATION:  # the page refused it: say why, keep it
            self.session.work.release()

    def _entry_failed(self, exc: BaseException) -> None:
        text = core.explain(exc).text()
        status = getattr(self.currentPage(), "status", None)
        if status is not None:
            status.error(text)
        if self.queue_window is not None and self.queue_window.isVisible():
            self.queue_window.status.error(text)

    def show_history(self) -> HistoryWindow:
        if self.history_window is None:
            from wizard.ui.history_window import HistoryWindow

            self.history_window = HistoryWindow(
                self.session.history,
                self,
                check_late=self.session.late.check,
                delete_grant=self.session.delete_grant,
            )
        # Practice grants are hidden unless asked for, and asked for while practising.
        self.history_window.include_practice.setChecked(self.session.practice)
        return _brought_up(self.history_window)

    def show_grants(self) -> GrantsWindow:
        if self.grants_window is None:
            from wizard.ui.grants_window import GrantsWindow

            self.grants_window = GrantsWindow(self.session, self)
        return _brought_up(self.grants_window)

    def copy_diagnostics(self) -> None:
        session = self.session
        report = asyncio.to_thread(
            core.build_report, region=session.region or None, api_url=session.api_url or None
        )
        self._diagnostics.start(report, QGuiApplication.clipboard().setText, crash.show_crash)

    def account_page_id(self) -> PageId:
        return PageId.ACCOUNT_V3 if self.session.api == "v3" else PageId.ACCOUNT

    def current_account_page(self) -> AccountPage | V3AccountPage:
        return self.v3_account_page if self.session.api == "v3" else self.account_page

    def change_application(self) -> None:
        """To the first page, for another application, region or API (asked first when earlier
        links are still listened for)."""
        self.leaving.change_application()

    def restart_at_connection(self) -> None:
        self.session.work.release()
        self.restart()  # QWizard cleans up the pages left; the connection page starts again

    def onboard_another(self) -> None:
        """Back to the account page, keeping the connection and the integration."""
        self.session.next_account()
        self.session.work.release()
        target = self.account_page_id()
        while self.currentId() != target and self.currentId() != PageId.CONNECTION:
            self.back()
        self.current_account_page().clear()
        # initializePage is not run on Back: say here how far this session has come.
        self.current_account_page().initializePage()

    def pending_loss(self) -> str | None:
        """What closing now would lose, in words for the operator (None: nothing)."""
        return leaving.pending_loss(self)

    def settings_fields(self) -> list[QLineEdit]:
        """What a profile keeps: typed and not saved, it would be typed again next time."""
        connection, zoom = self.connection_page, self.zoom_app_page
        return [
            connection.api_url,
            connection.client_id,
            connection.secret,
            zoom.zoom_id,
            zoom.zoom_secret,
            zoom.landing,
        ]

    def reject(self) -> None:
        # Cancel and Escape: ask first when something would be lost.
        if self.leaving.may_close():
            super().reject()

    def accept(self) -> None:
        # Finish too: earlier links may still be listened for.
        if self.leaving.may_close():
            super().accept()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.leaving.may_close():
            event.ignore()
            return
        # Every wait of every page and widget ends with the window.
        for task in self.findChildren(PageTask):
            task.cancel()
        super().closeEvent(event)
