"""Page 4: the customer to connect, validated as it is typed, one page per API.

Connect: the customer's Nylas account id (and optionally their Zoom email and a grant lifetime).
v3: the customer's Zoom email (the login hint, which also renews that user's existing grant) and
a reference of the operator's own for the history (v3 grants have no Nylas account id).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from wizard.defaults import DAY, DEFAULT_GRANT_LIFETIME
from wizard.store.entries import QueueImportError
from wizard.ui import core
from wizard.ui.page_ids import PageId
from wizard.ui.pages.base import BasePage
from wizard.ui.widgets import StatusLine
from wizard.validation import validate_account_id, validate_customer, validate_login_hint

if TYPE_CHECKING:
    from wizard.flow import CustomerAccount
    from wizard.store.entries import QueueEntry


class _AccountPage(BasePage):
    """What both account pages share: one inline problem line, checked as the operator types
    (the same style for every field), and the session count."""

    customer: QLineEdit  # both pages': a pasted row's reference goes there

    def __init__(self, subtitle: str, parent: QWidget | None = None) -> None:
        super().__init__("Customer account", subtitle, parent)
        self.form = QFormLayout()
        self.body.addLayout(self.form)
        self.problem = QLabel(self)
        self.problem.setWordWrap(True)
        self.problem.setAccessibleName("Problem")
        self.problem.setVisible(False)
        self.status = StatusLine(self)
        # The day's queue, when it has a waiting entry: one click fills this page and goes on.
        self.from_queue = QPushButton(self)
        self.from_queue.setAutoDefault(False)
        self.from_queue.setVisible(False)
        self.from_queue.clicked.connect(self._start_from_queue)
        self._queued: int | None = None
        # Back is closed behind the commit page: this is the way to another application or API.
        self.change_application = QPushButton("Change a&pplication...", self)
        self.change_application.setAutoDefault(False)
        self.change_application.setToolTip(
            "Back to the first page: another Nylas application, region or API"
        )
        self.change_application.clicked.connect(lambda: self.owner().change_application())

    def _field(self, name: str, placeholder: str) -> QLineEdit:
        """A field of the form: its name for screen readers, its hint while empty."""
        field = QLineEdit(self)
        field.setAccessibleName(name)
        field.setPlaceholderText(placeholder)
        return field

    def _finish_layout(self, *fields: QLineEdit) -> None:
        """`fields`: the page's own, checked as they are typed."""
        for field in fields:
            field.textChanged.connect(self._edited)
        self.body.addWidget(self.problem)
        self.body.addWidget(self.status)
        row = QHBoxLayout()
        row.addWidget(self.from_queue)
        row.addStretch(1)
        row.addWidget(self.change_application)
        self.body.addLayout(row)
        self.body.addStretch(1)

    def first_field(self) -> QLineEdit:
        raise NotImplementedError

    def initializePage(self) -> None:
        super().initializePage()
        done = len(self.session.grants_this_session)
        if done:
            self.status.info(f"{done} account(s) onboarded in this session. Enter the next one.")
        self.first_field().setFocus()
        self.from_queue.setVisible(False)
        self.refresh_queue_offer()

    def refresh_queue_offer(self) -> None:
        self.task.start(self.session.work.entries(), self._offer_queue, lambda _exc: None)

    def _offer_queue(self, entries: list[QueueEntry]) -> None:
        """Where the operator left off: the next waiting entry, and what was interrupted."""
        # Only one left by a process that is gone: never this window's own, after a Decline.
        interrupted = [e for e in entries if e.interrupted]
        # The queue's own rule (QueueEntry.to_work_on): an interrupted entry is taken again.
        waiting = [e for e in entries if e.to_work_on]
        self._queued = waiting[0].id if waiting else None
        if waiting:
            self.from_queue.setText(
                f"Ne&xt from the queue: {waiting[0].label} ({len(waiting)} waiting)"
            )
        self.from_queue.setVisible(bool(waiting))
        if interrupted and not self.status.message:
            self.status.info(
                f"{len(interrupted)} queue entr{'y was' if len(interrupted) == 1 else 'ies were'} "
                "interrupted (a window or command ended during consent): they are offered "
                "again; Queue... shows them."
            )

    def _start_from_queue(self) -> None:
        if self._queued is not None:
            self.owner().start_entry(self._queued)

    def _check(self) -> str:
        """The first problem of what is typed ("" when none)."""
        raise NotImplementedError

    def _edited(self) -> None:
        if "\t" in self.first_field().text():
            self._split_pasted_row(self.first_field().text())
            return  # the fields' own changes check again
        problem = self._check()
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))
        self.completeChanged.emit()

    def _split_pasted_row(self, row: str) -> None:
        """A row copied from the day's spreadsheet (key, tab, reference) fills both fields,
        read by the queue's own rule: one paste per customer instead of two."""
        try:
            (entry,) = core.parse_entries(row)
        except (QueueImportError, ValueError):
            self.first_field().setText(row.replace("\t", " ").strip())  # said by the check
            return
        key = entry.login_hint or entry.account_id or ""
        self._fill(key, entry.customer or "")

    def _fill(self, key: str, customer: str) -> None:
        for field, value in ((self.first_field(), key), (self.customer, customer)):
            field.setText(value)
            field.setModified(True)  # pasted by the operator: closing asks about it

    def _required_filled(self) -> bool:
        raise NotImplementedError

    def _account(self) -> CustomerAccount:
        """The account typed (ValueError: what is wrong)."""
        raise NotImplementedError

    def validatePage(self) -> bool:
        try:
            account = self._account()
        except ValueError as exc:
            self.status.error(str(exc))
            return False
        self.session.choose_account(account)
        self.status.clear()
        return True

    def isComplete(self) -> bool:
        return self._required_filled() and not self.problem.text()

    def clear(self) -> None:
        for field in self.findChildren(QLineEdit):
            field.clear()
        self.status.clear()

    def nextId(self) -> int:

        return int(PageId.AUTHORIZATION)


