"""The wizard end to end with a real Chromium clicking through the sandbox's Zoom consent page,
and the production opener's own failure handling.

Chromium runs through Playwright's async API on the wizard's own qasync loop (the one the
wizard's coroutines use): Playwright's driver is an asyncio subprocess with pipes, which the
qasync loop serves like any other reader. Nothing here downloads a browser: Debian's Chromium.
"""

from __future__ import annotations

import asyncio
import webbrowser
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from pytestqt.qtbot import QtBot

from tests.helpers.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.helpers.ci import require_in_ci
from tests.helpers.ports import free_port
from tests.helpers.wizard import (
    WAIT,
    authorize,
    connect,
    make,
    sandbox_of,
    start_consent,
    through_integration,
    to_account_page,
    to_authorization,
    wait_for_done,
)
from wizard.flow.backend import OnboardingResult
from wizard.ui.opener import desktop_browser
from wizard.ui.page_ids import PageId
from wizard.ui.wizard import OnboardingWizard

pytestmark = pytest.mark.linux_only  # /usr/bin/chromium

T = TypeVar("T")


def run_on_loop(qtbot: QtBot, coro: Coroutine[Any, Any, T], timeout: int = WAIT) -> T:
    """Run a coroutine on the session's qasync loop from a sync test, spinning Qt meanwhile."""
    task = asyncio.ensure_future(coro)
    try:
        qtbot.waitUntil(task.done, timeout=timeout)
    except BaseException:
        task.cancel()
        raise
    return task.result()


@dataclass
class Landing:
    """Where Chromium ended after the consent page: the wizard's listener page."""

    url: str
    title: str
    text: str


@dataclass
class ChromiumConsent:
    """A BrowserOpener: opens the link in a new Chromium page and clicks `#allow` or `#decline`.

    The opener answers True once the consent page has loaded; the click and the wait for the
    redirect run in a task of their own, because the flow cancels a still-running opener soon
    after the grant arrives, and the test wants to read the page Chromium ends on.
    """

    browser: Any  # playwright.async_api.Browser
    port: int
    button: str = "allow"
    urls: list[str] = field(default_factory=list)
    clicks: list[asyncio.Task[Landing]] = field(default_factory=list)

    async def __call__(self, url: str) -> bool:
        self.urls.append(url)
        page = await self.browser.new_page()
        await page.goto(url)
        assert "Zoom" in await page.title()  # the sandbox's consent page, not an error page
        self.clicks.append(asyncio.ensure_future(self._click(page)))
        return True

    async def _click(self, page: Any) -> Landing:
        await page.click(f"#{self.button}")
        await page.wait_for_url(self._at_listener)
        await page.wait_for_load_state()
        return Landing(page.url, await page.title(), await page.inner_text("body"))

    def _at_listener(self, url: str) -> bool:
        # The wizard's redirect URI is http://localhost:PORT/callback.
        parts = urlsplit(url)
        return parts.hostname in ("localhost", "127.0.0.1") and (parts.port, parts.path) == (
            self.port,
            "/callback",
        )

    def landing(self, qtbot: QtBot) -> Landing:
        assert len(self.clicks) == 1
        qtbot.waitUntil(self.clicks[0].done, timeout=WAIT)
        return self.clicks[0].result()


@pytest.fixture
def chromium(qtbot: QtBot, loop: object) -> Iterator[Any]:
    """A headless Debian Chromium, launched on the qasync loop and always closed again."""
    require_chromium()
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        require_in_ci("playwright is not installed (pip install playwright)")

    async def launch() -> tuple[Any, Any]:
        playwright = await async_playwright().start()
        try:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
        except BaseException:
            await playwright.stop()
            raise
        return playwright, browser

    playwright, browser = run_on_loop(qtbot, launch(), timeout=60_000)

    async def close() -> None:
        try:
            await browser.close()
        finally:
            await playwright.stop()

    try:
        yield browser
    finally:
        run_on_loop(qtbot, close(), timeout=30_000)


def on_chromium(
    qtbot: QtBot, chromium: Any, button: str, *, api: str
) -> tuple[OnboardingWizard, ChromiumConsent]:
    """A sandbox window on `api` whose consent Chromium answers with `button`, walked on until
    the consent begins."""
    consent = ChromiumConsent(chromium, free_port(), button)
    if api == "connect":
        wizard = to_authorization(qtbot, consent, port=consent.port, account="acct-chromium")
    else:
        wizard = make(qtbot, consent, api=api)
        to_account_page(qtbot, wizard, consent.port)
        start_consent(wizard, "Chromium v3")
    return wizard, consent


