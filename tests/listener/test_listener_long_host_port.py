"""Regressions found by bench/fuzz.py: ports with more digits than int() converts (4300).

A Host header whose port had that many digits (leading zeros) made the DNS-rebinding check
raise ValueError inside the request handler: the server logged a crash and dropped the
connection without an answer. It is now an ordinary refused Host (400). The same port typed
into the redirect URI gave a bare ValueError instead of InvalidRedirectUri."""

from __future__ import annotations

import logging

import pytest

from tests.helpers.listener import (
    GRANT,
    PATH,
    exchange,
    genuine_query,
    make_listener,
    request_bytes,
)
from wizard.listener.redirect_uri import InvalidRedirectUri, LoopbackRedirectUri

pytestmark = pytest.mark.anyio

LONG_ZEROS = "0" * 5000


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_a_port_beyond_int_limits_is_compared_without_raising(host: str) -> None:
    uri = LoopbackRedirectUri(host, 9007)
    name = "[::1]" if host == "::1" else host
    assert uri.accepts_host_header(f"{name}:{LONG_ZEROS}9007")
    assert not uri.accepts_host_header(f"{name}:{LONG_ZEROS}9008")
    assert not uri.accepts_host_header(f"{name}:{'9' * 5000}")
    assert uri.accepts_host_header(f"{name}:09007")


@pytest.mark.parametrize("port_text", ["{zeros}1", "{nines}"])
async def test_the_listener_answers_400_and_logs_no_crash(
    port_text: str, caplog: pytest.LogCaptureFixture
) -> None:
    listener = make_listener()
    await listener.start()
    try:
        host = "127.0.0.1:" + port_text.format(zeros=LONG_ZEROS, nines="9" * 5000)
        with caplog.at_level(logging.ERROR, logger="wizard"):
            response = await exchange(
                listener.port,
                request_bytes(listener.port, f"{PATH}?{genuine_query()}", host=host),
            )
        assert response.status == 400
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
        # Still waiting, and the genuine callback still wins.
        ok = await exchange(
            listener.port, request_bytes(listener.port, f"{PATH}?{genuine_query()}")
        )
        assert ok.status == 200
        assert (await listener.wait(3)).grant_id == GRANT
    finally:
        await listener.close()


@pytest.mark.parametrize("port", ["9" * 5000, "1" + LONG_ZEROS, "123456"])
def test_a_typed_port_with_too_many_digits_is_refused_with_advice(port: str) -> None:
    """Same class, found by the LoopbackRedirectUri.parse fuzzer: the operator's text gave a
    bare ValueError with Python's int-limit message instead of InvalidRedirectUri."""
    with pytest.raises(InvalidRedirectUri, match="does not exist: use a port from 1024 to 65535"):
        LoopbackRedirectUri.parse(f"http://localhost:{port}/callback")


def test_leading_zeros_of_any_length_still_name_the_port() -> None:
    uri = LoopbackRedirectUri.parse(f"http://localhost:{LONG_ZEROS}9007/callback")
    assert uri.port == 9007 and str(uri) == "http://localhost:9007/callback"
