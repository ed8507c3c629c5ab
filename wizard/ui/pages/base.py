"""What every page shares: the sandbox banner, the session, one page task."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget, QWizardPage

from wizard.ui.tasks import PageTask

if TYPE_CHECKING:
    from wizard.ui.session import WizardSession
    from wizard.ui.wizard import OnboardingWizard

SANDBOX_BANNER = (
    "<b>Offline sandbox</b>: practice mode. Nothing here reaches Nylas or Zoom, "
    "and the grants it gives are not real."
)


class BasePage(QWizardPage):
    def __init__(self, title: str, subtitle: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(title)
        self.setSubTitle(subtitle)
        self.task = PageTask(self)
        self.task.runningChanged.connect(lambda _running: self.completeChanged.emit())
        outer = QVBoxLayout(self)
        self.banner = QLabel(SANDBOX_BANNER, self)
        self.banner.setObjectName("sandboxBanner")
        self.banner.setWordWrap(True)
        self.banner.setFrameShape(QFrame.Shape.StyledPanel)
        self.banner.setAccessibleName("Sandbox mode")
        # Highlight colours of the palette: visible in light and dark themes alike.
        self.banner.setStyleSheet(
            "QLabel#sandboxBanner { background: palette(highlight); "
            "color: palette(highlighted-text); padding: 6px; border-radius: 4px; }"
        )
        self.banner.setVisible(False)
        outer.addWidget(self.banner)
        self.body = QVBoxLayout()
        outer.addLayout(self.body, 1)

    def owner(self) -> OnboardingWizard:
        return cast("OnboardingWizard", self.wizard())

    @property
    def session(self) -> WizardSession:
        return self.owner().session

    def show_sandbox_banner(self, shown: bool) -> None:
        self.banner.setVisible(shown)

    def initializePage(self) -> None:
        self.show_sandbox_banner(self.session.in_sandbox)

    def cleanupPage(self) -> None:
        self.task.cancel()
