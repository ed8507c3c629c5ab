"""Fuzz the listener's pure parsers: parse_callback on random and mutated query strings returns a
typed result or raises MalformedCallback, nothing else, and built queries match the contract's
oracle; LoopbackRedirectUri.parse on typed text returns a valid URI or InvalidRedirectUri.

Seeded quick set; bench/fuzz.py runs the same properties for 10,000+ random cases.
"""

from __future__ import annotations

from hypothesis import event, given, settings

from tests.helpers.fuzz import (
    QueryPart,
    callback_queries,
    check_parse_callback,
    check_redirect_uri_parse,
    typed_redirect_uris,
)


@settings(max_examples=300, derandomize=True, deadline=None, database=None)
@given(built=callback_queries())
def test_parse_callback_returns_a_typed_result_or_malformed(
    built: tuple[str, list[QueryPart] | None, str],
) -> None:
    query, parts, separator = built
    event(check_parse_callback(query, parts, separator))


@settings(max_examples=300, derandomize=True, deadline=None, database=None)
@given(text=typed_redirect_uris())
def test_redirect_uri_parse_returns_a_uri_or_invalid_redirect_uri(text: str) -> None:
    event(check_redirect_uri_parse(text))
