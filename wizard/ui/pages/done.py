"""Page 6: the grant, ready to copy, and the way to the next customer account."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QWidget,
    QWizard,
)

from wizard.ui import core
from wizard.ui.pages.base import BasePage
from wizard.ui.widgets import CopyButton, StatusLine, ask

if TYPE_CHECKING:
    from wizard.store.entries import QueueEntry

ANOTHER = "Onboard &another account"


class DonePage(BasePage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Done", "The customer's Zoom account is connected to Nylas.", parent)
        self._add_grant_id()
        self._add_details()
        self._add_buttons()
        self.body.addStretch(1)
        # QWizard makes Finish the default again whenever it updates its buttons, which it
        # does on every completeChanged (each task's start and end: a delete, the queue's
        # offer). Queued, so it runs after QWizard's own slot: Return never quits.
        self.completeChanged.connect(self._make_another_default, Qt.ConnectionType.QueuedConnection)

    def _add_grant_id(self) -> None:
        self.grant_id = QLabel(self)
        self.grant_id.setAccessibleName("Grant id")
        self.grant_id.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)  # every platform's
        font.setPointSizeF(self.grant_id.font().pointSizeF() * 1.5)
        self.grant_id.setFont(font)
        grant_row = QHBoxLayout()
        grant_row.addWidget(self.grant_id, 1)
        self.copy = CopyButton(self.grant_id, "&Copy grant id", self)
        grant_row.addWidget(self.copy)
        self.body.addWidget(QLabel("grant_id:", self))
        self.body.addLayout(grant_row)

    def _add_details(self) -> None:
        form = QFormLayout()
        self.account = QLabel(self)
        self.customer = QLabel(self)
        self.provider = QLabel(self)
        self.email = QLabel(self)
        self.grant_status = QLabel(self)
        for label, widget in (
            ("Nylas account:", self.account),
            ("Customer:", self.customer),
            ("Provider:", self.provider),
            ("Zoom user:", self.email),
            ("Grant status:", self.grant_status),
        ):
            widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            widget.setAccessibleName(label.rstrip(":"))
            form.addRow(label, widget)
        self.body.addLayout(form)
        self.form = form
        self.verification = StatusLine(self)
        self.body.addWidget(self.verification)
        # The grant is obtained either way; what the Zoom app lacks, Nylas cannot do with it.
        self.scopes = StatusLine(self)
        self.scopes.text.setAccessibleName("Missing Zoom scopes")
        self.body.addWidget(self.scopes)

    def _add_buttons(self) -> None:
        row = QHBoxLayout()
        self.another = QPushButton(ANOTHER, self)
        self.another.setAutoDefault(False)
        self.another.clicked.connect(self._another)
        self._next_entry: int | None = None  # the queue's next waiting entry, if any
        row.addWidget(self.another)
        row.addStretch(1)
        self.delete = QPushButton("Dele&te this grant...", self)
        self.delete.setAutoDefault(False)
        self.delete.setToolTip("For when the wrong Zoom user consented: revokes the grant on Nylas")
        self.delete.clicked.connect(self.ask_delete)
        row.addWidget(self.delete)
        self.confirm: QMessageBox | None = None
        self.body.addLayout(row)

    def nextId(self) -> int:
        return -1  # the last page, though the v3 account page has a higher id

    def initializePage(self) -> None:
        super().initializePage()
        result = self.session.result
        assert result is not None
        self.grant_id.setText(result.grant_id)
        self.account.setText(result.account_id or "")
        self.form.setRowVisible(self.account, bool(result.account_id))
        self.customer.setText(result.customer or "")
        self.form.setRowVisible(self.customer, bool(result.customer))
        self.provider.setText(result.provider)
        self.email.setText(result.email or "unknown")
        # v3 may leave the status out: unknown, not invalid.
        self.grant_status.setText(result.grant_status or "not reported")
        self.delete.setEnabled(True)
        if result.verified:
            renewed = (
                " It was already connected: its existing grant was renewed (same grant id)."
                if result.renewed
                else ""
            )
            self.verification.ok(
                f"Verified with Nylas: the grant belongs to Zoom user {result.email}.{renewed} "
                "If that is not the customer's Zoom user, delete it and try again in a private "
                "window."
            )
        else:
            self.verification.error(
                f"Not verified: {result.verification_note} The grant id above was received and "
                "saved; check it in the Nylas dashboard."
            )
        if result.missing_scopes:
            self.scopes.error(
                f"The consent did not grant the Zoom scope(s) {', '.join(result.missing_scopes)}"
                ": calls that need them fail with this grant. Add them to the Zoom app's scopes "
                "in the Zoom Marketplace, then let the customer consent again."
            )
        else:
            self.scopes.clear()
        self._next_entry = None
        self.another.setText(ANOTHER)
        self.task.start(self.session.work.next_entry(), self._offer_next, self._no_offer)
        # Return starts the next customer, never closes the window. QWizard makes Finish the
        # default while it lays out the last page: take that back once it is done.
        QTimer.singleShot(0, self, self._make_another_default)  # dropped if the page is gone
        self.another.setFocus()

    def _offer_next(self, entry: QueueEntry | None) -> None:
        # From the queue: one action (Return) per customer, plus their consent.
        self._next_entry = entry.id if entry is not None else None
        if entry is not None:
            self.another.setText(f"&Next customer: {entry.label}")
        # The default button is taken back after the task's end by the completeChanged slot.

    def _no_offer(self, _exc: BaseException) -> None:
        pass  # no queue to offer: Onboard another stays

    def _another(self) -> None:
        if self._next_entry is not None:
            self.owner().start_entry(self._next_entry)
        else:
            self.owner().onboard_another()

    def _make_another_default(self) -> None:
        finish = self.owner().button(QWizard.WizardButton.FinishButton)
        assert isinstance(finish, QPushButton)  # QWizard's buttons are push buttons
        finish.setDefault(False)
        finish.setAutoDefault(False)
        self.another.setDefault(True)
        # And the focus: QWizard gives it to the page's first button (Copy grant id), where a
        # Return would copy instead of starting the next customer.
        if self.isVisible():
            self.another.setFocus()

    def ask_delete(self) -> None:
        result = self.session.result
        if result is None:
            return
        who = result.email or "an unknown Zoom user"
        self._ask(
            "Delete this grant?",
            f"Delete the grant {result.grant_id} of Zoom user {who}?\n\nNylas revokes it for "
            "good; the customer must consent again to be connected.",
            "Delete grant",
            then=self._confirmed_once if result.renewed else self._delete,
        )

    def _confirmed_once(self) -> None:
        # A renewed grant was in use before this onboarding: deleting it breaks what uses it.
        result = self.session.result
        if result is None:
            return
        self._ask(
            "Delete a grant that was in use?",
            f"The grant {result.grant_id} existed before this onboarding: this Zoom user was "
            "already connected, and this consent renewed that grant. Deleting it disconnects "
            "everything that uses it today, and the customer must consent again.\n\n"
            "Delete it anyway?",
            "Delete anyway",
            then=self._delete,
        )

    def _ask(self, title: str, text: str, action: str, *, then: Callable[[], None]) -> None:
        self.confirm = ask(self, title, text, action, lambda yes: self._answered(yes, then))

    def _answered(self, yes: bool, then: Callable[[], None]) -> None:
        self.confirm = None
        if yes:
            then()

    def _delete(self) -> None:
        result, flow = self.session.result, self.session.flow
        if result is None or flow is None:
            return
        self.delete.setEnabled(False)
        self.verification.busy(f"Deleting the grant {result.grant_id}...")
        self.task.start(
            self.session.delete_grant(result.grant_id),
            lambda words: self._deleted(result.grant_id, words),
            self._delete_failed,
        )

    def _deleted(self, grant_id: str, words: str) -> None:
        # The record tells the truth: never "valid" for a grant that is gone.
        self.grant_status.setText(f"deleted ({words})")
        self.verification.ok(
            f"The grant {grant_id} was deleted on Nylas (the history says so too). Onboard "
            "this account again, signed in as the customer's Zoom user (a private window "
            "helps)."
        )

    def _delete_failed(self, exc: BaseException) -> None:
        self.delete.setEnabled(True)
        self.verification.error(f"The grant was not deleted: {core.explain(exc).text()}")