def grants_on_its_api(wizard: OnboardingWizard) -> dict[str, dict[str, Any]]:
    """The sandbox's grants on the API the window uses."""
    sandbox = sandbox_of(wizard)
    return sandbox.v3_grants if wizard.connection_page.api_value() == "v3" else sandbox.grants


def allowed(
    qtbot: QtBot, wizard: OnboardingWizard, consent: ChromiumConsent
) -> tuple[OnboardingResult, Landing]:
    """Done, with a verified grant that the sandbox holds; Chromium on the connected page."""
    wait_for_done(qtbot, wizard)
    result = wizard.session.result
    assert result is not None and result.verified
    assert result.grant_id in grants_on_its_api(wizard)
    landing = consent.landing(qtbot)
    assert landing.title == "Zoom is connected"
    return result, landing


def declined(qtbot: QtBot, wizard: OnboardingWizard, consent: ChromiumConsent) -> Landing:
    """Both sides say declined, and the sandbox holds no grant for the Zoom user."""
    page = wizard.authorization_page
    qtbot.waitUntil(lambda: page.try_again.isVisible(), timeout=WAIT)
    assert "declined" in page.status.message.lower()
    landing = consent.landing(qtbot)
    assert landing.title == "Zoom was not connected"
    # Its practice grants aside, nothing was connected.
    assert "zoom.user@example.com" not in {g["email"] for g in grants_on_its_api(wizard).values()}
    return landing


@pytest.mark.browser
def test_chromium_allows_and_the_wizard_reaches_done(qtbot: QtBot, chromium: Any) -> None:
    wizard, consent = on_chromium(qtbot, chromium, "allow", api="connect")
    result, landing = allowed(qtbot, wizard, consent)
    assert wizard.done_page.grant_id.text() == result.grant_id
    assert "Zoom is connected" in landing.text
    assert f"grant_id={result.grant_id}" in landing.url
    assert len(consent.urls) == 1
    wizard.close()


@pytest.mark.browser
def test_chromium_declines_and_both_sides_say_so(qtbot: QtBot, chromium: Any) -> None:
    wizard, consent = on_chromium(qtbot, chromium, "decline", api="connect")
    landing = declined(qtbot, wizard, consent)
    assert wizard.currentId() == PageId.AUTHORIZATION
    assert wizard.session.result is None
    assert "nothing was connected" in landing.text.lower()
    assert "grant_id" not in landing.url
    wizard.close()


# The production opener (wizard/ui/opener.py), with the desktop replaced by recorders.


