"""Take a screenshot of every wizard page and window from a real window (run under Xvfb).

    xvfb-run -a -s "-screen 0 1280x1000x24" python docs/screenshots.py [--dark]

Drives the wizard against the in-process sandbox; the browser leg is the scripted consent
browser, started by hand on the consent page so that the waiting page can be shown first.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import httpx
import qasync
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget

OUT = Path(__file__).resolve().parent / "screenshots"
DARK = "--dark" in sys.argv  # the system's dark colour scheme, as Qt follows it
PREFIX = "dark-" if DARK else ""


async def until(condition: Callable[[], object], timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        if loop.time() > end:
            raise TimeoutError("the wizard did not get there in time")
        await asyncio.sleep(0.05)


async def shoot(name: str, window: QWidget) -> None:
    """The window as it is on the display (Xvfb has no window manager to stack windows: one
    not shown here is hidden first)."""
    await asyncio.sleep(0.4)  # let the window repaint
    geometry = window.frameGeometry()
    screen = QGuiApplication.primaryScreen()
    # Grab the screen, not the widget: this is what a person sees on the display.
    pixmap = screen.grabWindow(0, geometry.x(), geometry.y(), geometry.width(), geometry.height())
    path = OUT / f"{PREFIX}{name}.png"
    pixmap.save(str(path))
    print(f"wrote {path.relative_to(OUT.parent.parent)}")


def keyring_in_memory() -> None:
    """The screenshots' secrets (and the links' PKCE verifiers) in a keyring of their own, as on
    a desktop with one: never the real keyring of whoever runs this."""
    import keyring
    import keyring.backend

    class InMemory(keyring.backend.KeyringBackend):
        priority = 5
        entries: dict[tuple[str, str], str] = {}  # noqa: RUF012 - one per run

        def get_password(self, service: str, username: str) -> str | None:
            return self.entries.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.entries[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.entries.pop((service, username), None)

    keyring.set_keyring(InMemory())  # type: ignore[no-untyped-call]


async def main() -> None:
    from wizard.sandbox.consent_bot import ConsentBot
    from wizard.ui.app import create_wizard
    from wizard.ui.page_ids import PageId

    async def browser_at_sign_in(url: str) -> bool:
        # Like a person's browser: it loads the link (the listener will hear from it later).
        async with httpx.AsyncClient(follow_redirects=True, trust_env=False) as client:
            await client.get(url)
        return True

    wizard = create_wizard(browser_at_sign_in, sandbox=True)
    wizard.move(40, 40)
    wizard.resize(760, 600)
    wizard.show()
    wizard.activateWindow()
    page1 = wizard.connection_page
    await until(lambda: page1.api_url.text().startswith("http://127.0.0.1"))
    page1.check.click()
    await until(page1.isComplete)
    await shoot("01-connection", wizard)
    wizard.next()
    await until(wizard.zoom_app_page.isComplete)
    await shoot("02-zoom-app", wizard)
    wizard.next()
    await until(wizard.integration_page.isComplete)
    await shoot("03-integration", wizard)
    wizard.next()
    # The day's list, pasted into the queue: the account page offers its next entry.
    queue = wizard.show_queue()
    queue.move(60, 60)
    queue.paste.setPlainText(
        "alex@customer.example\tAcme #1042\n"
        "sam@globex.example\tGlobex #77\n"
        "kim@initech.example\tInitech #5"
    )
    queue.add.click()
    account = wizard.v3_account_page
    await until(account.from_queue.isVisible)
    queue.hide()  # it would cover the wizard on a display without a window manager
    wizard.activateWindow()
    await shoot("04-account", wizard)
    account.from_queue.click()
    auth = wizard.authorization_page
    await until(lambda: bool(auth.url.text()))
    await until(lambda: "Waiting for the customer" in auth.status.message)
    await shoot("05-authorization", wizard)
    await ConsentBot("allow")(auth.url.text())
    await until(lambda: wizard.currentId() == PageId.DONE)
    await until(lambda: "Next customer" in wizard.done_page.another.text())
    await shoot("06-done", wizard)
    # The next customer is on another computer: a link to send them, their answer pasted back.
    wizard.done_page.another.click()
    await until(lambda: wizard.currentId() == PageId.AUTHORIZATION and bool(auth.url.text()))
    auth.remote.not_here.click()
    await until(auth.remote.view.isVisible)
    await shoot("09-consent-by-link", wizard)
    queue = wizard.show_queue()  # as the Queue... button does: shown again, read again
    queue.activateWindow()
    await until(lambda: queue.model.rowCount() == 3 and queue.model.item(0, 4).text() != "")
    await until(lambda: queue.model.item(1, 1).text().startswith("sent, waiting"))
    await shoot("07-queue", queue)
    queue.close()
    sent = auth.remote.view.sent
    assert sent is not None
    customer = ConsentBot("allow", stop_at_redirect=True)  # their browser, elsewhere
    await customer.visit(sent.url)
    auth.remote.paste.click()
    dialog = auth.remote.dialog
    assert dialog is not None
    dialog.move(120, 200)
    dialog.text.setPlainText(f"Hi, this is what my browser showed:\n{await customer.next_answer()}")
    await shoot("10-paste-answer", dialog)
    dialog.submit()
    await until(lambda: wizard.currentId() == PageId.DONE)
    # The worklist: the sandbox's practice grants, invalid first, and the one just connected
    # (the history names its customer); the invalid ones are queued for re-authentication.
    grants = wizard.show_grants()
    grants.move(30, 60)
    grants.activateWindow()
    await until(lambda: grants.model.complete)
    grants.table.selectRow(0)
    grants.reauthenticate_all.click()
    await until(lambda: "added to the queue" in grants.status.message)
    await shoot("08-grants", grants)
    grants.close()
    wizard.close()
    await wizard.session.aclose()


if __name__ == "__main__":
    # Keep the screenshots' run away from the real profile, history and logs.
    os.environ.setdefault("ZOOM_ONBOARD_HOME", tempfile.mkdtemp(prefix="zoom-onboard-shots-"))
    keyring_in_memory()
    OUT.mkdir(exist_ok=True)
    app = QApplication(sys.argv)
    app.setApplicationName("Zoom onboarding")
    app.setQuitOnLastWindowClosed(False)
    if DARK:
        # What a dark desktop hands Qt: a dark palette (Xvfb has no desktop to ask).
        from PySide6.QtGui import QColor, QPalette

        app.setStyle("Fusion")
        palette = QPalette()
        for role, colour in (
            (QPalette.ColorRole.Window, "#2b2b2b"),
            (QPalette.ColorRole.WindowText, "#e6e6e6"),
            (QPalette.ColorRole.Base, "#1e1e1e"),
            (QPalette.ColorRole.AlternateBase, "#2b2b2b"),
            (QPalette.ColorRole.Text, "#e6e6e6"),
            (QPalette.ColorRole.Button, "#3a3a3a"),
            (QPalette.ColorRole.ButtonText, "#e6e6e6"),
            (QPalette.ColorRole.Highlight, "#3d7dd8"),
            (QPalette.ColorRole.HighlightedText, "#ffffff"),
            (QPalette.ColorRole.Link, "#7fb2ff"),
            (QPalette.ColorRole.PlaceholderText, "#8a8a8a"),
        ):
            palette.setColor(role, QColor(colour))
        for role in (
            QPalette.ColorRole.WindowText,
            QPalette.ColorRole.Text,
            QPalette.ColorRole.ButtonText,
        ):
            palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a7a"))
        app.setPalette(palette)
    qasync.run(main())
