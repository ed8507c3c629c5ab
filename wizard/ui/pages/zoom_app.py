"""Page 2: the Zoom app's credentials, where Zoom must send users back, and what will happen."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from wizard.defaults import DAY, DEFAULT_GRANT_LIFETIME, DEFAULT_INTEGRATION_NAME, DEFAULT_PORT
from wizard.ui.pages.base import BasePage
from wizard.ui.widgets import CopyButton, SecretLineEdit, StatusLine

if TYPE_CHECKING:
    from pydantic import SecretStr

    from wizard.flow import IntegrationPlan, IntegrationSpec
    from wizard.listener.redirect_uri import LoopbackRedirectUri
    from wizard.store.profiles import Profile


def buddy_label(text: str, buddy: QWidget) -> QLabel:
    """A form label whose mnemonic focuses `buddy` (addRow does this only for a lone widget)."""
    label = QLabel(text)
    label.setBuddy(buddy)
    return label


class ZoomAppPage(BasePage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "Zoom app",
            "The Zoom app from the Zoom App Marketplace (Basic Information page). Use the "
            "production pair, or the development pair, never one of each.",
            parent,
        )
        form = QFormLayout()
        self.form = form
        self.zoom_id = QLineEdit(self)
        self.zoom_id.setAccessibleName("Zoom client id")
        self.zoom_secret = SecretLineEdit("Zoom client secret", self)
        self.name = QLineEdit(DEFAULT_INTEGRATION_NAME, self)
        self.name.setAccessibleName("Integration name")
        self.lifetime = QSpinBox(self)
        self.lifetime.setRange(1, 3650)
        self.lifetime.setValue(DEFAULT_GRANT_LIFETIME // DAY)
        self.lifetime.setSuffix(" days")
        self.lifetime.setAccessibleName("Default grant lifetime")
        form.addRow("Zoom client &id:", self.zoom_id)
        form.addRow("Zoom client &secret:", self.zoom_secret.row)
        form.addRow("Integration na&me:", self.name)
        form.addRow("Default grant &lifetime:", self.lifetime)

        self.callback = QLineEdit(self)
        self.callback.setReadOnly(True)
        self.callback.setAccessibleName("Nylas callback URL")
        callback_row = QHBoxLayout()
        callback_row.addWidget(self.callback, 1)
        callback_row.addWidget(CopyButton(self.callback, "C&opy", self))
        form.addRow(buddy_label("Zoom redirect &URL:", self.callback), callback_row)
        hint = QLabel(
            "Set this as the Zoom app's OAuth redirect URL and add it to its allow list "
            "(Zoom App Marketplace > your app).",
            self,
        )
        hint.setWordWrap(True)
        form.addRow("", hint)

        self.port = QSpinBox(self)
        self.port.setRange(1024, 65535)
        self.port.setValue(DEFAULT_PORT)
        self.port.setAccessibleName("Loopback port")
        self.redirect_label = QLabel(self)
        self.redirect_label.setAccessibleName("Loopback redirect URI")
        port_row = QHBoxLayout()
        port_row.addWidget(self.port)
        port_row.addWidget(self.redirect_label, 1)
        form.addRow(buddy_label("Loopback &port:", self.port), port_row)
        self.body.addLayout(form)

        self.plan_status = StatusLine(self)
        self.body.addWidget(self.plan_status)
        self.status = StatusLine(self)
        self.body.addWidget(self.status)
        self.body.addStretch(1)

        self.plan: IntegrationPlan | None = None
        self._plan_for: str | None = None
        # Looking up on every keystroke of the port would flood the API: wait for a pause.
        self._lookup_timer = QTimer(self)
        self._lookup_timer.setSingleShot(True)
        self._lookup_timer.setInterval(400)
        self._lookup_timer.timeout.connect(self.look_up)
        self.port.valueChanged.connect(self._port_changed)
        for field in (self.zoom_id, self.zoom_secret, self.name):
            field.textChanged.connect(lambda _text: self.completeChanged.emit())

    def apply_profile(self, profile: Profile, secret: SecretStr | None) -> None:
        if profile.zoom_client_id:
            self.zoom_id.setText(profile.zoom_client_id)
            self.zoom_secret.setText(secret.get_secret_value() if secret else "")
        self.name.setText(profile.integration_name)
        self.lifetime.setValue(max(1, profile.grant_lifetime // DAY))
        from wizard.listener.redirect_uri import LoopbackRedirectUri

        self.port.setValue(LoopbackRedirectUri.parse(profile.redirect_uri).port)

    def profile_fields(self) -> dict[str, Any]:
        return {
            "zoom_client_id": self.zoom_id.text().strip(),
            "integration_name": self.name.text().strip() or DEFAULT_INTEGRATION_NAME,
            "redirect_uri": str(self.redirect_uri()),
            "grant_lifetime": self.lifetime.value() * DAY,
        }

    def redirect_uri(self) -> LoopbackRedirectUri:
        from wizard.listener.redirect_uri import LoopbackRedirectUri

        return LoopbackRedirectUri.parse(f"http://localhost:{self.port.value()}/callback")

    def initializePage(self) -> None:
        super().initializePage()
        sandbox = self.session.sandbox if self.session.in_sandbox else None
        if sandbox is not None and not self.zoom_id.text():
            self.zoom_id.setText(sandbox.credentials.zoom_client_id)
            self.zoom_secret.setText(sandbox.credentials.zoom_client_secret)
        target = self.session.target
        assert target is not None
        self.callback.setText(target.zoom_redirect_url)
        # The integration's name and default lifetime are the Connect API's; v3 has neither.
        connect = target.api.value == "connect"
        self.form.setRowVisible(self.name, connect)
        self.form.setRowVisible(self.lifetime, connect)
        self._port_changed()
        self._lookup_timer.stop()
        self.look_up()

    def _port_changed(self) -> None:
        self.redirect_label.setText(str(self.redirect_uri()))
        self.plan = None
        self.completeChanged.emit()
        self._lookup_timer.start()

    def look_up(self) -> None:
        flow = self.session.flow
        if flow is None:
            return
        redirect = self.redirect_uri()
        word = self.session.target.api.connector_word if self.session.target else "integration"
        self.plan_status.busy(f"Looking up the Zoom {word} on this Nylas application...")

        async def look_up() -> IntegrationPlan:
            # A busy port found now can still be changed; after the commit page it cannot.
            await flow.check_redirect_port(redirect)
            return await flow.plan_integration(redirect)

        self.task.start(
            look_up(),
            lambda plan: self._planned(plan, str(redirect)),
            self._lookup_failed,
        )

    def _planned(self, plan: IntegrationPlan, redirect: str) -> None:
        self.plan, self._plan_for = plan, redirect
        assert self.session.target is not None
        self.plan_status.info(plan.action.describe(self.session.target.api))
        self.completeChanged.emit()

    def _lookup_failed(self, exc: BaseException) -> None:
        from wizard.listener.listener import PortInUse

        self.plan = None
        if isinstance(exc, PortInUse):
            self.port.setFocus()
            self.plan_status.error(f"{_explain(exc)} Change the loopback port above.")
            self.completeChanged.emit()
            return
        self.plan_status.error(
            f"Could not look up the Zoom settings on Nylas: {_explain(exc)} "
            "Change the port or go Back to retry."
        )
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return (
            not self.task.running
            and self.plan is not None
            and self._plan_for == str(self.redirect_uri())
            and bool(self.zoom_id.text().strip())
            and bool(self.zoom_secret.text().strip())
            and (self.session.api == "v3" or bool(self.name.text().strip()))
        )

    def spec(self) -> IntegrationSpec:
        from pydantic import SecretStr

        from wizard.flow import IntegrationSpec, ZoomApp
        from wizard.logs import remember_secret

        remember_secret(self.zoom_secret.text().strip())  # never in a log or a report
        return IntegrationSpec(
            zoom=ZoomApp(self.zoom_id.text().strip(), SecretStr(self.zoom_secret.text().strip())),
            redirect_uri=self.redirect_uri(),
            name=self.name.text().strip(),
            expires_in=self.lifetime.value() * DAY,
        )

    def validatePage(self) -> bool:
        try:
            self.session.choose_zoom_app(self.spec())
        except ValueError as exc:
            self.status.error(str(exc))
            return False
        self.status.clear()
        return True


def _explain(exc: BaseException) -> str:
    from wizard.flow.explain import explain

    return explain(exc).text()
