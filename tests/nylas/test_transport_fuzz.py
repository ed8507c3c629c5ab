"""Fuzz: both APIs' decoders behind the one transport (wizard/nylas/transport.py), fed any
status and any JSON-ish body directly, without sockets (the transport's own path is fuzzed over
real sockets in test_client_fuzz.py). Property: a decoder returns data or raises a typed
NylasError, never another exception, for every method and path it serves."""

from __future__ import annotations

import json

import httpx
from hypothesis import given, settings, strategies as st

from wizard.nylas import client as connect_client, v3 as v3_client
from wizard.nylas.errors import NylasError
from wizard.nylas.transport import json_or_none

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["data", "error", "success", "type", "message", "request_id", "x"])
            | st.text(max_size=8),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)
BODIES = JSON.map(lambda value: json.dumps(value).encode()) | st.binary(max_size=60)
CALLS = st.sampled_from(
    [
        ("GET", "/v3/grants"),
        ("GET", "/v3/grants/g-1"),
        ("POST", "/v3/connect/token"),
        ("DELETE", "/v3/grants/g-1"),
        ("GET", "/connect/integrations"),
        ("POST", "/connect/auth"),
        ("DELETE", "/connect/grants/g-1"),
    ]
)


def answer(status: int, body: bytes) -> httpx.Response:
    return httpx.Response(
        status,
        content=body,
        headers={"content-type": "application/json", "retry-after": "1", "x-request-id": "r"},
    )


@settings(max_examples=300, derandomize=True, deadline=None, database=None)
@given(status=st.integers(100, 599), body=BODIES, call=CALLS)
def test_a_decoder_ends_in_data_or_a_typed_error(
    status: int, body: bytes, call: tuple[str, str]
) -> None:
    method, path = call
    decode = v3_client._decode if path.startswith("/v3/") else connect_client._decode
    response = answer(status, body)
    try:
        decode(method, path, response, json_or_none(response))
    except NylasError:
        return
    # Only a success gives data (whose shape parse() then checks, with a NylasProtocolError).
    assert response.is_success
