"""The landing page (resources/landing/zoom-onboard-answer.html) in a real Chromium: what the
customer sees for each address, the Copy button, and that it loads nothing but itself.

Served by the sandbox at `landing_url`, as a company's site would serve it. No Qt here: Playwright's
async API on the test's own event loop (anyio), with Debian's Chromium as in test_real_browser.py.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.helpers.ci import require_in_ci
from wizard.resources import landing_page_path
from wizard.sandbox import SandboxServer
from wizard.sandbox.server import LANDING_PATH

pytestmark = [pytest.mark.anyio, pytest.mark.browser, pytest.mark.linux_only]  # /usr/bin/chromium

ALLOWED = "Thank you: you allowed the connection"
ALLOWED_SAYS = (
    "One last step: copy the line below and send it back to the person who sent you the link "
    "(by email or chat). It is only useful to them and only for a few minutes."
)
DECLINED = "You declined (or Zoom stopped the connection)"
NOTHING_SAYS = (
    "This page is where Zoom sends you back after connecting your account; it has nothing to "
    "show without that."
)
WAIT_MS = 15_000  # an upper bound for a hang, never a measure of speed


@pytest.fixture
async def chromium() -> AsyncIterator[Any]:
    require_chromium()
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        require_in_ci("playwright is not installed (pip install playwright)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class Shown:
    """A page as Chromium showed it, and everything it asked of the network or the console."""

    page: Any
    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # console errors and warnings, JS errors

    async def text(self, selector: str) -> str:
        text: str = await self.page.inner_text(selector)
        return text

    async def line(self) -> str:
        value: str = await self.page.input_value("#line")
        return value


async def show(browser: Any, url: str, **context_options: Any) -> Shown:
    context = await browser.new_context(**context_options)
    page = await context.new_page()
    shown = Shown(page)
    context.on("request", lambda request: shown.requests.append(request.url))

    def console(message: Any) -> None:
        if message.type in ("error", "warning"):
            shown.problems.append(f"{message.type}: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda error: shown.problems.append(f"pageerror: {error}"))
    await page.goto(url, wait_until="load")
    return shown


async def test_a_code_shows_thanks_and_exactly_the_line(
    chromium: Any, sandbox: SandboxServer
) -> None:
    query = "code=Ab-9_x.Yz~1&state=st%2Fate%3D%3D"  # percent-escapes stay as received
    url = f"{sandbox.landing_url}?{query}"
    shown = await show(chromium, url)
    assert await shown.line() == f"ZOOM-ONBOARD {query}"
    assert await shown.text("h1") == ALLOWED
    assert await shown.text("#message") == ALLOWED_SAYS
    assert await shown.page.title() == ALLOWED
    assert await shown.page.get_attribute("#line", "readonly") is not None
    assert await shown.text("label[for=line]") == "The line to send back"
    assert await shown.page.evaluate("document.activeElement.id") == "copy"
    # It loaded nothing but itself, and nothing went wrong (a CSP refusal is a console error).
    assert shown.requests == [url]
    assert shown.problems == []
    assert sandbox.requests_seen == [("GET", LANDING_PATH)]


async def test_a_decline_says_so_and_still_gives_the_line(
    chromium: Any, sandbox: SandboxServer
) -> None:
    query = "error=access_denied&error_description=Call+0800+to+unlock&state=s-1"
    shown = await show(chromium, f"{sandbox.landing_url}?{query}")
    assert await shown.text("h1") == DECLINED
    assert (await shown.text("#message")).startswith("Nothing was connected.")
    assert await shown.line() == f"ZOOM-ONBOARD {query}"
    # What the address says is never shown as the page's own words (no text injection).
    assert "0800" not in await shown.text("main")
    assert shown.problems == []


@pytest.mark.parametrize(
    "query",
    ["", "?", "?state=only-a-state", "?code=a-code-without-state", "?utm_source=mail"],
)
async def test_nothing_usable_in_the_address(
    chromium: Any, sandbox: SandboxServer, query: str
) -> None:
    shown = await show(chromium, f"{sandbox.landing_url}{query}")
    assert await shown.text("h1") == "Nothing to show here"
    assert await shown.text("#message") == NOTHING_SAYS
    assert not await shown.page.is_visible("#answer")
    assert shown.problems == []


async def test_markup_in_the_address_stays_text(chromium: Any, sandbox: SandboxServer) -> None:
    url = f'{sandbox.landing_url}?code=<img src=/x onerror="alert(1)">&state=<b>s</b>'
    shown = await show(chromium, url)
    line = await shown.line()
    assert line.startswith("ZOOM-ONBOARD code=") and "img" in line
    assert await shown.page.locator("img, b").count() == 0
    assert shown.requests == [shown.page.url]
    assert shown.problems == []


async def test_copy_by_keyboard_puts_the_line_on_the_clipboard(
    chromium: Any, sandbox: SandboxServer
) -> None:
    query = "code=c0de&state=st4te"
    shown = await show(
        chromium,
        f"{sandbox.landing_url}?{query}",
        permissions=["clipboard-read", "clipboard-write"],
    )
    await shown.page.keyboard.press("Enter")  # the Copy button has the focus
    await shown.page.wait_for_function(
        "document.getElementById('copied').textContent !== ''", timeout=WAIT_MS
    )
    assert await shown.text("#copied") == "Copied"
    assert await shown.page.evaluate("navigator.clipboard.readText()") == f"ZOOM-ONBOARD {query}"
    assert shown.problems == []


async def test_without_the_clipboard_api_the_line_is_selected(
    chromium: Any, tmp_path: Path
) -> None:
    """From file://, as an admin previews it: the script runs (CSP hashes hold), and when the
    clipboard API refuses, the line is selected for Ctrl+C."""
    copy = tmp_path / "zoom-onboard-answer.html"
    shutil.copy(landing_page_path(), copy)
    shown = await show(chromium, f"{copy.as_uri()}?code=x&state=y")
    assert await shown.line() == "ZOOM-ONBOARD code=x&state=y"
    await shown.page.evaluate(
        "() => { navigator.clipboard.writeText = () => Promise.reject(new Error('denied')); }"
    )
    await shown.page.click("#copy")
    await shown.page.wait_for_function(
        "document.getElementById('copied').textContent !== ''", timeout=WAIT_MS
    )
    selected = await shown.page.evaluate(
        "(() => { const l = document.getElementById('line');"
        " return [document.activeElement.id, l.value.slice(l.selectionStart, l.selectionEnd)]; })()"
    )
    assert selected == ["line", "ZOOM-ONBOARD code=x&state=y"]
    assert await shown.text("#copied") in (
        "Copied",  # execCommand("copy") of the selection worked
        "Selected: press Ctrl+C (\u2318C on a Mac) to copy it",
    )
    assert shown.problems == []


async def test_without_javascript_it_says_to_send_the_address(
    chromium: Any, sandbox: SandboxServer
) -> None:
    shown = await show(chromium, f"{sandbox.landing_url}?code=c&state=s", java_script_enabled=False)
    assert "copy the whole address" in await shown.text("#message")
    assert not await shown.page.is_visible("#answer")


async def test_on_a_phone_nothing_is_cut_off_and_the_button_is_big_enough(
    chromium: Any, sandbox: SandboxServer
) -> None:
    long_code = "c" * 120
    shown = await show(
        chromium,
        f"{sandbox.landing_url}?code={long_code}&state={'s' * 43}",
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
    )
    widths = await shown.page.evaluate(
        "[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
    )
    assert widths[0] <= widths[1]  # no sideways scrolling
    box = await shown.page.locator("#copy").bounding_box()
    assert box is not None and box["height"] >= 44
    line_box = await shown.page.locator("#line").bounding_box()
    assert line_box is not None and line_box["width"] <= 360
    heights = await shown.page.eval_on_selector("#line", "l => [l.scrollHeight, l.clientHeight]")
    assert heights[0] <= heights[1]  # the whole line shows, without scrolling inside the box
    assert shown.problems == []
