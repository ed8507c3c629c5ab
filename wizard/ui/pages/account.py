"""Page 4: the customer account to connect (Nylas account_id), validated as it is typed."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QLineEdit, QSpinBox, QWidget

from wizard.ui.pages.base import BasePage
from wizard.ui.widgets import StatusLine

DAY = 86_400


class AccountPage(BasePage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "Customer account",
            "The Nylas account the Zoom grant will belong to.",
            parent,
        )
        form = QFormLayout()
        self.account_id = QLineEdit(self)
        self.account_id.setAccessibleName("Nylas account id")
        self.account_id.setPlaceholderText("as shown in the Nylas dashboard")
        self.account_error = QLabel(self)
        self.account_error.setWordWrap(True)
        self.account_error.setAccessibleName("Account id problem")
        self.login_hint = QLineEdit(self)
        self.login_hint.setAccessibleName("Zoom login hint")
        self.login_hint.setPlaceholderText("optional: the customer's Zoom email")
        self.override = QCheckBox("&Override the grant lifetime for this account", self)
        self.lifetime = QSpinBox(self)
        self.lifetime.setRange(1, 3650)
        self.lifetime.setValue(14)
        self.lifetime.setSuffix(" days")
        self.lifetime.setAccessibleName("Grant lifetime override")
        self.lifetime.setEnabled(False)
        self.override.toggled.connect(self.lifetime.setEnabled)
        form.addRow("Nylas &account id:", self.account_id)
        form.addRow("", self.account_error)
        form.addRow("Zoom login hin&t:", self.login_hint)
        form.addRow("", self.override)
        form.addRow("Grant &lifetime:", self.lifetime)
        self.body.addLayout(form)
        self.status = StatusLine(self)
        self.body.addWidget(self.status)
        self.body.addStretch(1)
        self.account_id.textChanged.connect(self._account_edited)
        self.account_error.setVisible(False)

    def initializePage(self) -> None:
        super().initializePage()
        done = len(self.session.grants_this_session)
        if done:
            self.status.info(f"{done} account(s) onboarded in this session. Enter the next one.")
        self.account_id.setFocus()

    def clear(self) -> None:
        self.account_id.clear()
        self.login_hint.clear()
        self.override.setChecked(False)
        self.status.clear()

    def _account_edited(self) -> None:
        text = self.account_id.text()
        problem = ""
        if text.strip():
            from wizard.flow import validate_account_id  # the core loads after the window

            try:
                validate_account_id(text)
            except ValueError as exc:
                problem = str(exc)
        self.account_error.setText(problem)
        self.account_error.setVisible(bool(problem))
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return bool(self.account_id.text().strip()) and not self.account_error.text()

    def validatePage(self) -> bool:
        from wizard.flow import CustomerAccount

        try:
            self.session.account = CustomerAccount(
                self.account_id.text(),
                login_hint=self.login_hint.text(),
                expires_in=self.lifetime.value() * DAY if self.override.isChecked() else None,
            )
        except ValueError as exc:
            self.status.error(str(exc))
            return False
        self.status.clear()
        return True