def _problem_of(check: object, text: str) -> str:
    if not text.strip():
        return ""
    try:
        check(text)  # type: ignore[operator]
    except ValueError as exc:
        return str(exc)
    return ""


class AccountPage(_AccountPage):
    """Connect API."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("The Nylas account the Zoom grant will belong to.", parent)
        self.account_id = self._field("Nylas account id", "as shown in the Nylas dashboard")
        self.login_hint = self._field("Zoom login hint", "optional: the customer's Zoom email")
        self.customer = self._field(
            "Customer reference", "optional: for the history, e.g. Acme #123"
        )
        self.override = QCheckBox("&Override the grant lifetime for this account", self)
        self.lifetime = QSpinBox(self)
        self.lifetime.setRange(1, 3650)
        self.lifetime.setValue(DEFAULT_GRANT_LIFETIME // DAY)
        self.lifetime.setSuffix(" days")
        self.lifetime.setAccessibleName("Grant lifetime override")
        self.lifetime.setEnabled(False)
        self.override.toggled.connect(self.lifetime.setEnabled)
        self.form.addRow("Nylas &account id:", self.account_id)
        self.form.addRow("Zoom login hin&t:", self.login_hint)
        self.form.addRow("Customer &reference:", self.customer)
        self.form.addRow("", self.override)
        self.form.addRow("Grant &lifetime:", self.lifetime)
        self._finish_layout(self.account_id, self.login_hint, self.customer)
        # Kept for callers and tests that look for the account id's problem.
        self.account_error = self.problem

    def first_field(self) -> QLineEdit:
        return self.account_id

    def clear(self) -> None:
        super().clear()
        self.override.setChecked(False)

    def _check(self) -> str:
        return (
            _problem_of(validate_account_id, self.account_id.text())
            or _problem_of(validate_login_hint, self.login_hint.text())
            or _problem_of(validate_customer, self.customer.text())
        )

    def _required_filled(self) -> bool:
        return bool(self.account_id.text().strip())

    def _account(self) -> CustomerAccount:
        return core.CustomerAccount(
            self.account_id.text(),
            login_hint=self.login_hint.text(),
            expires_in=self.lifetime.value() * DAY if self.override.isChecked() else None,
            customer=self.customer.text(),
        ).require_for("connect")


class V3AccountPage(_AccountPage):
    """Nylas API v3."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "The customer whose Zoom user will consent. Their Zoom email also renews that "
            "user's existing grant instead of making a second one.",
            parent,
        )
        self.login_hint = self._field(
            "Customer's Zoom email", "recommended: the customer's Zoom email"
        )
        self.customer = self._field(
            "Customer reference", "for the history, e.g. Acme #123 or a ticket number"
        )
        self.form.addRow("Customer's Zoom &email:", self.login_hint)
        self.form.addRow("Customer &reference:", self.customer)
        self._finish_layout(self.login_hint, self.customer)

    def first_field(self) -> QLineEdit:
        return self.login_hint

    def _check(self) -> str:
        return _problem_of(validate_login_hint, self.login_hint.text()) or _problem_of(
            validate_customer, self.customer.text()
        )

    def _required_filled(self) -> bool:
        return bool(self.customer.text().strip())

    def _account(self) -> CustomerAccount:
        return core.CustomerAccount(
            login_hint=self.login_hint.text(), customer=self.customer.text()
        ).require_for("v3")
