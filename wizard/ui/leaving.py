"""What closing the window (or changing the application) would lose, said before it happens."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLineEdit

from wizard.ui.page_ids import PageId

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
