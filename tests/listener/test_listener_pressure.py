"""A crowded machine: many sockets and junk callbacks must not shut out the real browser."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from tests.helpers.listener import (
    GRANT,
    PATH,
    STATE,
    cancelled,
    genuine_query,
    get,
    grant_resolver,
    make_listener,
)
from wizard.http.server import ServerLimits
from wizard.listener.callback import GrantCallback
from wizard.listener.listener import CapturedGrant

pytestmark = pytest.mark.anyio

CAP = 40
LIMITS = ServerLimits(read_timeout=30.0, max_connections=CAP, keep_alive=True)


async def _crowd(port: int, count: int, trickle: bool) -> list[asyncio.StreamWriter]:
    writers = []
    for _ in range(count):
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        if trickle:  # a request head that never ends, one byte at a time
            writer.write(b"G")
            await writer.drain()
        writers.append(writer)
    return writers


async def _close(writers: list[asyncio.StreamWriter]) -> None:
    for writer in writers:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def test_idle_and_trickling_crowds_are_shed_for_the_genuine_callback() -> None:
    captured: list[CapturedGrant] = []

    async def on_grant(grant: CapturedGrant) -> None:
        captured.append(grant)

    listener = make_listener(limits=LIMITS, on_grant=on_grant)
    await listener.start()
    task = asyncio.create_task(listener.wait(20))
    crowd = await _crowd(listener.port, CAP // 2, trickle=False)
    crowd += await _crowd(listener.port, CAP, trickle=True)
    await asyncio.sleep(0.1)  # let the server accept them all
    try:
        response = await asyncio.wait_for(get(listener.port, f"{PATH}?{genuine_query()}"), 5)
        assert response.status == 200, response.text
        grant = await asyncio.wait_for(task, 5)
        assert grant.grant_id == GRANT and captured == [grant]
    finally:
        await _close(crowd)
        await cancelled(task)


async def test_junk_stateless_callbacks_cost_a_bounded_number_of_lookups() -> None:
    lookups = 0

    async def verify(callback: GrantCallback) -> bool:
        nonlocal lookups
        lookups += 1
        return False

    listener = make_listener(resolve=grant_resolver(verify))
    await listener.start()
    task = asyncio.create_task(listener.wait(20))
    try:
        for i in range(200):
            junk = genuine_query(grant=f"forged-grant-{i:06d}", state=None)
            response = await get(listener.port, f"{PATH}?{junk}")
            assert response.status == 400
        assert lookups == listener.MAX_STATELESS_LOOKUPS
        # The genuine callback still wins after the junk.
        response = await get(listener.port, f"{PATH}?{genuine_query(state=STATE)}")
        assert response.status == 200
        assert (await asyncio.wait_for(task, 5)).grant_id == GRANT
    finally:
        await cancelled(task)
