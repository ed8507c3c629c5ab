"""Free loopback ports, and the loopback redirect URIs built on them."""

from __future__ import annotations

import socket

from wizard.listener.redirect_uri import LoopbackRedirectUri


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def squat(port: int) -> socket.socket:
    """Another program listening on `port` of 127.0.0.1 until the socket is closed (it is a
    context manager too)."""
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", port))
    squatter.listen()
    return squatter


def loopback_uri(port: int | None = None, host: str = "127.0.0.1") -> LoopbackRedirectUri:
    return LoopbackRedirectUri.parse(f"http://{host}:{port or free_port()}/callback")
