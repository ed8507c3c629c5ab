"""Page 2: the Zoom app's credentials, what the Zoom app must say (redirect URL, scopes), and
what will happen on Nylas (a connector holding another Zoom app is found here, before any link
is made)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QWidget,
)

from wizard.defaults import DAY, DEFAULT_GRANT_LIFETIME, DEFAULT_INTEGRATION_NAME, DEFAULT_PORT
from wizard.logs import remember_secret
from wizard.target import Region, Target  # loaded at launch already (the connection page)
from wizard.ui import core
from wizard.ui.landing_field import LandingPageField
from wizard.ui.pages.base import BasePage
from wizard.ui.widgets import CopyButton, SecretLineEdit, StatusLine, ask

if TYPE_CHECKING:
    from pydantic import SecretStr

    from wizard.flow import IntegrationPlan
    from wizard.flow.backend import ZoomAppConflict
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
        self._add_form()
        self._add_checklist()
        self._add_plan()
        self.status = StatusLine(self)
        self.body.addWidget(self.status)
        self.body.addStretch(1)

        self.conflict: ZoomAppConflict | None = None
        self._replace_confirmed = False
        self.confirm: QMessageBox | None = None
        self.plan: IntegrationPlan | None = None
        self._plan_for: tuple[str, str] | None = None  # (redirect URI, Zoom client id)
        # Looking up on every keystroke of the port or the client id would flood the API: wait
        # for a pause.
        self._lookup_timer = QTimer(self)
        self._lookup_timer.setSingleShot(True)
        self._lookup_timer.setInterval(400)
        self._lookup_timer.timeout.connect(self.look_up)
        self.port.valueChanged.connect(self._port_changed)
        # The plan depends on the client id: another one may be the connector's Zoom app.
        self.zoom_id.textChanged.connect(lambda _text: self._lookup_key_changed())
        for field in (self.zoom_secret, self.name, self.landing):
            field.textChanged.connect(lambda _text: self.completeChanged.emit())

    def _add_form(self) -> None:
        """The Zoom app's credentials, the integration's name and lifetime, the loopback port
        and the redirect URL to paste into Zoom."""
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
        # Return in the port field looks up now (QWizard would otherwise take it for Next).
        self.port.lineEdit().returnPressed.connect(self.look_up)
        self.landing = LandingPageField(self)  # optional: for customers on another computer
        form.addRow(buddy_label("L&anding page:", self.landing), self.landing.row)

        # Last in the form: the checklist below goes on from it.
        self.callback = QLineEdit(self)
        self.callback.setReadOnly(True)
        self.callback.setAccessibleName("Nylas callback URL")
        callback_row = QHBoxLayout()
        callback_row.addWidget(self.callback, 1)
        callback_row.addWidget(CopyButton(self.callback, "C&opy", self))
        form.addRow(buddy_label("Zoom redirect &URL:", self.callback), callback_row)
        self.body.addLayout(form)

    def _add_checklist(self) -> None:
        # What the customer's Zoom app must say: a consent that fails at Zoom starts there.
        # Out of the form: a QFormLayout sizes word-wrapped labels for a narrower width.
        self.checklist = QLabel(self)
        self.checklist.setAccessibleName("What the Zoom app needs")
        self.checklist.setTextFormat(Qt.TextFormat.RichText)
        self.checklist.setWordWrap(True)
        self.checklist.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.addWidget(self.checklist)
        self.scopes = QLabel(self)
        self.scopes.setAccessibleName("Zoom scopes")
        self.scopes.setWordWrap(True)
        self.scopes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_scopes = CopyButton(self.scopes, "Cop&y scopes", self)
        scopes_row = QHBoxLayout()
        scopes_row.addSpacing(40)  # under the list's items (Qt's list indent)
        scopes_row.addWidget(self.scopes, 1)
        scopes_row.addWidget(self.copy_scopes)
        self.body.addLayout(scopes_row)

    def _add_plan(self) -> None:
        """What will be done on Nylas, with Check again and the Replace choice."""
        self.body.addSpacing(6)  # the checklist is about Zoom; what follows, about Nylas
        self.plan_status = StatusLine(self)
        plan_row = QHBoxLayout()
        plan_row.addWidget(self.plan_status, 1)
        # After a busy port or a failed look-up: the other program may be gone now.
        self.check_again = QPushButton("Check a&gain", self)
        self.check_again.setAutoDefault(False)
        self.check_again.setVisible(False)
        self.check_again.clicked.connect(self.look_up)
        plan_row.addWidget(self.check_again, 0, Qt.AlignmentFlag.AlignTop)
        self.body.addLayout(plan_row)
        # v3: the connector holds another Zoom app. Moving it is the operator's explicit choice.
        self.replace = QCheckBox("&Replace the connector's Zoom app with this one", self)
        self.replace.setVisible(False)
        self.replace.toggled.connect(self._replace_toggled)
        self.body.addWidget(self.replace)

    def apply_profile(self, profile: Profile, secret: SecretStr | None) -> None:
        if profile.zoom_client_id:
            self.zoom_id.setText(profile.zoom_client_id)
            self.zoom_secret.setText(secret.get_secret_value() if secret else "")
        self.name.setText(profile.integration_name)
        self.lifetime.setValue(max(1, profile.grant_lifetime // DAY))
        self.port.setValue(core.LoopbackRedirectUri.parse(profile.redirect_uri).port)
        self.landing.setText(profile.landing_page)

    def profile_fields(self) -> dict[str, Any]:
        return {
            "zoom_client_id": self.zoom_id.text().strip(),
            "integration_name": self.name.text().strip() or DEFAULT_INTEGRATION_NAME,
            "redirect_uri": str(self.redirect_uri()),
            "grant_lifetime": self.lifetime.value() * DAY,
            "landing_page": self.landing.text().strip(),
        }

    def redirect_uri(self) -> core.LoopbackRedirectUri:
        return core.LoopbackRedirectUri.parse(f"http://localhost:{self.port.value()}/callback")

    def initializePage(self) -> None:
        super().initializePage()
        sandbox = self.session.sandbox if self.session.in_sandbox else None
        if sandbox is not None and not self.zoom_id.text():
            self.zoom_id.setText(sandbox.credentials.zoom_client_id)
            self.zoom_secret.setText(sandbox.credentials.zoom_client_secret)
        target = self.session.target
        assert target is not None
        self.show_zoom_app_needs(target)
        # The integration's name and default lifetime are the Connect API's; v3 has neither.
        connect = target.api.value == "connect"
        self.form.setRowVisible(self.name, connect)
        self.form.setRowVisible(self.lifetime, connect)
        self._port_changed()
        self.look_up()

    def show_zoom_app_needs(self, target: Target) -> None:
        """The redirect URL, scopes and checklist for this API and region."""
        self.callback.setText(target.zoom_redirect_url)
        self.scopes.setText(zoom_scopes())
        self.checklist.setText(zoom_app_checklist(target))

    def _port_changed(self) -> None:
        self.redirect_label.setText(str(self.redirect_uri()))
        self._lookup_key_changed()

    def _lookup_key_changed(self) -> None:
        # A confirmed replacement was for that Zoom app and that lookup only.
        self.plan = None
        self._set_conflict(None)
        self.completeChanged.emit()
        self._lookup_timer.start()

    def _lookup_key(self) -> tuple[str, str]:
        return str(self.redirect_uri()), self.zoom_id.text().strip()

    def look_up(self) -> None:
        self._lookup_timer.stop()  # a look-up asked for now replaces the one after a pause
        flow = self.session.flow
        if flow is None:
            return
        redirect = self.redirect_uri()
        key = self._lookup_key()
        word = self.session.target.api.connector_word if self.session.target else "integration"
        self.check_again.setVisible(False)
        self.plan_status.busy(f"Looking up the Zoom {word} on this Nylas application...")

        async def look_up() -> IntegrationPlan:
            # A busy port found now can still be changed; after the commit page it cannot.
            await flow.check_redirect_port(redirect)
            # With the client id: a connector holding another Zoom app is found now.
            return await flow.plan_integration(redirect, key[1] or None)

        self.task.start(
            look_up(),
            lambda plan: self._planned(plan, key),
            lambda exc: self._lookup_failed(exc, key),
        )

    def _planned(self, plan: IntegrationPlan, key: tuple[str, str]) -> None:
        if key != self._lookup_key():
            return  # the port or client id changed meanwhile: their own lookup is coming
        self.plan, self._plan_for = plan, key
        assert self.session.target is not None
        self._set_conflict(plan.zoom_app_conflict)
        if plan.zoom_app_conflict is not None:
            self.plan_status.error(plan.zoom_app_conflict.describe())
        else:
            self.plan_status.info(plan.action.describe(self.session.target.api))
        self.completeChanged.emit()

    def _set_conflict(self, conflict: ZoomAppConflict | None) -> None:
        shown = self.conflict
        self.conflict = conflict
        if conflict is None or conflict != shown:
            self.replace.setChecked(False)  # never carried over to another conflict
        self.replace.setVisible(conflict is not None)
        if conflict is None and shown is not None:
            self.plan_status.clear()  # said of the old client id or port

    def _replace_toggled(self, checked: bool) -> None:
        self._replace_confirmed = False
        self.completeChanged.emit()
        if checked and self.conflict is not None:
            self._ask_replace(self.conflict)

    def _ask_replace(self, conflict: ZoomAppConflict) -> None:
        self.confirm = ask(
            self,
            "Replace the connector's Zoom app?",
            "The application's existing Zoom grants were made with the connector's current "
            f"Zoom app (client id {conflict.connector_client_id}). After the replacement with "
            f"{conflict.given_client_id}, they may stop working, and those customers would have "
            "to consent again.\n\nReplace the Zoom app anyway?",
            "Replace Zoom app",
            self._replace_answered,
        )

    def _replace_answered(self, yes: bool) -> None:
        box, self.confirm = self.confirm, None
        if box is not None:
            box.deleteLater()
        if yes and self.replace.isChecked() and self.conflict is not None:
            self._replace_confirmed = True
            self.completeChanged.emit()
        else:
            self.replace.setChecked(False)

    def _lookup_failed(self, exc: BaseException, key: tuple[str, str]) -> None:
        if key != self._lookup_key():
            return  # about the old port or client id
        self.plan = None
        self._set_conflict(None)
        self.check_again.setVisible(True)
        if isinstance(exc, core.PortInUse):
            self.port.setFocus()
        self.plan_status.error(_lookup_words(exc))
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return (
            not self.task.running
            and self.plan is not None
            and self._plan_for == self._lookup_key()
            # Another Zoom app on the connector: only once its replacement is confirmed.
            and (self.plan.zoom_app_conflict is None or self.replacing())
            and bool(self.zoom_id.text().strip())
            and bool(self.zoom_secret.text().strip())
            and (self.session.api == "v3" or bool(self.name.text().strip()))
            and self.landing.problem() is None
        )

    def spec(self) -> core.IntegrationSpec:
        remember_secret(self.zoom_secret.text().strip())  # never in a log or a report
        return core.IntegrationSpec(
            zoom=core.ZoomApp(
                self.zoom_id.text().strip(), core.SecretStr(self.zoom_secret.text().strip())
            ),
            redirect_uri=self.redirect_uri(),
            name=self.name.text().strip(),
            expires_in=self.lifetime.value() * DAY,
            replace_zoom_app=self.replacing(),
        )

    def replacing(self) -> bool:
        """The operator chose, and confirmed, to move the connector to this Zoom app."""
        return self.conflict is not None and self.replace.isChecked() and self._replace_confirmed

    def validatePage(self) -> bool:
        try:
            self.session.choose_zoom_app(self.spec())
            self.session.remote.landing_page = self.landing.value()
        except ValueError as exc:
            self.status.error(str(exc))
            return False
        self.status.clear()
        return True


def zoom_scopes() -> str:
    """The Zoom scopes Nylas needs, space-separated as Zoom's scope field takes them."""
    return " ".join(core.ZOOM_SCOPES)


