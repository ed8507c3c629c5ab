"""The launch address: the browser opens the listener first, which sends it to the sign-in link.

It is what proves a browser opened (the sign-in pages are on Nylas and Zoom, so otherwise the
listener hears nothing until the callback), and it keeps `&` out of the URL given to the OS.
"""

from __future__ import annotations

import pytest

from tests.helpers.listener import exchange, get, make_listener, request_bytes

pytestmark = pytest.mark.anyio

SIGN_IN = "https://beta.us.nylas.com/connect/login?id=abc&x=1"


async def test_launch_redirects_to_the_sign_in_link_and_proves_the_browser() -> None:
    async with make_listener(launch_target=SIGN_IN) as listener:
        assert listener.launch_url == f"http://127.0.0.1:{listener.port}/callback/start"
        assert "&" not in listener.launch_url
        assert not listener.reached.is_set()
        answer = await get(listener.port, "/callback/start")
        assert answer.status == 302
        assert answer.headers["location"] == SIGN_IN
        assert listener.reached.is_set()


async def test_launch_wants_get_and_this_host() -> None:
    async with make_listener(launch_target=SIGN_IN) as listener:
        post = await exchange(
            listener.port, request_bytes(listener.port, "/callback/start", method="POST")
        )
        foreign = await get(listener.port, "/callback/start", host=f"evil.example:{listener.port}")
    assert post.status == 405
    assert foreign.status == 400
    assert "location" not in foreign.headers


async def test_without_a_target_there_is_no_launch_address() -> None:
    async with make_listener() as listener:
        assert listener.launch_url is None
        answer = await get(listener.port, "/callback/start")
    assert answer.status == 404
