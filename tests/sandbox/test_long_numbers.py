"""Regression: `limit` or `offset` with more digits than int() converts (4300) made the sandbox
answer 500 "a bug in the sandbox" and log a traceback; it is the documented 400 now, and
leading zeros of any length still name the number."""

from __future__ import annotations

import logging

import httpx
import pytest

from wizard.nylas.client import basic_auth_header
from wizard.sandbox import SandboxServer

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("name", "value"),
    [("limit", "9" * 5000), ("offset", "9" * 5000), ("limit", "0" * 5000 + "999")],
    ids=["limit-5000-nines", "offset-5000-nines", "limit-999-after-5000-zeros"],
)
async def test_a_huge_paging_number_is_a_400_with_the_rule(
    name: str, value: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with SandboxServer() as sandbox:
        creds = sandbox.credentials
        auth = basic_auth_header(creds.nylas_client_id, creds.nylas_client_secret)
        async with httpx.AsyncClient(trust_env=False) as http:
            with caplog.at_level(logging.ERROR):
                answer = await http.get(
                    f"{sandbox.url}/connect/grants",
                    params={name: value},
                    headers={"authorization": auth},
                )
    assert answer.status_code == 400
    message = answer.json()["error"]["message"]
    assert f"'{name}' must be a whole number" in message and len(message) < 200
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_leading_zeros_of_any_length_still_name_the_number() -> None:
    async with SandboxServer() as sandbox:
        creds = sandbox.credentials
        auth = basic_auth_header(creds.nylas_client_id, creds.nylas_client_secret)
        async with httpx.AsyncClient(trust_env=False) as http:
            answer = await http.get(
                f"{sandbox.url}/connect/grants",
                params={"limit": "0" * 5000 + "5"},
                headers={"authorization": auth},
            )
    assert answer.status_code == 200
