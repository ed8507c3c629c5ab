"""Page 6: the grant, ready to copy, and the way to the next customer account."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QPushButton, QWidget

from wizard.ui.pages.base import BasePage
from wizard.ui.widgets import CopyButton, StatusLine


class DonePage(BasePage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Done", "The customer's Zoom account is connected to Nylas.", parent)
        self.grant_id = QLabel(self)
        self.grant_id.setAccessibleName("Grant id")
        self.grant_id.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        font = QFont(self.grant_id.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setFamilies(["monospace"])
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.grant_id.setFont(font)
        grant_row = QHBoxLayout()
        grant_row.addWidget(self.grant_id, 1)
        self.copy = CopyButton(self.grant_id, "&Copy grant id", self)
        grant_row.addWidget(self.copy)
        self.body.addWidget(QLabel("grant_id:", self))
        self.body.addLayout(grant_row)

        form = QFormLayout()
        self.account = QLabel(self)
        self.provider = QLabel(self)
        self.email = QLabel(self)
        self.grant_status = QLabel(self)
        for label, widget in (
            ("Nylas account:", self.account),
            ("Provider:", self.provider),
            ("Zoom user:", self.email),
            ("Grant status:", self.grant_status),
        ):
            widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            widget.setAccessibleName(label.rstrip(":"))
            form.addRow(label, widget)
        self.body.addLayout(form)
        self.verification = StatusLine(self)
        self.body.addWidget(self.verification)

        row = QHBoxLayout()
        self.another = QPushButton("Onboard &another account", self)
        self.another.setAutoDefault(False)
        self.another.clicked.connect(lambda: self.owner().onboard_another())
        row.addWidget(self.another)
        row.addStretch(1)
        self.body.addLayout(row)
        self.body.addStretch(1)

    def initializePage(self) -> None:
        super().initializePage()
        result = self.session.result
        assert result is not None
        self.grant_id.setText(result.grant_id)
        self.account.setText(result.account_id)
        self.provider.setText(result.provider)
        self.email.setText(result.email or "unknown")
        self.grant_status.setText(result.grant_status or "unknown")
        if result.verified:
            self.verification.ok(
                f"Verified with Nylas: the grant belongs to Zoom user {result.email}. If that "
                "is not the customer's Zoom user, delete the grant and try again in a private "
                "window."
            )
        else:
            self.verification.error(
                f"Not verified: {result.verification_note} The grant id above was received and "
                "saved; check it in the Nylas dashboard."
            )
        self.copy.setFocus()
