"""The loopback redirect URI: what may be registered with Nylas and how the listener serves it.

RFC 8252 §7.3/§8.3: plain http on a loopback address with an explicit port. We refuse anything
a browser might rewrite (escapes, dot segments) because the listener matches the path exactly.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass, replace

__all__ = ["InvalidRedirectUri", "LoopbackRedirectUri"]

_HOSTS = ("localhost", "127.0.0.1", "::1")
# Unreserved characters only: a browser sends these back byte for byte.
_PATH_RE = re.compile(r"/[A-Za-z0-9\-._~/]*")
_EXAMPLE = "http://localhost:9007/callback"


class InvalidRedirectUri(ValueError):
    """The text is not a redirect URI this listener can serve; the message says how to fix it."""


MAX_PATH = 1024


def _ipv6_loopback_available() -> bool:
    # has_ipv6 only says Python was built with it; the trial bind says the machine has ::1.
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class LoopbackRedirectUri:
    """`host` is bare: "localhost", "127.0.0.1" or "::1" (brackets only in the text form).

    `port` 0 is allowed here (not in `parse`): the OS picks a port, which the listener then
    reports; a registered URI always has an explicit port.
    """

    host: str
    port: int
    path: str = "/callback"

    def __post_init__(self) -> None:
        if self.host not in _HOSTS:
            raise InvalidRedirectUri(
                f"host {self.host!r} is not a loopback name: use localhost, 127.0.0.1 or ::1"
            )
        if not 0 <= self.port <= 65535:
            raise InvalidRedirectUri(f"port {self.port} is outside 0..65535")
        if len(self.path) > MAX_PATH:
            # The callback's request line (path, code, state) must fit the listener's limits.
            raise InvalidRedirectUri(
                f"the path is {len(self.path)} characters long; at most {MAX_PATH} can be "
                "served: use a short one like /callback"
            )
        if not _PATH_RE.fullmatch(self.path) or _has_dot_segment(self.path):
            raise InvalidRedirectUri(f"path {self.path!r} must start with / and be plain")

    @classmethod
    def parse(cls, text: str) -> LoopbackRedirectUri:
        """Validate a redirect URI as typed by a person; every refusal says what to change."""
        text = text.strip()  # pasted text often carries a newline
        if not text:
            raise InvalidRedirectUri(f"the redirect URI is empty: enter one like {_EXAMPLE}")
        if any(ch.isspace() for ch in text):
            raise InvalidRedirectUri("the redirect URI contains spaces: remove them")
        scheme, sep, rest = text.partition("://")
        scheme = scheme.lower()
        if not sep:
            raise InvalidRedirectUri(f"the redirect URI must start with http://, like {_EXAMPLE}")
        if scheme == "https":
            raise InvalidRedirectUri(
                "the redirect URI must start with http://, not https://: the listener on this "
                "computer does not serve TLS, and browsers allow plain http to loopback "
                f"addresses. Use {_EXAMPLE} and register that exact URI on the integration"
            )
        if scheme != "http":
            raise InvalidRedirectUri(
                f"the redirect URI must start with http:// (found {scheme}://), like {_EXAMPLE}"
            )
        if "#" in text:
            raise InvalidRedirectUri(
                "the redirect URI must not contain a fragment (#...): remove it"
            )
        # Split by hand: urlsplit raises its own terse ValueError on a broken [::1].
        netloc_end = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
        netloc, tail = rest[:netloc_end], rest[netloc_end:]
        path, question, _query = tail.partition("?")
        if "@" in netloc:
            raise InvalidRedirectUri(
                "the redirect URI must not contain a user name or password (user@...): "
                f"remove everything up to and including the @, e.g. {_EXAMPLE}"
            )
        if question:
            raise InvalidRedirectUri(
                "the redirect URI must not contain a query (?...): Nylas adds its own "
                "parameters to it. Remove the part from ? on"
            )
        host, port = _split_netloc(netloc)
        path = path or "/"
        if not _PATH_RE.fullmatch(path) or _has_dot_segment(path):
            raise InvalidRedirectUri(
                f"the path {path!r} may contain only letters, digits, - . _ ~ and /, "
                "without . or .. segments (a browser would rewrite them): use e.g. /callback"
            )
        return cls(host, port, path)

    def bind_hosts(self) -> list[str]:
        """Addresses to listen on: loopback only, never 0.0.0.0 (no firewall prompt)."""
        if self.host == "localhost":
            # The browser may resolve localhost to either family; listen on both when we can.
            return ["127.0.0.1", "::1"] if _ipv6_loopback_available() else ["127.0.0.1"]
        return [self.host]

    def accepts_host_header(self, value: str) -> bool:
        """Whether a request's Host header names this listener (DNS-rebinding defence).

        The port must be present and equal. For localhost we also accept the loopback IP
        literals, which no attacker's DNS name can be; for 127.0.0.1 and [::1] only that
        literal, since the browser copies the Host from the registered URI.
        """
        value = value.strip().lower()
        if value.startswith("["):
            name, bracket, rest = value.partition("]")
            name += bracket
            if not rest.startswith(":"):
                return False
            port_text = rest[1:]
        else:
            name, colon, port_text = value.rpartition(":")
            if not colon:
                return False
        if not (port_text.isascii() and port_text.isdigit()):
            return False
        # Compared as text, not with int(): int() refuses more than 4300 digits (ValueError),
        # and a peer's header may have any number of leading zeros.
        if (port_text.lstrip("0") or "0") != str(self.port):
            return False
        if self.host == "localhost":
            return name in ("localhost", "127.0.0.1", "[::1]")
        return name == self._host_text

    def with_port(self, port: int) -> LoopbackRedirectUri:
        return replace(self, port=port)

    @property
    def _host_text(self) -> str:
        return "[::1]" if self.host == "::1" else self.host

    @property
    def netloc(self) -> str:
        return f"{self._host_text}:{self.port}"

    def __str__(self) -> str:
        return f"http://{self.netloc}{self.path}"


def _split_netloc(netloc: str) -> tuple[str, int]:
    netloc = netloc.lower()
    if netloc.startswith("["):
        inner, bracket, rest = netloc[1:].partition("]")
        if not bracket:
            raise InvalidRedirectUri("the IPv6 address is missing its closing ]: write [::1]")
        host, host_text = inner, f"[{inner}]"
        port_text = rest[1:] if rest.startswith(":") else None
        if rest and port_text is None:
            raise InvalidRedirectUri(f"unexpected text {rest!r} after [{inner}]")
    elif netloc.count(":") > 1:
        raise InvalidRedirectUri("an IPv6 host must be in brackets: write [::1]")
    else:
        host, colon, port_text_raw = netloc.partition(":")
        host_text = host
        port_text = port_text_raw if colon else None
    if host in ("0.0.0.0", "::", "0:0:0:0:0:0:0:0"):  # noqa: S104 - we name it to refuse it
        raise InvalidRedirectUri(
            f"{host_text} means every network interface, not this computer: use localhost "
            "or 127.0.0.1 (the listener only listens on loopback)"
        )
    if host not in _HOSTS:
        what = "the host is missing" if not host else f"the host {host_text!r} is not allowed"
        raise InvalidRedirectUri(
            f"{what}: it must be localhost, 127.0.0.1 or [::1], because the browser is sent "
            "back to a listener on this computer"
        )
    if port_text is None or port_text == "":
        raise InvalidRedirectUri(
            f"the redirect URI needs an explicit port, like {host_text}:9007: the listener "
            "must know which port the browser will come back to"
        )
    if not (port_text.isascii() and port_text.isdigit()):
        raise InvalidRedirectUri(f"the port {port_text!r} is not a number: use e.g. 9007")
    digits = port_text.lstrip("0") or "0"
    if len(digits) > 5:  # before int(), which refuses more than 4300 digits with ValueError
        raise InvalidRedirectUri(
            f"the port {digits[:8]}... does not exist: use a port from 1024 to 65535"
        )
    port = int(digits)
    if port < 1024:
        raise InvalidRedirectUri(
            f"port {port} is below 1024, which needs administrator rights: use a port from "
            "1024 to 65535, e.g. 9007"
        )
    if port > 65535:
        raise InvalidRedirectUri(f"port {port} does not exist: use a port from 1024 to 65535")
    return host, port


def _has_dot_segment(path: str) -> bool:
    return any(segment in (".", "..") for segment in path.split("/"))