def zoom_app_checklist(target: Target) -> str:
    """What the customer's Zoom app must say for this API and region (rich text)."""
    allow = "on its <b>allow list</b>"
    if target.region in (Region.US, Region.EU):
        # One Zoom app may serve Nylas applications in both regions: it has one redirect URL,
        # but its allow list takes both. On a line of its own: Qt would break inside the URL.
        other = Region.EU if target.region is Region.US else Region.US
        url = Target.of(target.api, other).zoom_redirect_url
        allow += (
            "; with Nylas applications in both regions, the allow list also holds the "
            f"other region's:<br><tt>{url}</tt>"
        )
    items = (
        "a <b>General app</b>, <b>user-managed</b>",
        f"with the Zoom redirect URL above as its <b>OAuth redirect URL</b> and {allow}",
        "<b>published</b>, or shared as a beta with the customer, when the customer is outside "
        "the app owner's Zoom account",
        "with these <b>scopes</b>:",  # the row below the list, with its Copy button
    )
    lines = "".join(f"<li>{item}</li>" for item in items)
    return (
        "In the Zoom App Marketplace, the Zoom app is:"
        f'<ul style="margin-top: 0; margin-bottom: 0; -qt-list-indent: 1;">{lines}</ul>'
    )


def _explain(exc: BaseException) -> str:
    return core.explain(exc).text()


def _lookup_words(exc: BaseException) -> str:
    """Why the Zoom settings could not be looked up, and what to do."""
    if isinstance(exc, core.PortInUse):
        return (
            f"{_explain(exc)} Change the loopback port above, or Check again once the other "
            "program is closed."
        )
    return (
        f"Could not look up the Zoom settings on Nylas: {_explain(exc)} Check again, change the "
        "port, or go Back."
    )
