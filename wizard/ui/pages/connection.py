"""Page 1: which Nylas API and application (region or URL, credentials), checked for real."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from wizard.target import Target
from wizard.ui import core
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
APIS = [
    ("Nylas API v3", "v3"),
    ("Connect API (private preview)", "connect"),
]
# What the two credential fields are called for each API.
LABELS = {
    "v3": ("Application &id:", "API &key:"),
    "connect": ("Nylas client &id:", "Nylas client &secret:"),
}


class ConnectionPage(BasePage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "Nylas application",
            "The Nylas application that the customer's Zoom account will be connected to. "
            "Its API key (v3) or client id and secret (Connect) are in the Nylas dashboard.",
            parent,
        )
        self.profile_bar = ProfileBar(self.owner, self)
        self.body.addWidget(self.profile_bar)
        form = QFormLayout()
        self.form = form
        self.api_choice = QComboBox(self)
        self.api_choice.setAccessibleName("Nylas API")
        for label, value in APIS:
            self.api_choice.addItem(label, value)
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
        form.addRow("Nylas A&PI:", self.api_choice)
        form.addRow("&Region:", self.region)
        form.addRow("API &URL:", self.api_url)
        form.addRow(LABELS["v3"][0], self.client_id)
        form.addRow(LABELS["v3"][1], self.secret.row)
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

        self._checked_for: tuple[str, ...] | None = None
        self._demo_values: set[str] = set()  # what the sandbox filled in (may be replaced)
        self.api_choice.currentIndexChanged.connect(self._api_changed)
        self.region.currentIndexChanged.connect(self._region_changed)
        for field in (self.api_url, self.client_id, self.secret):
            field.textChanged.connect(self._edited)
            field.returnPressed.connect(self._check_if_needed)
        self.check.clicked.connect(self.start_check)
        self._api_changed()
        self._region_changed()

    # -- state -----------------------------------------------------------------------------

    def region_value(self) -> str:
        return str(self.region.currentData())

    def api_value(self) -> str:
        return str(self.api_choice.currentData())

    def select_api(self, value: str) -> None:
        self.api_choice.setCurrentIndex(self.api_choice.findData(value))

    def target(self) -> Target:
        return Target.of(self.api_value(), self.region_value(), self.api_url.text().strip())

    def _key(self) -> tuple[str, ...]:
        return (
            self.api_value(),
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

    def _api_changed(self) -> None:
        api = self.api_value()
        id_label, secret_label = LABELS[api]
        for widget, text in ((self.client_id, id_label), (self.secret.row, secret_label)):
            label = self.form.labelForField(widget)
            if isinstance(label, QLabel):
                label.setText(text)
        self.client_id.setAccessibleName("Application id" if api == "v3" else "Nylas client id")
        self.client_id.setPlaceholderText(
            "optional: filled in from the API key" if api == "v3" else ""
        )
        self.secret.set_accessible_name("API key" if api == "v3" else "Nylas client secret")
        self._region_changed()

    def _region_changed(self) -> None:
        region = self.region_value()
        self.api_url.setReadOnly(region != "custom")
        public = {Target.public_url(a, r) for a in ("v3", "connect") for r in ("us", "eu")}
        if region != "sandbox":
            self._drop_demo_values()
        if region in ("us", "eu"):
            self.api_url.setText(Target.public_url(self.api_value(), region))
        elif region == "custom":
            if not self.api_url.text().startswith("http") or self.api_url.text() in public:
                self.api_url.clear()
            self.api_url.setFocus()
        else:
            self._use_sandbox()
        self.show_sandbox_banner(region == "sandbox")
        if self.wizard() is not None:  # the title says "offline sandbox" from the choice on
            self.session.sandboxChanged.emit(region == "sandbox")
        if region != "sandbox":
            self.status.clear()  # a warning about the other region no longer applies
        self._edited()

    def _drop_demo_values(self) -> None:
        """Leaving the sandbox: its demo values are of no use elsewhere; typed text stays."""
        for field in (self.client_id, self.secret):
            if field.text() and field.text() in self._demo_values:
                field.clear()
        self._demo_values.clear()

    def initializePage(self) -> None:
        self.show_sandbox_banner(self.region_value() == "sandbox")
        # --sandbox means practice: a saved profile must not replace the sandbox's values.
        self.profile_bar.load(select_last=self.region_value() != "sandbox")

    # -- profiles --------------------------------------------------------------------------

    def apply_profile(self, profile: Profile, secret: SecretStr | None) -> None:
        self.select_api(profile.api)
        self.select_region(profile.region)
        if profile.region == "custom" and profile.api_url:
            self.api_url.setText(profile.api_url)
        if profile.region != "sandbox":  # the sandbox fills in its own demo values
            self.client_id.setText(profile.nylas_client_id)
            self.secret.setText(secret.get_secret_value() if secret else "")

    def profile_fields(self) -> dict[str, Any]:
        region = self.region_value()
        return {
            "api": self.api_value(),
            "region": region,
            "api_url": self.api_url.text().strip() if region == "custom" else None,
            "nylas_client_id": self.client_id.text().strip(),
        }

    def _use_sandbox(self) -> None:
        self.api_url.setText("starting the sandbox...")
        self.status.busy("Starting the offline sandbox...")
        self.task.start(self.session.start_sandbox(), self._sandbox_started, self._failed)

    def _sandbox_started(self, sandbox: object) -> None:
        assert isinstance(sandbox, core.SandboxServer)
        if self.region_value() != "sandbox":
            return  # the operator chose another region meanwhile
        self.api_url.setText(sandbox.url)
        demo = sandbox.credentials
        if self.api_value() == "v3":
            client_id, secret = "", demo.v3_api_key
        else:
            client_id, secret = demo.nylas_client_id, demo.nylas_client_secret
        # Fill only what the operator has not typed: demo values may replace demo values.
        filled = False
        for field, value in ((self.client_id, client_id), (self.secret, secret)):
            if not field.text() or field.text() in self._demo_values:
                field.setText(value)
                filled = True
        self._demo_values |= {
            demo.nylas_client_id,
            demo.nylas_client_secret,
            demo.v3_api_key,
            demo.v3_application_id,
        }
        self.completeChanged.emit()
        if filled and not self.task.running:
            # Demo credentials need no review: check them at once.
            self.status.info("Offline sandbox running; checking its demo credentials...")
            self.start_check()

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
        v3 = self.api_value() == "v3"
        if not v3 and not self.client_id.text().strip():
            self.client_id.setFocus()
            return "Enter the Nylas client id (Nylas dashboard > App settings)."
        if not self.secret.text():
            self.secret.setFocus()
            if v3:
                return "Enter the Nylas API key (Nylas dashboard > API keys)."
            return "Enter the Nylas client secret (Nylas dashboard > App settings)."
        return None

    def start_check(self) -> None:
        problem = self._validate()
        if problem:
            self.status.error(problem)
            return
        try:
            target = self.target()
        except ValueError as exc:
            self.status.error(str(exc))
            return
        self.status.busy("Checking the connection to Nylas...")
        self.check.setEnabled(False)
        session = self.session

        async def check() -> str | None:
            await session.open_connection(target, self.client_id.text().strip(), self.secret.text())
            return await session.application_id()

        self.task.start(check(), self._checked, self._failed, self._cancelled)

    def _checked(self, application_id: str | None) -> None:
        self.check.setEnabled(True)
        if application_id and self.client_id.text().strip() != application_id:
            self.client_id.setText(application_id)  # v3: filled in from the API key
        self._checked_for = self._key()
        target = self.session.target
        assert target is not None
        self.status.ok(
            f"Connected: Nylas accepted these credentials ({target.api.label}, "
            f"{target.region.label})."
        )
        self.completeChanged.emit()

    def _failed(self, exc: BaseException) -> None:
        self.check.setEnabled(True)
        self._checked_for = None
        if isinstance(exc, core.AuthenticationFailed):
            self.secret.setFocus()
        # One wording for every error, the same as the command line's.
        self.status.error(core.explain(exc).text())
        self.completeChanged.emit()

    def _cancelled(self) -> None:
        self.check.setEnabled(True)
