"""LoopbackRedirectUri: every bad input gets its own message; the Host policy."""

from __future__ import annotations

import socket

import pytest

from wizard.listener import redirect_uri as module
from wizard.listener.redirect_uri import InvalidRedirectUri, LoopbackRedirectUri


@pytest.mark.parametrize(
    ("text", "host", "port", "path", "canonical"),
    [
        ("http://localhost:9007/callback", "localhost", 9007, "/callback", None),
        ("http://127.0.0.1:9007/callback", "127.0.0.1", 9007, "/callback", None),
        ("http://[::1]:9007/callback", "::1", 9007, "/callback", None),
        (
            "  HTTP://LocalHost:1024/cb/zoom-1_x.y~z\n",
            "localhost",
            1024,
            "/cb/zoom-1_x.y~z",
            "http://localhost:1024/cb/zoom-1_x.y~z",
        ),
        ("http://localhost:65535", "localhost", 65535, "/", "http://localhost:65535/"),
    ],
)
def test_parse_accepts(text: str, host: str, port: int, path: str, canonical: str | None) -> None:
    uri = LoopbackRedirectUri.parse(text)
    assert (uri.host, uri.port, uri.path) == (host, port, path)
    assert str(uri) == (canonical or text)
    assert LoopbackRedirectUri.parse(str(uri)) == uri


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("localhost:9007/callback", "must start with http://"),
        ("https://localhost:9007/callback", "not https://"),
        ("ftp://localhost:9007/callback", "found ftp://"),
        ("http://0.0.0.0:9007/callback", "0.0.0.0 means every network interface"),
        ("http://[::]:9007/callback", "[::] means every network interface"),
        ("http://example.com:9007/callback", "'example.com' is not allowed"),
        ("http://127.0.0.2:9007/callback", "'127.0.0.2' is not allowed"),
        ("http://192.168.1.10:9007/callback", "must be localhost, 127.0.0.1 or [::1]"),
        ("http://:9007/callback", "the host is missing"),
        ("http://::1:9007/callback", "must be in brackets"),
        ("http://[::1:9007/callback", "missing its closing ]"),
        ("http://localhost/callback", "explicit port"),
        ("http://localhost:/callback", "explicit port"),
        ("http://[::1]/callback", "explicit port"),
        ("http://localhost:abc/callback", "not a number"),
        ("http://localhost:80/callback", "below 1024"),
        ("http://localhost:0/callback", "below 1024"),
        ("http://localhost:70000/callback", "does not exist"),
        ("http://localhost:9007/callback#frag", "fragment"),
        ("http://user:pw@localhost:9007/callback", "user name or password"),
        ("http://localhost:9007/callback?x=1", "query"),
        ("http://localhost:9007/callback?", "query"),
        ("http://localhost:9007/call back", "spaces"),
        ("http://localhost:9007/a/../callback", "without . or .. segments"),
        ("http://localhost:9007/%63allback", "only letters, digits"),
    ],
)
def test_parse_refuses_with_a_specific_message(text: str, message: str) -> None:
    with pytest.raises(InvalidRedirectUri) as info:
        LoopbackRedirectUri.parse(text)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_constructor_validates_too() -> None:
    with pytest.raises(InvalidRedirectUri):
        LoopbackRedirectUri("0.0.0.0", 9007, "/callback")  # noqa: S104
    with pytest.raises(InvalidRedirectUri):
        LoopbackRedirectUri("localhost", 70000, "/callback")
    with pytest.raises(InvalidRedirectUri):
        LoopbackRedirectUri("localhost", 9007, "callback")
    assert LoopbackRedirectUri("localhost", 0, "/callback").port == 0  # the OS picks


def test_with_port_and_str() -> None:
    uri = LoopbackRedirectUri.parse("http://[::1]:9007/callback")
    moved = uri.with_port(9010)
    assert str(moved) == "http://[::1]:9010/callback"
    assert uri.port == 9007
    assert moved.netloc == "[::1]:9010"


def test_bind_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    assert LoopbackRedirectUri.parse("http://127.0.0.1:9007/cb").bind_hosts() == ["127.0.0.1"]
    assert LoopbackRedirectUri.parse("http://[::1]:9007/cb").bind_hosts() == ["::1"]
    localhost = LoopbackRedirectUri.parse("http://localhost:9007/cb")
    monkeypatch.setattr(module, "_ipv6_loopback_available", lambda: True)
    assert localhost.bind_hosts() == ["127.0.0.1", "::1"]
    monkeypatch.setattr(module, "_ipv6_loopback_available", lambda: False)
    assert localhost.bind_hosts() == ["127.0.0.1"]


def test_ipv6_probe_respects_has_ipv6(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "has_ipv6", False)
    assert module._ipv6_loopback_available() is False


@pytest.mark.parametrize(
    ("uri", "accepted", "refused"),
    [
        (
            "http://localhost:9007/cb",
            ["localhost:9007", "LOCALHOST:9007", "127.0.0.1:9007", "[::1]:9007", " localhost:9007"],
            [
                "localhost",
                "localhost:9008",
                "evil.example:9007",
                "localhost.:9007",
                "127.0.0.1",
                "[::1]",
                "localhost:09007x",
                "[::1]9007",
                "localhost:+9007",
                "localhost:٩٠٠٧",
                "",
                ":9007",
                "127.0.0.2:9007",
                "[::2]:9007",
            ],
        ),
        (
            "http://127.0.0.1:9007/cb",
            ["127.0.0.1:9007"],
            ["localhost:9007", "[::1]:9007", "127.0.0.1:9008", "127.0.0.1"],
        ),
        (
            "http://[::1]:9007/cb",
            ["[::1]:9007"],
            ["localhost:9007", "127.0.0.1:9007", "::1:9007", "[::1]:9008", "[::1]"],
        ),
    ],
)
def test_host_header_policy(uri: str, accepted: list[str], refused: list[str]) -> None:
    parsed = LoopbackRedirectUri.parse(uri)
    for value in accepted:
        assert parsed.accepts_host_header(value), value
    for value in refused:
        assert not parsed.accepts_host_header(value), value
