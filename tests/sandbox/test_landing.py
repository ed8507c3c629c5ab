"""The landing page (resources/landing/zoom-onboard-answer.html) as a file a company hosts, and
as the sandbox serves it at `landing_url`. What it shows in a browser:
tests/ui/test_landing_chromium.py.
"""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from wizard.resources import landing_page_path
from wizard.sandbox import BackgroundSandbox, SandboxServer
from wizard.sandbox.server import LANDING_PATH

PAGE = Path(__file__).resolve().parents[2] / "resources" / "landing" / "zoom-onboard-answer.html"


class PageParser(HTMLParser):
    """Every element's attributes, the text of each <style> and <script>, the comments."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.inline: dict[str, list[str]] = {"style": [], "script": []}
        self.comments: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))
        if tag in self.inline:
            self._in = tag
            self.inline[tag].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in is not None:
            self.inline[self._in][-1] += data

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def meta(self, **match: str) -> str:
        (content,) = [
            attrs["content"]
            for tag, attrs in self.tags
            if tag == "meta" and all(attrs.get(k) == v for k, v in match.items())
        ]
        return content


def parsed() -> PageParser:
    parser = PageParser()
    parser.feed(PAGE.read_text(encoding="utf-8"))
    parser.close()
    return parser


def csp_directives() -> dict[str, list[str]]:
    policy = parsed().meta(**{"http-equiv": "Content-Security-Policy"})
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_the_csp_hashes_are_those_of_the_inline_style_and_script() -> None:
    """Edit the style or the script, and this says which hash to put in the CSP meta."""
    page = parsed()
    (style,) = page.inline["style"]
    (script,) = page.inline["script"]
    csp = csp_directives()
    assert csp["style-src"] == [sha256_source(style)], "update style-src in the CSP meta"
    assert csp["script-src"] == [sha256_source(script)], "update script-src in the CSP meta"


def test_the_csp_allows_nothing_else() -> None:
    csp = csp_directives()
    assert csp == {
        "default-src": ["'none'"],
        "style-src": csp["style-src"],
        "script-src": csp["script-src"],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
    }
    assert "'unsafe-inline'" not in csp["script-src"]
    assert parsed().meta(name="referrer") == "no-referrer"


def test_it_refers_to_nothing_outside_itself() -> None:
    page = parsed()
    for tag, attrs in page.tags:
        assert not {"src", "href", "action", "srcset", "style"} & set(attrs), (tag, attrs)
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
    (style,) = page.inline["style"]
    assert "url(" not in style and "@import" not in style
    text = PAGE.read_text(encoding="utf-8")
    assert "<link" not in text and "<iframe" not in text and "<img" not in text


def test_the_script_writes_address_data_as_text_only() -> None:
    (script,) = parsed().inline["script"]
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script
    for store in ("localStorage", "sessionStorage", "document.cookie", "fetch(", "XMLHttpRequest"):
        assert store not in script
    assert "textContent" in script


def test_it_says_who_it_is_for_at_the_top() -> None:
    (comment, *_) = parsed().comments
    words = " ".join(comment.split())
    for said in ("web administrator", "any https URL", "callback URI of the Nylas application"):
        assert said in words
    assert "keeps nothing" in words
    assert re.search(r"no secret", words)


def test_the_program_finds_the_file_it_ships() -> None:
    assert landing_page_path().resolve() == PAGE


@pytest.mark.anyio
async def test_the_sandbox_serves_the_file_unchanged_at_landing_url() -> None:
    async with SandboxServer() as sandbox:
        assert sandbox.landing_url == f"{sandbox.url}{LANDING_PATH}"
        async with httpx.AsyncClient(trust_env=False) as browser:
            page = await browser.get(f"{sandbox.landing_url}?code=c&state=s")
            post = await browser.post(sandbox.landing_url)
        assert page.status_code == 200
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert page.headers["cache-control"] == "no-store"
        assert page.content == PAGE.read_bytes()
        assert post.status_code == 404
        assert sandbox.requests_seen == [("GET", LANDING_PATH), ("POST", LANDING_PATH)]


@pytest.mark.anyio
async def test_a_missing_file_is_a_404_and_the_rest_still_serves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing() -> Path:
        raise FileNotFoundError("resources/landing/zoom-onboard-answer.html is not installed")

    monkeypatch.setattr("wizard.sandbox.server.landing_page_path", missing)
    async with SandboxServer() as sandbox, httpx.AsyncClient(trust_env=False) as browser:
        page = await browser.get(sandbox.landing_url)
        health = await browser.get(f"{sandbox.url}/healthz")
    assert page.status_code == 404 and "is not installed" in page.text
    assert health.status_code == 200


def test_the_background_sandbox_names_it_too() -> None:
    with BackgroundSandbox() as sandbox:
        assert sandbox.landing_url == sandbox.call(lambda server: server.landing_url)
        assert sandbox.landing_url.startswith(f"{sandbox.url}/")
