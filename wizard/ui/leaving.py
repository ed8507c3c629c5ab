"""What closing the window (or changing the application) would lose, asked before it happens."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLineEdit, QMessageBox

from wizard.ui.page_ids import PageId
from wizard.ui.widgets import ask

if TYPE_CHECKING:
    from wizard.ui.wizard import OnboardingWizard


def pending_loss(wizard: OnboardingWizard) -> str | None:
    """What closing the window now would lose, in words for the operator (None: nothing)."""
    lost = (
        "a consent given with it afterwards cannot become a grant on Nylas API v3 (on the "
        "Connect API, History > Check for late grants finds it)"
    )
    if wizard.currentId() == PageId.AUTHORIZATION and wizard.authorization_page.task.running:
        return f"A customer's consent is still pending. If you close now, {lost}."
    kept_here = wizard.session.remote.kept_here()
    if kept_here:
        who = ", ".join(sent.account.label for sent in kept_here)
        return (
            f"{len(kept_here)} link(s) sent to customers elsewhere ({who}) work only while this "
            "window is open (no system keyring keeps their secret): if you close it, their "
            "answers cannot be taken, and they need a new link."
        )
    links = wizard.session.open_links()
    if links:
        until = time.strftime("%H:%M", time.localtime(max(link.expires_at for link in links)))
        who = ", ".join(link.account.label for link in links)
        return (
            f"{len(links)} earlier sign-in link(s) still work until {until} ({who}), and "
            f"this window listens for them. If you close it, {lost}."
        )
    if wizard.currentId() in (PageId.ACCOUNT, PageId.ACCOUNT_V3):
        # Only what the operator typed: values the wizard filled in (a queue entry) are
        # not lost, they are in the queue.
        page = wizard.current_account_page()
        if any(f.isModified() and f.text().strip() for f in page.findChildren(QLineEdit)):
            return "The customer details you typed will be lost."
    if any(f.isModified() and f.text().strip() for f in wizard.settings_fields()):
        return (
            "The connection settings you typed are not saved in a profile: Save on the "
            "first page keeps them for next time (the secrets in the system keyring)."
        )
    return None


class Leaving(QObject):
    """The wizard's one question at a time before it closes or changes the application."""

    def __init__(self, wizard: OnboardingWizard) -> None:
        super().__init__(wizard)
        self.wizard = wizard
        self.question: QMessageBox | None = None
        self.confirmed = False  # the operator said Close anyway

    def may_close(self) -> bool:
        """True when the window may close now; otherwise a question is open."""
        loss = None if self.confirmed else self.wizard.pending_loss()
        if loss is None:
            return True
        if self.question is None:
            self.question = ask(
                self.wizard,
                "Close Zoom onboarding?",
                loss,
                "&Close anyway",
                self._close_answered,
                keep="&Keep open",
                icon=QMessageBox.Icon.Question,
            )
        return False

    def change_application(self) -> None:
        """Earlier links still listened for are asked about first, as when closing (the next
        Check connection replaces the flow, which does not listen for them)."""
        links = self.wizard.session.open_links()
        if not links:
            self.wizard.restart_at_connection()
            return
        self.question = ask(
            self.wizard,
            "Change the application?",
            f"{len(links)} earlier sign-in link(s) still work, and this window listens for "
            "them until another application is checked; a consent given with them after that "
            "cannot become a grant on Nylas API v3.",
            "&Change anyway",
            self._change_answered,
            keep="&Keep this application",
            icon=QMessageBox.Icon.Question,
        )

    def _close_answered(self, close: bool) -> None:
        self.question = None
        if close:
            self.confirmed = True
            self.wizard.close()

    def _change_answered(self, change: bool) -> None:
        self.question = None  # whatever the answer: a later close asks afresh
        if change:
            self.wizard.restart_at_connection()
