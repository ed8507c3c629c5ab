"""Page 3 (commit page): create, reuse or update the Zoom integration, with Retry on failure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QPushButton, QWidget

from wizard.ui import core
from wizard.ui.page_ids import PageId
from wizard.ui.pages.base import BasePage
from wizard.ui.widgets import StatusLine

if TYPE_CHECKING:
    from wizard.flow import IntegrationOutcome


class IntegrationPage(BasePage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "Zoom integration",
            "Setting up the Zoom integration on the Nylas application. It is done once per "
            "Nylas application; every customer account uses it.",
            parent,
        )
        self.setCommitPage(True)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)  # busy indicator: the API gives no percentage
        self.progress.setAccessibleName("Progress")
        self.progress.setTextVisible(False)
        self.body.addWidget(self.progress)
        self.status = StatusLine(self)
        self.body.addWidget(self.status)
        row = QHBoxLayout()
        self.retry = QPushButton("&Retry", self)
        self.retry.setAutoDefault(False)
        self.retry.clicked.connect(self.start)
        row.addWidget(self.retry)
        row.addStretch(1)
        self.body.addLayout(row)
        self.body.addStretch(1)

    def initializePage(self) -> None:
        super().initializePage()
        target = self.session.target
        if target is not None:
            word = target.api.connector_word
            self.setTitle(f"Zoom {word}")
            self.setSubTitle(
                f"Setting up the Zoom {word} on the Nylas application. It is done once per "
                "Nylas application; every customer account uses it."
            )
        self.start()

    def nextId(self) -> int:

        return int(PageId.ACCOUNT_V3 if self.session.api == "v3" else PageId.ACCOUNT)

    def start(self) -> None:
        flow, spec = self.session.flow, self.session.spec
        assert flow is not None and spec is not None
        self.session.forget_integration()
        self.retry.setVisible(False)
        self.progress.setVisible(True)
        self.status.busy("Working with Nylas...")
        self.task.start(flow.ensure_integration(spec), self._done, self._failed)

    def _done(self, outcome: IntegrationOutcome) -> None:
        self.session.integration_ready(outcome)
        self.progress.setVisible(False)
        integration = outcome.integration
        label = "Redirect URIs" if integration.api.value == "connect" else "Callback URIs"
        self.status.ok(
            f"{outcome.action.describe(integration.api, done=True)}"
            f"{f' (id {integration.id})' if integration.id else ''}\n"
            f"{label}: {', '.join(integration.redirect_uris)}"
        )
        self.completeChanged.emit()

    def _failed(self, exc: BaseException) -> None:
        self.progress.setVisible(False)
        self.retry.setVisible(True)
        self.retry.setFocus()
        self.status.error(core.explain(exc).text())
        if isinstance(exc, core.ZoomAppMismatch):
            # The connector changed since the Zoom app page looked: Back must show the
            # conflict and its Replace choice there, not the old plan.
            self.owner().zoom_app_page.look_up()
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.session.integration is not None and not self.task.running
