"""One listener, many sign-ins: each callback goes to the authorization its state names, each
authorization has a launch address of its own, and a wait that ended leaves its authorization
listening until it is forgotten (the flow forgets it when its link expires)."""

from __future__ import annotations

import asyncio

import pytest

from tests.helpers.listener import GRANT, PATH, genuine_query, get
from wizard.listener.listener import CallbackListener, ListenerTimeout
from wizard.listener.redirect_uri import LoopbackRedirectUri
from wizard.listener.verdict import Accepted, Resolution

pytestmark = pytest.mark.anyio

FIRST, SECOND = "state-of-the-first-customer-0001", "state-of-the-second-customer-002"


async def accept(callback: object) -> Resolution:
    grant_id = getattr(callback, "grant_id", "")
    return Accepted(grant_id, "zoom", True)


def listener() -> CallbackListener:
    return CallbackListener(LoopbackRedirectUri("127.0.0.1", 0, PATH))


async def test_callbacks_go_to_the_authorization_their_state_names() -> None:
    async with listener() as shared:
        first = shared.expect(FIRST, resolve=accept)
        second = shared.expect(SECOND, resolve=accept)
        waits = [asyncio.ensure_future(p.wait(5)) for p in (second, first)]
        answer = await get(shared.port, f"{PATH}?{genuine_query('grant-of-first', FIRST)}")
        assert answer.status == 200
        assert (await waits[1]).grant_id == "grant-of-first"
        assert not waits[0].done()  # the second customer's wait goes on
        await get(shared.port, f"{PATH}?{genuine_query('grant-of-second', SECOND)}")
        assert (await waits[0]).grant_id == "grant-of-second"


async def test_a_wait_that_ended_keeps_its_authorization_listening() -> None:
    async with listener() as shared:
        late = shared.expect(FIRST, resolve=accept)
        with pytest.raises(ListenerTimeout):
            await late.wait(0.05)  # Stop waiting, or a timeout
        assert not late.attended and not late.done
        outcome = asyncio.ensure_future(late.outcome())
        answer = await get(shared.port, f"{PATH}?{genuine_query(GRANT, FIRST)}")
        assert answer.status == 200 and "Zoom is connected" in answer.text
        captured = await outcome
        assert not isinstance(captured, Exception) and captured.grant_id == GRANT
        shared.forget(late)
        again = await get(shared.port, f"{PATH}?{genuine_query(GRANT, FIRST)}")
        assert again.status == 400  # forgotten: another request's now


async def test_each_authorization_has_its_own_launch_address() -> None:
    async with listener() as shared:
        first = shared.expect(FIRST, resolve=accept, launch_target="https://nylas.example/a")
        second = shared.expect(SECOND, resolve=accept, launch_target="https://nylas.example/b")
        urls = [shared.launch_url_for(p) for p in (first, second)]
        assert all(u and u.startswith(f"http://127.0.0.1:{shared.port}{PATH}/start/") for u in urls)
        assert urls[0] != urls[1]
        paths = [u.split(str(shared.port), 1)[1] for u in urls if u]
        answers = [await get(shared.port, path) for path in paths]
        assert [a.headers["location"] for a in answers] == [
            "https://nylas.example/a",
            "https://nylas.example/b",
        ]
        assert first.reached.is_set() and second.reached.is_set()
        unknown = await get(shared.port, f"{PATH}/start/not-a-key")
        bare = await get(shared.port, f"{PATH}/start")
    assert unknown.status == 404 and bare.status == 404


async def test_without_state_only_a_single_waited_authorization_can_be_asked() -> None:
    async with listener() as shared:
        first = shared.expect(FIRST, resolve=accept)
        second = shared.expect(SECOND, resolve=accept)
        waits = [asyncio.ensure_future(p.wait(5)) for p in (first, second)]
        await asyncio.sleep(0)
        answer = await get(shared.port, f"{PATH}?{genuine_query(GRANT, None)}")
        assert answer.status == 400  # two are waited for: it cannot say whose
        assert not any(w.done() for w in waits)
        for wait in waits:
            wait.cancel()


async def test_a_state_expected_twice_is_refused() -> None:
    shared = listener()
    shared.expect(FIRST)
    with pytest.raises(ValueError, match="already expected"):
        shared.expect(FIRST)
