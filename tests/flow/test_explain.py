"""explain() words errors for both front ends; what it returns is redacted like the log."""

from __future__ import annotations

import secrets

from wizard.flow.explain import explain
from wizard.logs import MASK, remember_secret
from wizard.nylas.errors import AuthenticationFailed, NylasApiError, NylasNetworkError


def test_an_api_error_echoing_a_remembered_secret_is_redacted() -> None:
    secret = "echo-" + secrets.token_hex(12)
    remember_secret(secret)
    exc = NylasApiError(
        f"invalid client secret {secret}",
        type=f"bad_{secret}",
        http_status=400,
        request_id="req-1",
    )
    assert secret in str(exc)  # the raw error carries it, as a proxy's echo would
    words = explain(exc)
    for part in (words.type, words.message, words.hint, words.text()):
        assert secret not in part
    assert f"invalid client secret {MASK}" in words.message
    assert "HTTP 400" in words.message


def test_a_subclass_and_its_own_hint_are_redacted_too() -> None:
    secret = "hint-" + secrets.token_hex(12)
    remember_secret(secret)
    exc = AuthenticationFailed("denied", type="unauthorized", http_status=401, hint=f"use {secret}")
    words = explain(exc)
    assert secret not in words.text()
    assert words.hint == f"use {MASK}"


def test_secret_shapes_are_masked_without_being_remembered() -> None:
    # The shape of a query string with a client secret, from a proxy's error page.
    exc = NylasNetworkError(
        "proxy refused https://x/?client_secret=unregistered-value",
        kind="proxy",
        sent=False,
        hint="Check the proxy.",
    )
    words = explain(exc)
    assert "unregistered-value" not in words.message
    assert "client_secret=[redacted]" in words.message


def test_an_ordinary_error_is_worded_as_before() -> None:
    words = explain(ValueError("account id is empty"))
    assert (words.type, words.message) == ("invalid_input", "account id is empty")


def test_the_shared_words_name_no_button_of_the_window() -> None:
    # The command line and the queue's "Why" column show these too: no "use Try again".
    from wizard.flow.backend import unfinished_hint
    from wizard.listener.listener import CallbackRefused, ListenerTimeout

    words = [
        explain(CallbackRefused("access_denied", None, "The user declined")).text(),
        explain(CallbackRefused("invalid_client", "4702", "Invalid client")).text(),
        explain(ListenerTimeout("No answer from the browser within 5 seconds.")).text(),
        unfinished_hint("https://api.us.nylas.com/v3/connect/callback", "the application"),
    ]
    for text in words:
        assert "Try again" not in text and "send the new link" not in text, text
