"""The platform's looks, imitated: a style whose wizard look is macOS's (MacStyle) or Windows'
(AeroStyle) keeps it, where the window once forced ModernStyle everywhere; Linux's (no wizard
look of its own: ClassicStyle) gets the modern one. The grant id is in the system's fixed font
(Menlo on macOS, Consolas on Windows), not a "monospace" family only Linux knows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleFactory, QWizard
from pytestqt.qtbot import QtBot

from tests.helpers.wizard import make
from wizard.sandbox.consent_bot import ConsentBot
from wizard.ui.pages import done as done_module
from wizard.ui.pages.done import DonePage


class PlatformStyle(QProxyStyle):
    """Fusion, answering SH_WizardStyle as the platform's own style does."""

    def __init__(self, wizard_style: QWizard.WizardStyle) -> None:
        super().__init__(QStyleFactory.create("Fusion"))
        self.wizard_style = wizard_style

    def styleHint(self, hint: QStyle.StyleHint, *args: object) -> int:
        if hint == QStyle.StyleHint.SH_WizardStyle:
            return int(self.wizard_style.value)
        return int(super().styleHint(hint, *args))  # type: ignore[arg-type]


@pytest.fixture
def app_style(qapp: QApplication) -> Iterator[None]:
    before = qapp.style().name()
    yield
    QApplication.setStyle(before)


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        (QWizard.WizardStyle.MacStyle, QWizard.WizardStyle.MacStyle),  # macOS
        (QWizard.WizardStyle.AeroStyle, QWizard.WizardStyle.AeroStyle),  # Windows
        (QWizard.WizardStyle.ClassicStyle, QWizard.WizardStyle.ModernStyle),  # Linux
    ],
    ids=["macos", "windows", "linux"],
)
def test_the_wizard_keeps_the_platforms_own_look(
    qtbot: QtBot,
    loop: object,
    app_style: None,
    platform: QWizard.WizardStyle,
    expected: QWizard.WizardStyle,
) -> None:
    QApplication.setStyle(PlatformStyle(platform))
    wizard = make(qtbot, ConsentBot("allow"))
    assert wizard.wizardStyle() == expected
    assert wizard.button(QWizard.WizardButton.HelpButton).text() == "&Grants..."
    wizard.close()


def test_the_grant_id_is_in_the_systems_fixed_font(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    class MacFonts:
        SystemFont = QFontDatabase.SystemFont

        @staticmethod
        def systemFont(kind: QFontDatabase.SystemFont) -> QFont:
            assert kind == QFontDatabase.SystemFont.FixedFont
            return QFont("Menlo", 11)  # what macOS answers

    monkeypatch.setattr(done_module, "QFontDatabase", MacFonts)
    page = DonePage()
    qtbot.addWidget(page)
    font = page.grant_id.font()
    assert font.family() == "Menlo"
    assert font.pointSizeF() == pytest.approx(page.font().pointSizeF() * 1.5)
