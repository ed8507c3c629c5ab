"""Free loopback ports, and the loopback redirect URIs built on them."""

from __future__ import annotations

import socket

from wizard.listener.redirect_uri import LoopbackRedirectUri


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def loopback_uri(port: int | None = None, host: str = "127.0.0.1") -> LoopbackRedirectUri:
    return LoopbackRedirectUri.parse(f"http://{host}:{port or free_port()}/callback")
