"""Keyboard and screen-reader basics on every page: unique mnemonics, named inputs, tab order."""

from __future__ import annotations

import re

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QWizard,
)
from pytestqt.qtbot import QtBot

from wizard.sandbox.consent_bot import ConsentBot
from wizard.ui.app import create_wizard

_MNEMONIC = re.compile(r"&([^&\s])")
_WIZARD_BUTTONS = (
    QWizard.WizardButton.BackButton,
    QWizard.WizardButton.NextButton,
    QWizard.WizardButton.CustomButton1,
    QWizard.WizardButton.CustomButton2,
    QWizard.WizardButton.FinishButton,
    QWizard.WizardButton.CancelButton,
)


def mnemonics(texts: list[str]) -> list[str]:
    return [m.group(1).lower() for text in texts for m in _MNEMONIC.finditer(text)]


def test_every_page_has_unique_mnemonics_and_named_inputs(qtbot: QtBot, loop: object) -> None:
    wizard = create_wizard(ConsentBot())
    qtbot.addWidget(wizard)
    wizard.show()
    wizard_texts = [wizard.buttonText(b) for b in _WIZARD_BUTTONS]
    for page_id in wizard.pageIds():
        page = wizard.page(page_id)
        texts = [w.text() for w in page.findChildren(QAbstractButton)]
        texts += [w.text() for w in page.findChildren(QLabel) if w.buddy() is not None]
        keys = mnemonics(texts + wizard_texts)
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        assert duplicates == [], (type(page).__name__, duplicates)
        fields = [
            f for kind in (QLineEdit, QComboBox, QAbstractSpinBox) for f in page.findChildren(kind)
        ]
        for field in fields:
            if isinstance(field, QLineEdit) and isinstance(
                field.parent(), (QComboBox, QAbstractSpinBox)
            ):
                continue  # the editor inside a combo or spin box is named through its owner
            assert field.accessibleName(), (type(page).__name__, type(field).__name__)
    wizard.close()


def test_labels_focus_their_fields(qtbot: QtBot, loop: object) -> None:
    wizard = create_wizard(ConsentBot())
    qtbot.addWidget(wizard)
    wizard.show()
    for page_id in wizard.pageIds():
        for label in wizard.page(page_id).findChildren(QLabel):
            if _MNEMONIC.search(label.text()):
                assert label.buddy() is not None, label.text()
    wizard.close()
