"""A scripted browser for the sandbox: follows a sign-in link (Connect's login link or v3's hosted
auth), fills Zoom's consent form like a person would (reading the form from the HTML, not from
knowledge of the sandbox), and follows the redirects back to the app's loopback listener.

Used by `zoom-onboard --self-test`, the tests and the benchmarks as the browser opener.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Literal
from urllib.parse import urljoin

import httpx

Decision = Literal["allow", "deny"]


@dataclass
class _Form:
    action: str = ""
    method: str = "get"
    fields: dict[str, str] = field(default_factory=dict)
    buttons: dict[str, tuple[str, str]] = field(default_factory=dict)  # value -> (name, value)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[_Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(_Form(a.get("action", ""), a.get("method", "get").lower()))
        elif self.forms and tag == "input" and a.get("name"):
            self.forms[-1].fields[a["name"]] = a.get("value", "")
        elif self.forms and tag == "button" and a.get("name"):
            self.forms[-1].buttons[a.get("value", "")] = (a["name"], a.get("value", ""))


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
    ) -> None:
        """`pause`: seconds spent on the consent page before clicking, like a person reading.
        `keep`: how many recent visits to remember (a soak runs hundreds; each holds a page)."""
        self.decision = decision
        self.email = email
        self.timeout = timeout
        self.pause = pause
        self.visits: deque[BrowserVisit] = deque(maxlen=keep)
        self.visit_count = 0

    async def __call__(self, url: str) -> bool:
        """A BrowserOpener: True once the browser leg has run (whatever its outcome)."""
        self.visits.append(await self.visit(url))
        self.visit_count += 1
        return True

    async def visit(self, url: str) -> BrowserVisit:
        # trust_env=False: a proxy from the environment must not see loopback traffic.
        # Built in a worker thread: loading the CA bundle took 20-50 ms, and this bot shares
        # the event loop with the app it stands in front of (a real browser does not).
        client = await asyncio.to_thread(
            httpx.AsyncClient, follow_redirects=True, timeout=self.timeout, trust_env=False
        )
        async with client as browser:
            page = await browser.get(url)
            parser = _FormParser()
            parser.feed(page.text)
            form = next((f for f in parser.forms if self.decision in f.buttons), None)
            if form is None:  # an error page (expired link, invalid client): as a person sees it
                return BrowserVisit(str(page.url), page.status_code, page.text)
            data = dict(form.fields)
            if self.email is not None and "email" in data:
                data["email"] = self.email
            await asyncio.sleep(self.pause)
            name, value = form.buttons[self.decision]
            data[name] = value
            target = urljoin(str(page.url), form.action)
            if form.method == "post":
                final = await browser.post(target, data=data)
            else:
                final = await browser.get(target, params=data)
            return BrowserVisit(str(final.url), final.status_code, final.text)
