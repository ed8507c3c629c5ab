"""Fuzz: the loopback listener over real sockets, fed structured requests (method, target,
Host, headers, framing, pipelining, junk) and raw bytes.

Properties: never a crash (no ERROR logged by the server), every answer valid HTTP/1.1,
well-formed requests get exactly the contract's status, and only a callback carrying this
request's state ends the wait. One listener serves all examples of a test (see
tests/helpers/fuzz.py for the pattern: anyio runs every example on the loop that holds the
async fixture); the fixture's teardown checks the genuine callback is still accepted and every
port is free. Seeded quick set; bench/fuzz.py runs the same properties for 10,000+ cases.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, event, given, settings

from tests.helpers.fuzz import (
    JUNK_TAILS,
    PIPELINES,
    RAW_BYTES,
    FuzzRequest,
    ListenerTarget,
    check_raw_bytes,
    check_request_pipeline,
)

pytestmark = pytest.mark.anyio

# function_scoped_fixture: on purpose, the listener outlives the examples (checked at teardown).
SETTINGS = settings(
    max_examples=100,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(params=["127.0.0.1", "localhost"])
async def target(request: pytest.FixtureRequest) -> AsyncIterator[ListenerTarget]:
    target = ListenerTarget(request.param)
    await target.start()
    yield target
    await target.finish()


@SETTINGS
@given(requests=PIPELINES, junk=JUNK_TAILS)
async def test_requests_get_the_contract_answer_and_only_the_genuine_one_ends_the_wait(
    target: ListenerTarget, requests: list[FuzzRequest], junk: bytes
) -> None:
    event(await check_request_pipeline(target, requests, junk))


@SETTINGS
@given(raw=RAW_BYTES)
async def test_raw_bytes_never_end_the_wait(
    target: ListenerTarget, raw: tuple[bytes, bytes, bytes]
) -> None:
    event(await check_raw_bytes(target, *raw))


async def test_the_target_renews_the_listener_after_a_genuine_callback(
    target: ListenerTarget,
) -> None:
    """The harness itself: a genuine example ends the wait, the port is freed, a new one runs."""
    genuine = FuzzRequest(
        method="GET",
        path="/callback",
        query="success=true&provider=zoom&grant_id=0b6f3c1e-5a7d-4e0b-9c2f-1d3e5f7a9b11"
        "&state=s3cr3t-state-Xq9fTz2Lw0",
        version="HTTP/1.1",
        hosts=("127.0.0.1:{port}",),
        headers=(),
        body=b"",
        chunked=False,
        close=False,
    )
    first = target.port
    assert await check_request_pipeline(target, [genuine], b"") == "grant"
    assert target.renewals == 1 and target.port != first
