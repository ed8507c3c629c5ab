"""Redaction of remembered values: every occurrence masked, however many values are remembered."""

from __future__ import annotations

import secrets

from wizard.logs import MASK, redact, redact_text, remember_secret


def fresh(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(18)


def test_a_remembered_value_is_masked_everywhere_it_appears() -> None:
    value = fresh("s-")
    remember_secret(value)
    text = redact(f"GET /x?token={value}&again={value} trailing {value}")
    assert value not in text
    assert text.count(MASK) == 3
    assert text.startswith("GET /x?token=") and text.endswith(" trailing " + MASK)


def test_short_and_empty_values_are_not_remembered() -> None:
    remember_secret(None, "", "abc")
    assert redact("abc and more") == "abc and more"


def test_overlapping_values_leave_no_part_of_either() -> None:
    # A shorter value that starts before a longer one must not leave the longer one's tail.
    longer = fresh("L")
    shorter = "x" + longer[:5]
    remember_secret(longer, shorter)
    text = redact(f"<x{longer}>")
    assert text == f"<{MASK}>"


def test_a_value_inside_another_is_covered_by_the_longer() -> None:
    outer = fresh("outer-")
    inner = outer[3:15]
    remember_secret(outer, inner)
    assert redact(f"a {outer} b {inner} c") == f"a {MASK} b {MASK} c"


def test_values_sharing_a_prefix_are_all_found() -> None:
    base = fresh("pfx-")
    values = [base + suffix for suffix in ("", "1", "22", "333")]
    remember_secret(*values)
    text = redact(" ".join(reversed(values)))
    assert text == " ".join([MASK] * 4)


def test_many_remembered_values_are_all_still_masked() -> None:
    values = [fresh() for _ in range(5_000)]
    remember_secret(*values)
    for value in (values[0], values[2_500], values[-1]):
        assert redact(f"error: {value}!") == f"error: {MASK}!"


def test_patterns_still_apply_after_values() -> None:
    value = fresh()
    remember_secret(value)
    text = redact(f"Authorization: Bearer abcdefghijklmnopqrstu {value} ?state=zzz&code=yyy")
    assert "abcdefghijklmnopqrstu" not in text and value not in text
    assert "state=[redacted]" in text and "code=[redacted]" in text


def test_redact_text_is_the_log_redaction() -> None:
    value = fresh()
    remember_secret(value)
    assert redact_text(f"proxy said: {value}") == f"proxy said: {MASK}"
    assert redact_text("client_secret=hunter22") == "client_secret=[redacted]"
