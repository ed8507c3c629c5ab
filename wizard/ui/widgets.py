"""Small reusable widgets: masked secret field, copy button, status line."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QTableView,
    QToolButton,
    QWidget,
)


class SecretLineEdit(QLineEdit):
    """A password-style field; `row` holds it beside a Show toggle (a real button, so it works
    from the keyboard and needs no icon theme)."""

    def __init__(self, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEchoMode(QLineEdit.EchoMode.Password)
        self.setAccessibleName(accessible_name)
        self.setInputMethodHints(
            Qt.InputMethodHint.ImhHiddenText | Qt.InputMethodHint.ImhNoPredictiveText
        )
        self.row = QWidget(parent)
        layout = QHBoxLayout(self.row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self, 1)
        self.toggle = QToolButton(self.row)
        self.toggle.setText("Show")
        self.toggle.setCheckable(True)
        self.toggle.setToolTip("Show or hide the secret")
        self.toggle.setAccessibleName(f"Show {accessible_name}")
        self.toggle.toggled.connect(self._on_toggled)
        layout.addWidget(self.toggle)

    def set_accessible_name(self, name: str) -> None:
        self.setAccessibleName(name)
        self.toggle.setAccessibleName(f"Show {name}")

    def _on_toggled(self, shown: bool) -> None:
        self.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.toggle.setText("Hide" if shown else "Show")


class CopyButton(QPushButton):
    """Copies the text of a source to the clipboard and says so briefly."""

    def __init__(
        self,
        source: QLineEdit | QLabel | QPlainTextEdit,
        label: str = "&Copy",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(label, parent)
        self._source = source
        self._label = label
        self.setAutoDefault(False)
        self.setAccessibleName(f"Copy {source.accessibleName()}".strip())
        self.clicked.connect(self._copy)

    def _copy(self) -> None:
        source = self._source
        text = source.toPlainText() if isinstance(source, QPlainTextEdit) else source.text()
        QGuiApplication.clipboard().setText(text)
        self.setText("Copied")
        # With self as context: dropped if the button is gone by then (window closed).
        QTimer.singleShot(1500, self, lambda: self.setText(self._label))


class StatusLine(QWidget):
    """An icon and a word-wrapped message: neutral, busy, ok or error. No fixed colours, so the
    system palette (dark mode included) decides."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.icon = QLabel(self)
        self.icon.setFixedWidth(20)
        self.icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setAccessibleName("Status")
        layout.addWidget(self.icon)
        layout.addWidget(self.text, 1)
        self.clear()

    def clear(self) -> None:
        self._set(None, "")

    def busy(self, message: str) -> None:
        self._set(QStyle.StandardPixmap.SP_BrowserReload, message)

    def ok(self, message: str) -> None:
        self._set(QStyle.StandardPixmap.SP_DialogApplyButton, message)

    def error(self, message: str) -> None:
        self._set(QStyle.StandardPixmap.SP_MessageBoxWarning, message)

    def info(self, message: str) -> None:
        self._set(QStyle.StandardPixmap.SP_MessageBoxInformation, message)

    def after(self, said: str | None, summary: str) -> None:
        """A table read again: what the action before it did (`said`, as ok), then `summary`
        of what the table shows; without an action, the summary alone."""
        if said:
            self.ok(f"{said} {summary}")
        else:
            self.info(summary)

    @property
    def message(self) -> str:
        return self.text.text()

    def _set(self, pixmap: QStyle.StandardPixmap | None, message: str) -> None:
        if pixmap is None:
            self.icon.clear()
        else:
            self.icon.setPixmap(self.style().standardIcon(pixmap).pixmap(16, 16))
        self.text.setText(message)
        self.setVisible(bool(message))


def button_row(buttons: Sequence[QPushButton], trailing: QPushButton | None = None) -> QHBoxLayout:
    """A window's row of actions, left to right, and one (Close) at the far right. None of
    them is a default button: Return in a field must not press one."""
    row = QHBoxLayout()
    for button in buttons:
        button.setAutoDefault(False)
        row.addWidget(button)
    row.addStretch(1)
    if trailing is not None:
        row.addWidget(trailing)
    return row


def come_forward(window: QWidget) -> None:
    """Bring a window to the front (restored if minimised); where the window manager keeps the
    focus where it is, the window flashes instead."""
    if window.isMinimized():
        window.showNormal()
    window.raise_()
    window.activateWindow()
    QApplication.alert(window)


def choose_csv_file(parent: QWidget, title: str, name: str, chosen: Callable[[Path], None]) -> None:
    """Ask where to save a CSV export (suggested: `name` in the home folder), then call
    `chosen` with the path. Opened with open(), never exec(): the qasync loop keeps running."""
    dialog = QFileDialog(parent, title, str(Path.home() / name), "CSV files (*.csv)")
    dialog.setObjectName("exportDialog")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setDefaultSuffix("csv")
    dialog.fileSelected.connect(lambda path: chosen(Path(path)))
    dialog.open()


def record_table(parent: QWidget, name: str) -> QTableView:
    """A read-only table of records, one line each, selected by row (the Queue and History
    windows): long values elide instead of wrapping, and the columns are the operator's to
    size."""
    table = QTableView(parent)
    table.setAccessibleName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.setWordWrap(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def ask(
    parent: QWidget,
    title: str,
    text: str,
    action: str,
    on_answer: Callable[[bool], None],
    *,
    keep: str | None = None,
    icon: QMessageBox.Icon = QMessageBox.Icon.Warning,
) -> QMessageBox:
    """A question before something that cannot be undone: `action` (destructive) or `keep`
    (Cancel when None), keeping the default. Opened with open(), never exec() (that would
    block the qasync loop); `on_answer(True)` only for `action`. Returns the box, so its owner
    can keep it and a test can answer it."""
    buttons = QMessageBox.StandardButton.NoButton if keep else QMessageBox.StandardButton.Cancel
    box = QMessageBox(icon, title, text, buttons, parent)
    go = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
    if keep:
        box.setDefaultButton(box.addButton(keep, QMessageBox.ButtonRole.RejectRole))
    else:
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.finished.connect(lambda _code: on_answer(box.clickedButton() is go))
    box.open()
    return box
