"""Parsing the redirect's query, and the pages the browser gets."""

from __future__ import annotations

import re

import pytest

from wizard.listener import pages
from wizard.listener.callback import ErrorCallback, GrantCallback, MalformedCallback, parse_callback

GRANT = "0b6f3c1e-5a7d-4e0b-9c2f-1d3e5f7a9b11"


def test_success_with_and_without_state() -> None:
    assert parse_callback(f"success=true&provider=zoom&grant_id={GRANT}&state=abc") == (
        GrantCallback(GRANT, "zoom", "abc")
    )
    assert parse_callback(f"grant_id={GRANT}&provider=zoom&success=TRUE") == (
        GrantCallback(GRANT, "zoom", None)
    )
    # Unknown parameters (even repeated) do not change the meaning.
    extra = parse_callback(f"success=true&provider=zoom&grant_id={GRANT}&x=1&x=2")
    assert extra == GrantCallback(GRANT, "zoom", None)


def test_empty_state_is_kept_as_given() -> None:
    result = parse_callback(f"success=true&provider=zoom&grant_id={GRANT}&state=")
    assert isinstance(result, GrantCallback)
    assert result.state == ""


def test_error_wins_and_is_cleaned() -> None:
    result = parse_callback(
        "success=false&error=oauth_failed&error_code=45002"
        "&error_description=User+declined%0D%0Aaccess&state=s1"
    )
    assert result == ErrorCallback("oauth_failed", "45002", "User declined access", "s1")
    both = parse_callback(f"success=true&provider=zoom&grant_id={GRANT}&error=access_denied")
    assert isinstance(both, ErrorCallback)
    assert both.description == ""
    assert both.error_code is None
    assert both.state is None
    assert parse_callback("error=").error == "unknown_error"  # type: ignore[union-attr]
    long = parse_callback("error=x&error_description=" + "a" * 5000)
    assert isinstance(long, ErrorCallback)
    assert len(long.description) == 1000


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("", "neither success nor error"),
        ("provider=zoom", "neither success nor error"),
        (f"success=false&grant_id={GRANT}", "success is not true"),
        ("success=true&provider=zoom", "grant_id is missing"),
        (f"success=true&grant_id={GRANT}", "provider is missing"),
        ("success=true&provider=zoom&grant_id=short", "grant_id is not an id"),
        ("success=true&provider=zoom&grant_id=" + "a" * 129, "grant_id is not an id"),
        (f"success=true&provider=zoom&grant_id={GRANT}%3Cx%3E", "grant_id is not an id"),
        (f"success=true&provider=zo+om&grant_id={GRANT}", "provider is not"),
        (f"success=true&provider=zoom&grant_id={GRANT}&grant_id={GRANT}", "'grant_id' is repeated"),
        (f"success=true&provider=zoom&grant_id={GRANT}&state=a&state=a", "'state' is repeated"),
        ("error=a&error=b", "'error' is repeated"),
        (f"success=true&success=true&provider=zoom&grant_id={GRANT}", "'success' is repeated"),
        (f"success=true&provider=zoom&grant_id={GRANT}&state=%FF", "not valid UTF-8"),
        (f"success=true&provider=zoom&grant_id={GRANT}&state=" + "s" * 1025, "state is too long"),
        ("&".join(f"k{i}=v" for i in range(100)), "too many parameters"),
    ],
)
def test_malformed(query: str, reason: str) -> None:
    with pytest.raises(MalformedCallback) as info:
        parse_callback(query)
    assert reason in info.value.reason


def test_malformed_reasons_never_quote_the_state() -> None:
    for query in ("state=SECRETSTATE&state=SECRETSTATE", "state=SECRETSTATE&success=true"):
        with pytest.raises(MalformedCallback) as info:
            parse_callback(query)
        assert "SECRETSTATE" not in str(info.value)


ALL_PAGES = [
    pages.success_page(),
    pages.refused_page("desc", "oauth_failed", "45002"),
    pages.not_for_this_request_page("detail"),
    pages.already_done_page(),
    pages.error_page("Not found", "Nothing here."),
]


@pytest.mark.parametrize("page", ALL_PAGES)
def test_pages_are_self_contained(page: str) -> None:
    assert page.startswith("<!doctype html>")
    assert "prefers-color-scheme: dark" in page
    # No external resources: no src/href attributes, no url() in the CSS, no scripts.
    assert not re.search(r"\b(src|href)\s*=", page, re.IGNORECASE)
    assert "url(" not in page
    assert "<script" not in page.lower()


def test_success_page_text_says_it_once() -> None:
    page = pages.success_page()
    assert "You can close this tab and return to Zoom onboarding." in page
    assert page.count("Zoom is connected") == 2  # the tab's title and the heading, no more


def test_refused_page_escapes_everything() -> None:
    hostile = "<script>alert(1)</script>\"'&"
    page = pages.refused_page(hostile, "<e>", "<c>")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#x27;&amp;" in page
    assert "&lt;e&gt;, code &lt;c&gt;" in page
    assert "Zoom is connected" not in page
    assert "it says what to do next" in page
    assert "No reason was given." in pages.refused_page("", "x")


def test_not_for_this_request_page_says_what_to_do() -> None:
    page = pages.not_for_this_request_page("<b>why</b>")
    assert "Return to the app and use the link it shows now." in page
    assert "&lt;b&gt;why&lt;/b&gt;" in page
    assert "Zoom is connected" not in page


def test_decline_page_says_it_once_and_blames_no_secret() -> None:
    page = pages.refused_page("The user denied access", "access_denied")
    assert page.count("chose not to allow") == 1
    assert "secret" not in page.lower()
    assert "Allow" in page


def test_v3_callback_needs_code_and_state() -> None:
    from wizard.listener.callback import CodeCallback, parse_v3_callback

    assert parse_v3_callback("code=abcdefgh12&state=s1") == CodeCallback("abcdefgh12", "s1")
    assert "hidden" in repr(parse_v3_callback("code=abcdefgh12&state=s1"))
    for bad in ("code=abcdefgh12", "state=s1", "code=ab&state=s1", "code=a%20bcdefgh&state=x"):
        with pytest.raises(MalformedCallback):
            parse_v3_callback(bad)
    error = parse_v3_callback("error=access_denied&error_description=no&state=s1")
    assert isinstance(error, ErrorCallback) and error.state == "s1"
    # A Connect grant id in a v3 callback means nothing.
    with pytest.raises(MalformedCallback):
        parse_v3_callback("success=true&provider=zoom&grant_id=abcdefgh12&state=s1")
