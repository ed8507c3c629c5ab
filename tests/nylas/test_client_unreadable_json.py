"""Regression (found by tests/nylas/test_client_fuzz.py): answers that json.loads cannot even finish
reading must end as typed errors. A number longer than Python's int conversion limit raised
ValueError, and nesting deeper than the recursion limit raised RecursionError, straight out of
the client instead of NylasProtocolError / NylasApiError."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from pydantic import SecretStr

from wizard.nylas.client import NO_RETRY, NylasConnectClient
from wizard.nylas.errors import NylasProtocolError, ServerError
from wizard.sandbox import Fault, SandboxServer

pytestmark = pytest.mark.anyio

UNREADABLE = {
    "number beyond the int digit limit": b'{"data": ' + b"9" * 5000 + b"}",
    "nesting beyond the recursion limit": b"[" * 100_000,
    "nested envelope beyond the recursion limit": b'{"data":' * 50_000,
}


@pytest.fixture
async def client() -> AsyncIterator[tuple[SandboxServer, NylasConnectClient]]:
    async with SandboxServer() as sandbox:
        creds = sandbox.credentials
        client = NylasConnectClient(
            sandbox.url,
            creds.nylas_client_id,
            SecretStr(creds.nylas_client_secret),
            retry=NO_RETRY,
        )
        async with client:
            yield sandbox, client


@pytest.fixture(params=list(UNREADABLE.values()), ids=list(UNREADABLE))
def unreadable(
    client: tuple[SandboxServer, NylasConnectClient], request: pytest.FixtureRequest
) -> Callable[[int], NylasConnectClient]:
    """The client, once the sandbox's next answer is given the status and one of the bodies."""

    def answering(status: int) -> NylasConnectClient:
        sandbox, api = client
        sandbox.faults.add(Fault(kind="body", status=status, body=request.param))
        return api

    return answering


async def test_an_unreadable_success_answer_is_a_protocol_error(
    unreadable: Callable[[int], NylasConnectClient],
) -> None:
    with pytest.raises(NylasProtocolError, match="without the documented JSON envelope"):
        await unreadable(200).get_grant("0b6f3c1e-5a7d-4e0b-9c2f-1d3e5f7a9b11")


async def test_an_unreadable_error_answer_keeps_its_status(
    unreadable: Callable[[int], NylasConnectClient],
) -> None:
    with pytest.raises(ServerError) as raised:
        await unreadable(502).integrations.list()
    assert raised.value.http_status == 502
