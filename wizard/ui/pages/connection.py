"""Page 1: which Nylas application (region or URL, client id and secret), checked for real."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from wizard.nylas.regions import Region
from wizard.ui.pages.base import BasePage
from wizard.ui.profile_bar import ProfileBar
from wizard.ui.widgets import SecretLineEdit, StatusLine

if TYPE_CHECKING:
    from pydantic import SecretStr

    from wizard.store.profiles import Profile

REGIONS = [
    ("United States (US)", "us"),
    ("Europe (EU)", "eu"),
    ("Offline sandbox (practice)", "sandbox"),
    ("Custom API URL", "custom"),
]


class ConnectionPage(BasePage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "Nylas application",
            "The Nylas application that the customer's Zoom account will be connected to. "
            "Its client id and secret are in the Nylas dashboard.",
            parent,
        )
        self.profile_bar = ProfileBar(self.owner, self)
        self.body.addWidget(self.profile_bar)
        form = QFormLayout()
        self.region = QComboBox(self)
        self.region.setAccessibleName("Region")
        for label, value in REGIONS:
            self.region.addItem(label, value)
        self.api_url = QLineEdit(self)
        self.api_url.setAccessibleName("API URL")
        self.api_url.setPlaceholderText("https://...")
        self.client_id = QLineEdit(self)
        self.client_id.setAccessibleName("Nylas client id")
        self.secret = SecretLineEdit("Nylas client secret", self)
        form.addRow("&Region:", self.region)
        form.addRow("API &URL:", self.api_url)
        form.addRow("Nylas client &id:", self.client_id)
        form.addRow("Nylas client &secret:", self.secret.row)
        self.body.addLayout(form)

        row = QHBoxLayout()
        self.check = QPushButton("&Check connection", self)
        self.check.setAccessibleName("Check connection")
        self.check.setAutoDefault(False)
        row.addWidget(self.check)
        row.addStretch(1)
        self.body.addLayout(row)
        self.status = StatusLine(self)
        self.body.addWidget(self.status)
        self.body.addStretch(1)

        self._checked_for: tuple[str, str, str, str] | None = None
        self.region.currentIndexChanged.connect(self._region_changed)
        for field in (self.api_url, self.client_id, self.secret):
            field.textChanged.connect(self._edited)
            field.returnPressed.connect(self._check_if_needed)
        self.check.clicked.connect(self.start_check)
        self._region_changed()

    # -- state -----------------------------------------------------------------------------

    def region_value(self) -> str:
        return str(self.region.currentData())

    def _key(self) -> tuple[str, str, str, str]:
        return (
            self.region_value(),
            self.api_url.text().strip(),
            self.client_id.text().strip(),
            self.secret.text(),
        )

    def isComplete(self) -> bool:
        return not self.task.running and self._checked_for == self._key()

    def select_region(self, value: str) -> None:
        self.region.setCurrentIndex(self.region.findData(value))

    def _edited(self) -> None:
        if self._checked_for is not None and self._checked_for != self._key():
            self.status.info("The values changed: check the connection again.")
        self.completeChanged.emit()

    def _region_changed(self) -> None:
        region = self.region_value()
        self.api_url.setReadOnly(region != "custom")
        if region in ("us", "eu"):
            self.api_url.setText(Region(region).base_url)
        elif region == "custom":
            if not self.api_url.text().startswith("http") or self.api_url.text() in (
                Region.US.base_url,
                Region.EU.base_url,
            ):
                self.api_url.clear()
            self.api_url.setFocus()
        else:
            self._use_sandbox()
        self.show_sandbox_banner(region == "sandbox")
        self._edited()

    def initializePage(self) -> None:
        self.show_sandbox_banner(self.region_value() == "sandbox")
        # --sandbox means practice: a saved profile must not replace the sandbox's values.
        self.profile_bar.load(select_last=self.region_value() != "sandbox")

    # -- profiles --------------------------------------------------------------------------

    def apply_profile(self, profile: Profile, secret: SecretStr | None) -> None:
        self.select_region(profile.region)
        if profile.region == "custom" and profile.api_url:
            self.api_url.setText(profile.api_url)
        if profile.region != "sandbox":  # the sandbox fills in its own demo values
            self.client_id.setText(profile.nylas_client_id)
            self.secret.setText(secret.get_secret_value() if secret else "")

    def profile_fields(self) -> dict[str, Any]:
        region = self.region_value()
        return {
            "region": region,
            "api_url": self.api_url.text().strip() if region == "custom" else None,
            "nylas_client_id": self.client_id.text().strip(),
        }

    def _use_sandbox(self) -> None:
        self.api_url.setText("starting the sandbox...")
        self.status.busy("Starting the offline sandbox...")
        self.task.start(self.session.start_sandbox(), self._sandbox_started, self._failed)

    def _sandbox_started(self, sandbox: object) -> None:
        from wizard.sandbox import SandboxServer

        assert isinstance(sandbox, SandboxServer)
        self.api_url.setText(sandbox.url)
        self.client_id.setText(sandbox.credentials.nylas_client_id)
        self.secret.setText(sandbox.credentials.nylas_client_secret)
        self.status.info(
            "Offline sandbox running; its demo credentials are filled in. Press Check connection."
        )
        self.completeChanged.emit()

    # -- the check -------------------------------------------------------------------------

    def _check_if_needed(self) -> None:
        if not self.isComplete():
            self.start_check()
        else:
            self.owner().next()

    def _validate(self) -> str | None:
        url = self.api_url.text().strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            self.api_url.setFocus()
            return "Enter the API URL, starting with https://"
        if not self.client_id.text().strip():
            self.client_id.setFocus()
            return "Enter the Nylas client id (Nylas dashboard > App settings)."
        if not self.secret.text():
            self.secret.setFocus()
            return "Enter the Nylas client secret (Nylas dashboard > App settings)."
        return None

    def start_check(self) -> None:
        problem = self._validate()
        if problem:
            self.status.error(problem)
            return
        key = self._key()
        self.status.busy("Checking the connection to Nylas...")
        self.check.setEnabled(False)
        self.task.start(
            self.session.connect(key[0], key[1], key[2], key[3]),
            lambda _none: self._checked(key),
            self._failed,
            self._cancelled,
        )

    def _checked(self, key: tuple[str, str, str, str]) -> None:
        self.check.setEnabled(True)
        self._checked_for = key
        where = dict((v, label) for label, v in REGIONS)[key[0]]
        self.status.ok(f"Connected: Nylas accepted these credentials. Region: {where}.")
        self.completeChanged.emit()

    def _failed(self, exc: BaseException) -> None:
        self.check.setEnabled(True)
        self._checked_for = None
        from wizard.flow.explain import explain
        from wizard.nylas.errors import AuthenticationFailed, NylasNetworkError

        if isinstance(exc, AuthenticationFailed):
            self.secret.setFocus()
            self.status.error(
                "Nylas did not accept this client id and secret. Check both in the Nylas "
                "dashboard, and that the region is the one where the application lives."
            )
        elif isinstance(exc, NylasNetworkError):
            self.status.error(f"{exc.message} {exc.hint}")
        else:
            self.status.error(explain(exc).text())
        self.completeChanged.emit()

    def _cancelled(self) -> None:
        self.check.setEnabled(True)
