"""The Zoom app page's optional Landing page field: a company's copy of resources/landing/ on its
own https site, where a customer on another computer ends and finds one line to send back."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from wizard.validation import validate_landing_page

HINT = (
    "Optional. For customers on another computer: your copy of the landing page "
    "(resources/landing/zoom-onboard-answer.html) on any https site. Links then end there, "
    "with one line for the customer to send back; without it they end on a page that cannot "
    "be reached, whose address they send back."
)


class LandingPageField(QLineEdit):
    """Checked as typed; `row` holds it above what is wrong with it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Landing page")
        self.setPlaceholderText("optional: https://www.example.com/zoom-connected.html")
        self.setToolTip(HINT)
        self.row = QWidget(parent)
        layout = QVBoxLayout(self.row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self)
        self.why = QLabel(self.row)
        self.why.setWordWrap(True)
        self.why.setAccessibleName("Landing page problem")
        self.why.setVisible(False)
        layout.addWidget(self.why)
        self.textChanged.connect(self._check)

    def problem(self) -> str | None:
        """What is wrong with the address typed (None: nothing, or nothing typed)."""
        if not self.text().strip():
            return None
        try:
            validate_landing_page(self.text())
        except ValueError as exc:
            return str(exc)
        return None

    def value(self) -> str:
        """The address links end on ("": none, or not a usable one yet)."""
        return "" if self.problem() else self.text().strip()

    def _check(self, _text: str) -> None:
        problem = self.problem()
        self.why.setText(problem or "")
        self.why.setVisible(problem is not None)
