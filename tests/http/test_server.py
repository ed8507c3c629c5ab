"""The h11 server core on its own, with raw sockets."""

from __future__ import annotations

import asyncio
import socket

import pytest

from wizard.http.server import DropConnection, HttpServer, Request, Response, ServerLimits

pytestmark = pytest.mark.anyio


async def echo(request: Request) -> Response:
    if request.path == "/drop":
        raise DropConnection
    return Response.text(200, f"{request.method} {request.path} body={len(request.body)}")


async def exchange(port: int, *chunks: bytes, pause: float = 0.0) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for chunk in chunks:
        writer.write(chunk)
        await writer.drain()
        await asyncio.sleep(pause)
    try:
        data = await asyncio.wait_for(reader.read(), 5)
    except ConnectionResetError:  # a dropped connection is reset, leaving nothing on the port
        data = b""
    writer.close()
    return data


async def test_a_body_arriving_with_the_head_does_not_count_against_the_head_limit() -> None:
    head = (
        b"POST / HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: 4000\r\n"
        b"x-pad: " + b"a" * 14_900 + b"\r\n\r\n"
    )
    async with HttpServer(echo, ["127.0.0.1"], 0) as server:
        assert server.bound_port is not None
        answer = await exchange(server.bound_port, head[:100], head[100:] + b"b" * 4000, pause=0.05)
    assert answer.startswith(b"HTTP/1.1 200")
    assert answer.endswith(b"body=4000")


async def test_oversized_head_is_431_even_when_it_trickles_in() -> None:
    head = b"GET / HTTP/1.1\r\nhost: x\r\nx-pad: " + b"a" * 20_000 + b"\r\n\r\n"
    async with HttpServer(echo, ["127.0.0.1"], 0) as server:
        assert server.bound_port is not None
        answer = await exchange(server.bound_port, head[:100], head[100:], pause=0.05)
    assert answer.startswith(b"HTTP/1.1 431")


async def test_oversized_body_is_413() -> None:
    request = b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 70000\r\n\r\n" + b"b" * 70_000
    async with HttpServer(echo, ["127.0.0.1"], 0) as server:
        assert server.bound_port is not None
        answer = await exchange(server.bound_port, request)
    assert answer.startswith(b"HTTP/1.1 413")


async def test_malformed_request_is_400_and_keep_alive_serves_two_requests() -> None:
    async with HttpServer(echo, ["127.0.0.1"], 0) as server:
        assert server.bound_port is not None
        bad = await exchange(server.bound_port, b"NOT HTTP AT ALL\r\n\r\n")
        two = await exchange(
            server.bound_port,
            b"GET /a HTTP/1.1\r\nhost: x\r\n\r\n"
            b"GET /b HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        )
    assert bad.startswith(b"HTTP/1.1 400")
    assert b"GET /a" in two and b"GET /b" in two


async def test_head_gets_headers_only_and_drop_closes_without_an_answer() -> None:
    async with HttpServer(echo, ["127.0.0.1"], 0) as server:
        assert server.bound_port is not None
        head = await exchange(
            server.bound_port, b"HEAD / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
        )
        dropped = await exchange(server.bound_port, b"GET /drop HTTP/1.1\r\nhost: x\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and head.endswith(b"\r\n\r\n")
    assert dropped == b""


async def test_idle_socket_is_dropped_and_close_frees_the_port() -> None:
    server = HttpServer(echo, ["127.0.0.1"], 0, ServerLimits(read_timeout=0.2))
    await server.start()
    port = server.bound_port
    assert port is not None
    idle = await exchange(port)  # sends nothing
    lingering = await asyncio.open_connection("127.0.0.1", port)
    await server.close()
    lingering[1].close()
    assert idle == b""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))