class DesktopRecorder:
    """Stands in for QDesktopServices.openUrl: records the URL, answers as told."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.urls: list[str] = []

    def __call__(self, url: QUrl) -> bool:
        self.urls.append(url.toString(QUrl.ComponentFormattingOption.FullyEncoded))
        return self.answer


@pytest.fixture
def webbrowser_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    calls: list[tuple[str, int]] = []

    def fake_open(url: str, new: int = 0, autoraise: bool = True) -> bool:
        calls.append((url, new))
        return True

    monkeypatch.setattr(webbrowser, "open", fake_open)
    return calls


def test_a_silent_browser_is_noticed_and_copy_link_is_offered(
    qtbot: QtBot, loop: object, monkeypatch: pytest.MonkeyPatch, webbrowser_calls: list[Any]
) -> None:
    """The desktop claims it opened the link, but no browser ever reaches the listener."""
    desktop = DesktopRecorder(True)
    monkeypatch.setattr(QDesktopServices, "openUrl", desktop)
    wizard = make_with_grace(qtbot, grace=0.5)
    connect(qtbot, wizard)
    through_integration(qtbot, wizard, free_port())
    authorize(qtbot, wizard, "acct-1")
    page = wizard.authorization_page
    qtbot.waitUntil(lambda: "may not have started" in page.status.message, timeout=WAIT)
    assert "Copy link" in page.status.message and "Open again" in page.status.message
    assert page.copy.isVisible() and page.open_again.isEnabled()
    # The browser is sent to the listener's launch address, which redirects to the link.
    assert page.url.text() and len(desktop.urls) == 1
    assert desktop.urls[0].startswith("http://localhost:")
    assert "/callback/start/" in desktop.urls[0]
    assert webbrowser_calls == []  # the desktop claimed success: no second browser
    assert wizard.currentId() == PageId.AUTHORIZATION and page.task.running
    page.open_again.click()
    qtbot.waitUntil(lambda: len(desktop.urls) == 2, timeout=WAIT)
    assert desktop.urls[1] == desktop.urls[0]
    page.stop.click()
    qtbot.waitUntil(lambda: page.try_again.isVisible(), timeout=WAIT)
    wizard.close()


def make_with_grace(qtbot: QtBot, grace: float) -> Any:
    from wizard.ui.app import create_wizard

    wizard = create_wizard(desktop_browser, sandbox=True, browser_grace=grace, api="connect")
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


URL = "http://127.0.0.1:5000/connect/auth?client_id=a&state=b%20c&scope=x"


@pytest.mark.parametrize(
    ("desktop_works", "webbrowser_opened"),
    [
        (True, []),  # the desktop works: it alone opens the link
        (False, [(URL, 2)]),  # it fails: webbrowser's new tab (2), the URL unchanged
    ],
    ids=["uses-the-desktop-when-it-works", "falls-back-to-webbrowser-when-the-desktop-fails"],
)
def test_opener(
    qtbot: QtBot,
    loop: object,
    monkeypatch: pytest.MonkeyPatch,
    webbrowser_calls: list[Any],
    desktop_works: bool,
    webbrowser_opened: list[tuple[str, int]],
) -> None:
    desktop = DesktopRecorder(desktop_works)
    monkeypatch.setattr(QDesktopServices, "openUrl", desktop)
    assert run_on_loop(qtbot, desktop_browser(URL)) is True
    assert desktop.urls == [URL]
    assert webbrowser_calls == webbrowser_opened


def test_opener_reports_false_when_no_browser_at_all(
    qtbot: QtBot, loop: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QDesktopServices, "openUrl", DesktopRecorder(False))

    def no_browser(url: str, new: int = 0, autoraise: bool = True) -> bool:
        raise webbrowser.Error("could not locate runnable browser")

    monkeypatch.setattr(webbrowser, "open", no_browser)
    assert run_on_loop(qtbot, desktop_browser(URL)) is False


@pytest.mark.browser
def test_chromium_on_v3_allows_and_the_code_becomes_a_verified_grant(
    qtbot: QtBot, chromium: Any
) -> None:
    wizard, consent = on_chromium(qtbot, chromium, "allow", api="v3")
    result, landing = allowed(qtbot, wizard, consent)
    assert result.api == "v3"
    # v3 brings a one-time code back, never the grant id.
    assert "code=" in landing.url and "grant_id" not in landing.url
    wizard.close()


@pytest.mark.browser
def test_chromium_on_v3_declines_and_both_sides_say_so(qtbot: QtBot, chromium: Any) -> None:
    wizard, consent = on_chromium(qtbot, chromium, "decline", api="v3")
    landing = declined(qtbot, wizard, consent)
    assert "chose not to allow" in landing.text
    wizard.close()


def test_the_consent_page_shows_a_long_email_whole(qtbot: QtBot, chromium: Any) -> None:
    from pydantic import SecretStr

    from wizard.nylas.pkce import new_code_verifier, nylas_code_challenge
    from wizard.nylas.v3 import NylasV3Client
    from wizard.sandbox import SandboxServer

    email = "firstname.lastname.department@subsidiary-of-the-customer.example"

    async def measure() -> tuple[int, int]:
        async with SandboxServer() as sandbox:
            sandbox.add_v3_connector()
            redirect = f"http://localhost:{free_port()}/callback"
            sandbox.add_v3_callback_uri(redirect)
            async with NylasV3Client(sandbox.url, SecretStr(sandbox.credentials.v3_api_key)) as c:
                url = c.hosted_auth_url(
                    client_id=sandbox.credentials.v3_application_id,
                    redirect_uri=redirect,
                    state="s",
                    code_challenge=nylas_code_challenge(new_code_verifier()),
                    login_hint=email,
                )
            page = await chromium.new_page(viewport={"width": 800, "height": 700})
            try:
                await page.goto(url)
                widths: list[int] = await page.eval_on_selector(
                    "#email", "e => [e.scrollWidth, e.clientWidth]"
                )
                assert await page.input_value("#email") == email
            finally:
                await page.close()
            return widths[0], widths[1]

    scroll, client = run_on_loop(qtbot, measure(), timeout=30_000)
    assert scroll <= client  # nothing of the address is cut off
