"""Fuzz: the Nylas client against random, truncated and pathological JSON bodies and any status
code, served over real sockets by the sandbox's fault injection (Fault(kind="body")).

Property: every call ends in a valid result or a typed NylasError, never another exception.
One sandbox and one client serve all examples (see tests/helpers/fuzz.py for the pattern).
Seeded quick set; bench/fuzz.py runs the same property for 10,000+ cases.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, event, given, settings

from tests.helpers.fuzz import CLIENT_CASES, ClientTarget, check_client_call

pytestmark = pytest.mark.anyio


@pytest.fixture
async def target() -> AsyncIterator[ClientTarget]:
    target = ClientTarget()
    await target.start()
    yield target
    await target.finish()


@settings(
    max_examples=100,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=CLIENT_CASES)
async def test_every_answer_ends_in_a_result_or_a_typed_error(
    target: ClientTarget, case: tuple[str, int, bytes]
) -> None:
    event(await check_client_call(target, *case))
