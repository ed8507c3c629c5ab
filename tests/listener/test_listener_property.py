"""Property: whatever arrives, the listener never crashes and accepts only the genuine callback.

Seeded (derandomize=True), so a failure reproduces on every machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from urllib.parse import quote

from hypothesis import HealthCheck, event, given, settings, strategies as st

from tests.helpers.fuzz import KNOWN_KEYS, ErrorLog
from tests.helpers.listener import (
    GRANT,
    PATH,
    STATE,
    cancelled,
    exchange,
    genuine_query,
    grant_resolver,
    make_listener,
    port_is_free,
    request_bytes,
    send_until_closed,
    stateless_forgery,
)
from wizard.http.server import ServerLimits
from wizard.listener.listener import CallbackRefused, CapturedGrant

LIMITS = ServerLimits(read_timeout=0.3, max_header_bytes=8 * 1024, max_body_bytes=1024)
SETTINGS = settings(
    max_examples=50,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

KEYS = [*KNOWN_KEYS, "x", "Success", "grant_id "]
VALUES = st.one_of(
    st.sampled_from(
        [
            "true",
            "TRUE",
            "false",
            "zoom",
            "google",
            GRANT,
            STATE,
            "",
            "oauth_failed",
            STATE + "x",
            "<script>",
            "%FF",
            "é",
        ]
    ),
    st.text(max_size=20),
)
BASES: list[list[tuple[str, str]]] = [
    [("success", "true"), ("provider", "zoom"), ("grant_id", GRANT), ("state", STATE)],
    [("success", "true"), ("provider", "zoom"), ("grant_id", GRANT)],
    [
        ("error", "oauth_failed"),
        ("error_code", "45002"),
        ("error_description", "no"),
        ("state", STATE),
    ],
    [("success", "false"), ("error", "access_denied")],
    [],
]


@st.composite
def query_pairs(draw: st.DrawFn) -> list[tuple[str, str]]:
    """A genuine, stateless, error or empty callback, then mutated: drop, change, add, shuffle."""
    base = draw(st.sampled_from(BASES))
    dropped = draw(st.sets(st.integers(0, 3), max_size=2))
    pairs = [pair for i, pair in enumerate(base) if i not in dropped]
    changes = draw(st.lists(st.tuples(st.integers(0, 5), VALUES), max_size=2))
    for index, value in changes:
        if index < len(pairs):
            pairs[index] = (pairs[index][0], value)
    pairs += draw(st.lists(st.tuples(st.sampled_from(KEYS), VALUES), max_size=2))
    return draw(st.permutations(pairs))


PAIRS = query_pairs()
TAILS = st.sampled_from(["", "", "", "", "", "&", "&&state", "#frag", "&=&=", "%", "+"])


def build(pairs: list[tuple[str, str]], raw_tail: str) -> str:
    query = "&".join(f"{quote(k)}={quote(v) if v != '%FF' else v}" for k, v in pairs)
    return query + raw_tail


def expected_outcome(pairs: list[tuple[str, str]], raw_tail: str) -> str:
    """The oracle, written from the contract rather than from the parser."""
    if raw_tail:
        return "unknown"  # raw junk appended: only "never a grant unless genuine" is checked
    known = [k for k, _ in pairs if k in KEYS[:7]]
    if len(known) != len(set(known)):
        return "none"
    if any(v == "%FF" for _, v in pairs):
        return "none"  # not UTF-8: nothing in it can be trusted
    params = dict(pairs)
    state = params.get("state")
    if "error" in params:
        # Without the state anyone could have sent it: ignored, the wait goes on.
        return "refused" if state == STATE else "none"
    genuine = (
        params.get("success", "").lower() == "true"
        and params.get("provider") == "zoom"
        and re.fullmatch(r"[A-Za-z0-9_-]{8,128}", params.get("grant_id", "")) is not None
        and state == STATE
    )
    return "grant" if genuine else "none"


async def run_query(query: str) -> tuple[str, str | None, int]:
    captured: list[CapturedGrant] = []

    async def on_grant(grant: CapturedGrant) -> None:
        captured.append(grant)

    listener = make_listener(
        resolve=grant_resolver(stateless_forgery), on_grant=on_grant, limits=LIMITS
    )
    await listener.start()
    port = listener.port
    task = asyncio.create_task(listener.wait(5))
    try:
        response = await exchange(port, request_bytes(port, f"{PATH}?{query}"))
        assert response.status in (200, 400), response.status
        if response.status == 400:
            await asyncio.sleep(0)
            assert not task.done()
            assert not captured
            return "none", None, port
        if "Zoom is connected" in response.text:
            grant = await asyncio.wait_for(task, 3)
            assert captured == [grant]
            assert grant.state_echoed
            return "grant", grant.grant_id, port
        assert "Zoom was not connected" in response.text
        try:
            await asyncio.wait_for(task, 3)
        except CallbackRefused:
            assert not captured
            return "refused", None, port
        raise AssertionError("a refused page, but the wait did not end refused")
    finally:
        await cancelled(task)


@SETTINGS
@given(pairs=PAIRS, raw_tail=TAILS)
def test_random_queries_accept_only_the_genuine_callback(
    pairs: list[tuple[str, str]], raw_tail: str
) -> None:
    query = build(pairs, raw_tail)
    outcome, grant_id, port = asyncio.run(run_query(query))
    want = expected_outcome(pairs, raw_tail)
    event(f"outcome={outcome}, expected={want}")
    if want != "unknown":
        assert outcome == want, query
    if outcome == "grant":
        assert f"state={STATE}" in query
        assert f"grant_id={grant_id}" in query
    assert port_is_free(port)


async def run_raw(data: bytes) -> int:
    listener = make_listener(resolve=grant_resolver(stateless_forgery), limits=LIMITS)
    await listener.start()
    port = listener.port
    task = asyncio.create_task(listener.wait(5))
    try:
        with ErrorLog() as errors:
            # A reset or a slow close is fine for junk; a handler crash is logged, not raised.
            with contextlib.suppress(OSError, TimeoutError):
                await send_until_closed(port, data, timeout=2, eof=True)
            assert not errors.take(), "the listener's handler crashed on these bytes"
        assert not task.done(), "raw bytes ended the wait"
        # The listener is unharmed: the genuine callback still wins.
        response = await exchange(port, request_bytes(port, f"{PATH}?{genuine_query()}"))
        assert response.status == 200
        assert (await asyncio.wait_for(task, 3)).grant_id == GRANT
    finally:
        await cancelled(task)
    return port


PREFIXES = [
    b"",
    b"GET ",
    b"GET /callback?",
    b"GET /callback HTTP/1.1\r\n",
    b"\x16\x03\x01",
    b"POST /callback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\n",
]


@SETTINGS
@given(
    prefix=st.sampled_from(PREFIXES),
    body=st.binary(max_size=300),
    end=st.sampled_from([b"", b"\r\n\r\n", b" HTTP/1.1\r\n\r\n"]),
)
def test_random_bytes_never_end_the_wait(prefix: bytes, body: bytes, end: bytes) -> None:
    port = asyncio.run(run_raw(prefix + body + end))
    assert port_is_free(port)
