"""What an operator pastes for a customer elsewhere (listener/pasted.py): the answer is found
in an address, the landing page's line, a bare query, or the middle of an email; anything else
says what to ask the customer for, without quoting what was pasted."""

from __future__ import annotations

import pytest

from wizard.listener.callback import CodeCallback, ErrorCallback, parse_v3_callback
from wizard.listener.pasted import MAX_PASTE, NotAnAnswer, PastedAnswer, read_pasted

QUERY = "code=abcDEF123-_.~&state=s7Xq_state-value"


@pytest.mark.parametrize(
    ("text", "address"),
    [
        (f"http://localhost:9007/callback?{QUERY}", "http://localhost:9007/callback"),
        (f"  HTTP://LOCALHOST:9007/callback?{QUERY}.  ", "http://localhost:9007/callback"),
        (f"<http://localhost:9007/callback?{QUERY}>", "http://localhost:9007/callback"),
        (
            f"Hi!\n\nHere: http://localhost:9007/callback?{QUERY}\n\nCheers",
            "http://localhost:9007/callback",
        ),
        (f"ZOOM-ONBOARD {QUERY}", None),
        (f"Sure, the page said:\nZOOM-ONBOARD {QUERY}\nthanks", None),
        (QUERY, None),
        (f"?{QUERY}", None),
    ],
)
def test_the_answer_is_found_wherever_it_was_pasted(text: str, address: str | None) -> None:
    assert read_pasted(text) == PastedAnswer(QUERY, address)
    assert isinstance(parse_v3_callback(read_pasted(text).query), CodeCallback)


def test_a_mail_clients_escaped_ampersand_is_read_as_one() -> None:
    pasted = read_pasted(f"http://localhost:9007/callback?{QUERY.replace('&', '&amp;')}")
    assert pasted.query == QUERY


def test_a_decline_is_an_answer_too() -> None:
    pasted = read_pasted("http://localhost:9007/callback?error=access_denied&state=abc")
    assert isinstance(parse_v3_callback(pasted.query), ErrorCallback)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("thanks!", "There is no answer in what was pasted"),
        ("", "There is no answer in what was pasted"),
        ("http://localhost:9007/callback", "has no answer in it"),
        ("https://zoom.us/oauth/authorize?client_id=x", "has no answer in it"),
        ("x" * (MAX_PASTE + 1), "far more than an answer"),
    ],
)
def test_what_holds_no_answer_says_what_to_ask_for(text: str, words: str) -> None:
    with pytest.raises(NotAnAnswer, match=words) as caught:
        read_pasted(text)
    said = str(caught.value)
    assert "state=" in said and "ZOOM-ONBOARD" in said
    assert "client_id=x" not in said  # never quotes what was pasted
