"""A scripted browser for the sandbox: follows a sign-in link (Connect's login link or v3's hosted
auth), fills Zoom's consent form like a person would (reading the form from the HTML, not from
knowledge of the sandbox), and follows the redirects back to the app's loopback listener.

With `stop_at_redirect=True` it is a customer on another computer: it follows the redirects up
to the sign-in service's callback (the form's `redirect_uri`) but never requests where that
callback sends it (the app's redirect URI: the loopback listener or the landing page). It keeps
that address instead, as the customer's address bar would show it: `answers`, `next_answer()`.

Used by `zoom-onboard --self-test`, the tests and the benchmarks as the browser opener.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Literal
from urllib.parse import urljoin, urlsplit

import httpx

Decision = Literal["allow", "deny"]

_MAX_REDIRECTS = 20  # httpx's own limit when it follows them


@dataclass(frozen=True)
class Button:
    id: str
    name: str
    value: str


@dataclass
class Form:
    """A form as a browser submits it: its fields' values, and the buttons that submit it."""

    action: str = ""
    method: str = "get"  # as the page wrote it
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[Button] = field(default_factory=list)

    def button(self, value: str) -> Button | None:
        """The button that submits this value (Allow's "allow", Decline's "deny")."""
        return next((b for b in self.buttons if b.value == value), None)

    def pressing(self, button: Button, **changes: str) -> dict[str, str]:
        """What the browser sends when `button` is pressed, with fields changed as typed."""
        return {**self.fields, **changes, button.name: button.value}


@dataclass
class Page:
    title: str = ""
    forms: list[Form] = field(default_factory=list)


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.page = Page()
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        forms = self.page.forms
        if tag == "form":
            forms.append(Form(a.get("action", ""), a.get("method", "get")))
        elif forms and tag == "input" and a.get("name"):
            forms[-1].fields[a["name"]] = a.get("value", "")
        elif forms and tag == "button" and a.get("name"):
            forms[-1].buttons.append(Button(a.get("id", ""), a["name"], a.get("value", "")))
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        self._in_title = self._in_title and tag != "title"

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.page.title += data


def parse_page(html: str) -> Page:
    """The page's title and forms, read the way a browser reads them (no knowledge of the
    sandbox): the one parser of the consent bot, the tests and the benchmarks."""
    parser = _PageParser()
    parser.feed(html)
    return parser.page


@dataclass(frozen=True)
class BrowserVisit:
    final_url: str
    status: int
    text: str


class ConsentBot:
    """Clicks Allow (or Decline) on the consent page reached from `url`."""

    def __init__(
        self,
        decision: Decision = "allow",
        *,
        email: str | None = None,
        timeout: float = 15.0,
        pause: float = 0.0,
        keep: int = 20,
        stop_at_redirect: bool = False,
    ) -> None:
        """`pause`: seconds spent on the consent page before clicking, like a person reading.
        `keep`: how many recent visits to remember (a soak runs hundreds; each holds a page).
        `stop_at_redirect`: a customer elsewhere; the app's redirect URI is never requested,
        its address (with code and state, a grant id, or an error) goes to `answers`."""
        self.decision = decision
        self.email = email
        self.timeout = timeout
        self.pause = pause
        self.stop_at_redirect = stop_at_redirect
        self.visits: deque[BrowserVisit] = deque(maxlen=keep)
        self.visit_count = 0
        # Every address kept in stop_at_redirect mode, oldest first; next_answer() hands each
        # out once.
        self.answers: list[str] = []
        self._unread: asyncio.Queue[str] = asyncio.Queue()

    async def __call__(self, url: str) -> bool:
        """A BrowserOpener: True once the browser leg has run (whatever its outcome)."""
        self.visits.append(await self.visit(url))
        self.visit_count += 1
        return True

    async def next_answer(self, timeout: float | None = None) -> str:
        """The next address kept in stop_at_redirect mode (waiting for it, at most `timeout`
        seconds, else this bot's timeout): what the customer would copy from the address bar.
        TimeoutError if none comes, e.g. when the sign-in stopped on an error page."""
        async with asyncio.timeout(self.timeout if timeout is None else timeout):
            return await self._unread.get()

    async def visit(self, url: str) -> BrowserVisit:
        # trust_env=False: a proxy from the environment must not see loopback traffic.
        # Built in a worker thread: loading the CA bundle took 20-50 ms, and this bot shares
        # the event loop with the app it stands in front of (a real browser does not).
        client = await asyncio.to_thread(
            httpx.AsyncClient, follow_redirects=True, timeout=self.timeout, trust_env=False
        )
        async with client as browser:
            page = await browser.get(url)
            forms = parse_page(page.text).forms
            form = next((f for f in forms if f.button(self.decision)), None)
            button = form.button(self.decision) if form else None
            if form is None or button is None:  # an error page (expired link, invalid client):
                return BrowserVisit(str(page.url), page.status_code, page.text)  # as one sees it
            typed = {}
            if self.email is not None and "email" in form.fields:
                typed["email"] = self.email
            await asyncio.sleep(self.pause)
            data = form.pressing(button, **typed)
            target = urljoin(str(page.url), form.action)
            redirects = not self.stop_at_redirect
            if form.method.lower() == "post":
                final = await browser.post(target, data=data, follow_redirects=redirects)
            else:
                final = await browser.get(target, params=data, follow_redirects=redirects)
            if self.stop_at_redirect:
                return await self._up_to_the_app(browser, final, form.fields.get("redirect_uri"))
            return BrowserVisit(str(final.url), final.status_code, final.text)

    async def _up_to_the_app(
        self, browser: httpx.AsyncClient, response: httpx.Response, callback: str | None
    ) -> BrowserVisit:
        """Follow the redirects from the consent form until the sign-in service's `callback`
        (where Zoom sends the browser) redirects onwards, to the app: keep that address."""
        for _ in range(_MAX_REDIRECTS):
            if not response.is_redirect:
                break  # a page (an error on the way): the customer sees it, nothing to send
            location = urljoin(str(response.url), response.headers["location"])
            if callback is not None and _same_endpoint(str(response.url), callback):
                self.answers.append(location)
                self._unread.put_nowait(location)
                return BrowserVisit(location, response.status_code, "")
            response = await browser.get(location, follow_redirects=False)
        return BrowserVisit(str(response.url), response.status_code, response.text)


def _same_endpoint(url: str, endpoint: str) -> bool:
    """`url` is `endpoint` whatever its query: same scheme, host, port and path."""
    a, b = urlsplit(url), urlsplit(endpoint)
    return (a.scheme, a.netloc.lower(), a.path) == (b.scheme, b.netloc.lower(), b.path)
