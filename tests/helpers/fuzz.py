"""Strategies, oracles and properties shared by the fuzz tests and `bench/fuzz.py` (no tests here).

The seeded quick set (tests/*/test_*_fuzz.py) and the long run (bench/fuzz.py) call the same
property coroutines with the same strategies; only the number of examples and the seed differ.

One event loop per test, the target reused across examples
---------------------------------------------------------
A listener or sandbox per example would spend most of the time binding ports, so each target
(`ListenerTarget`, `ClientTarget`) lives for a whole test on one event loop and every example
runs as a coroutine on that same loop:

* in pytest, anyio's plugin does this: an async fixture starts the target, and anyio runs
  every hypothesis example of an `async def` test on the runner that holds the fixture (one
  runner, one loop, for the whole test); the fixture's teardown then checks the target (the
  genuine callback is still accepted, every port is free);
* in bench/fuzz.py, `asyncio.Runner` plays that part: `runner.run(target.start())`, then
  `runner.run(property(...))` per example, then `runner.run(target.finish())`.

Between examples the loop does not run; connections still open simply wait for the next one.
An example that legitimately ends the listener (a genuine callback or an error callback for
this request) makes the target replace it, after checking that the old one freed its port.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st
from pydantic import SecretStr

from tests.helpers.listener import (
    GRANT,
    PATH,
    STATE,
    cancelled,
    genuine_query,
    grant_resolver,
    make_listener,
    port_is_free,
    request_bytes,
    stateless_forgery,
)
from wizard.http.server import ServerLimits
from wizard.listener.callback import ErrorCallback, GrantCallback, MalformedCallback, parse_callback
from wizard.listener.listener import (
    DEFAULT_LIMITS,
    CallbackListener,
    CallbackRefused,
    CapturedGrant,
)
from wizard.listener.redirect_uri import InvalidRedirectUri, LoopbackRedirectUri
from wizard.nylas import models
from wizard.nylas.client import NylasConnectClient, RetryPolicy
from wizard.nylas.errors import NylasApiError, NylasError, NylasNetworkError
from wizard.sandbox import Fault, SandboxServer

# The production limits, with a short read timeout: a stalled example costs 0.5 s, not 5.
FUZZ_LIMITS = dataclasses.replace(DEFAULT_LIMITS, read_timeout=0.5)
IO_TIMEOUT = 5.0  # every wait of an example is bounded: a hang is a failure, not a stall


class ErrorLog(logging.Handler):
    """Collects ERROR records of the `wizard` loggers: the server logs a handler crash there."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def __enter__(self) -> ErrorLog:
        logging.getLogger("wizard").addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger("wizard").removeHandler(self)

    def take(self) -> list[str]:
        found = [f"{r.name}: {r.getMessage()} {r.exc_text or ''}" for r in self.records]
        self.records.clear()
        return found


# ==== parse_callback ==========================================================================

KNOWN_KEYS = (
    "success",
    "provider",
    "grant_id",
    "state",
    "error",
    "error_code",
    "error_description",
)
_GRANT_ID = re.compile(r"[A-Za-z0-9_-]{8,128}")
_PROVIDER = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# Percent-escapes that are not UTF-8 (lone continuation, overlong, surrogate, truncated).
BAD_ESCAPES = ["%FF", "%C0%AF", "%ED%A0%80", "%E2%82", "%80", "%F8%88%80%80%80"]
KEYS = st.one_of(
    st.sampled_from([*KNOWN_KEYS, "Success", "GRANT_ID", "grant_id ", "state[]", "x", ""]),
    st.text(max_size=8),
)
VALUES = st.one_of(
    st.sampled_from(["true", "TRUE", "True", "false", "1", "zoom", "google", "ZOOM", GRANT, STATE]),
    st.sampled_from(["", " ", "\x00", "\u202e", "oauth_failed", STATE + "x", "<script>", "é"]),
    st.from_regex(_GRANT_ID, fullmatch=True),
    st.text(max_size=24),
    st.text(alphabet="abcXYZ-_%&=+;#?/ ", max_size=24),
    st.integers(0, 1200).map(lambda n: "s" * n),  # around the 1024 state limit
)


@dataclass(frozen=True)
class QueryPart:
    """One `key=value` (or bare `key`), how it is escaped, and whether a raw escape was added."""

    key: str
    value: str | None
    escaping: str  # "quote" (like a browser), "plus" (spaces as +), "raw" (as is)
    bad_escape: str = ""  # a non-UTF-8 %XX sequence appended to the value

    def render(self) -> str:
        if self.escaping == "quote":
            key, value = quote(self.key, safe=""), quote(self.value or "", safe="")
        elif self.escaping == "plus":
            key = quote(self.key, safe="").replace("%20", "+")
            value = quote(self.value or "", safe="").replace("%20", "+")
        else:
            key, value = self.key, self.value or ""
        value += self.bad_escape
        return key if self.value is None and not self.bad_escape else f"{key}={value}"


QUERY_PARTS = st.builds(
    QueryPart,
    key=KEYS,
    value=st.one_of(st.none(), VALUES),
    escaping=st.sampled_from(["quote", "quote", "quote", "plus", "raw"]),
    bad_escape=st.one_of(st.just(""), st.just(""), st.just(""), st.sampled_from(BAD_ESCAPES)),
)
_GENUINE_BASE = [
    QueryPart("success", "true", "quote"),
    QueryPart("provider", "zoom", "quote"),
    QueryPart("grant_id", GRANT, "quote"),
    QueryPart("state", STATE, "quote"),
]


@st.composite
def query_structures(draw: st.DrawFn) -> list[QueryPart]:
    """Usually a genuine, stateless or error callback with mutations; sometimes pure noise."""
    kind = draw(st.sampled_from(["genuine", "genuine", "error", "noise"]))
    if kind == "noise":
        return draw(st.lists(QUERY_PARTS, max_size=6))
    if kind == "genuine":
        parts = list(_GENUINE_BASE)
    else:
        parts = [
            QueryPart("error", draw(VALUES), "quote"),
            QueryPart("error_code", draw(VALUES), "quote"),
            QueryPart("error_description", draw(VALUES), "quote"),
            QueryPart("state", STATE, "quote"),
        ]
    for index in sorted(draw(st.sets(st.integers(0, 3), max_size=2)), reverse=True):
        if draw(st.booleans()):
            del parts[index]
        else:
            parts[index] = dataclasses.replace(parts[index], value=draw(VALUES))
    parts += draw(st.lists(QUERY_PARTS, max_size=3))
    return draw(st.permutations(parts))


def render_query(parts: list[QueryPart], separator: str = "&") -> str:
    return separator.join(part.render() for part in parts)


RAW_QUERY_TEXT = st.one_of(
    st.text(max_size=200),
    # What the listener really passes: the target's bytes decoded as latin-1.
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    st.integers(60, 70).map(lambda n: "&".join(f"p{i}=1" for i in range(n))),  # field limit
)


@st.composite
def callback_queries(draw: st.DrawFn) -> tuple[str, list[QueryPart] | None, str]:
    """(query text, the parts it was built from or None for raw text, the separator used)."""
    if draw(st.integers(0, 3)) == 0:
        return draw(RAW_QUERY_TEXT), None, ""
    parts = draw(query_structures())
    separator = draw(st.sampled_from(["&", "&", "&", "&&", ";"]))
    return render_query(parts, separator), parts, separator


def expected_callback(parts: list[QueryPart], separator: str) -> str:
    """What parse_callback must return for a built query, from the contract (the docstring of
    wizard/listener/callback.py: `&`-separated, UTF-8, every known parameter at most once),
    not from its code: "grant", "error", "malformed", or "unknown" where the oracle abstains."""
    if any(p.escaping == "raw" for p in parts):
        return "unknown"  # raw &, =, % or + inside a part change the split and the escapes
    if any(p.bad_escape for p in parts):
        return "malformed"  # not UTF-8: nothing in it can be trusted
    if separator == ";" and len(parts) > 1:
        return "unknown"  # ';' does not separate: the first value swallows the rest
    if len(parts) * len(separator) + 1 > 64:
        return "malformed"
    values: dict[str, str] = {}
    for part in parts:
        if part.key in KNOWN_KEYS:
            if part.key in values:
                return "malformed"
            values[part.key] = part.value or ""
    state = values.get("state")
    if state is not None and len(state) > 1024:
        return "malformed"
    if "error" in values:
        return "error"
    if values.get("success", "").lower() != "true":
        return "malformed"
    if not _GRANT_ID.fullmatch(values.get("grant_id", "")):
        return "malformed"
    if not _PROVIDER.fullmatch(values.get("provider", "")):
        return "malformed"
    return "grant"


def check_parse_callback(query: str, parts: list[QueryPart] | None, separator: str) -> str:
    """Property: a typed result or MalformedCallback, nothing else; results keep their limits."""
    result: GrantCallback | ErrorCallback | MalformedCallback
    try:
        result = parse_callback(query)
    except MalformedCallback as malformed:  # anything else propagates: the property fails
        result = malformed
    if isinstance(result, MalformedCallback):
        assert result.reason and STATE not in result.reason  # reasons never quote values
        outcome = "malformed"
    elif isinstance(result, GrantCallback):
        assert _GRANT_ID.fullmatch(result.grant_id), result
        assert _PROVIDER.fullmatch(result.provider), result
        outcome = "grant"
    else:
        assert isinstance(result, ErrorCallback), type(result)
        assert result.error and len(result.error) <= 100
        assert not _CONTROL.search(result.error + result.description)
        assert result.error_code is None or 0 < len(result.error_code) <= 100
        assert not _CONTROL.search(result.error_code or "")
        assert len(result.description) <= 1000
        outcome = "error"
    if not isinstance(result, MalformedCallback):
        assert result.state is None or len(result.state) <= 1024
    if parts is not None:
        want = expected_callback(parts, separator)
        if want != "unknown":
            assert outcome == want, (outcome, want, query)
    return outcome


# ==== LoopbackRedirectUri.parse (what the operator types) ======================================

_URI_SCHEMES = st.sampled_from(
    ["http://", "HTTP://", "https://", "ftp://", "http:/", "", "http://"]
)
_URI_HOSTS = st.one_of(
    st.sampled_from(["localhost", "127.0.0.1", "[::1]", "::1", "[::1", "LocalHost"]),
    st.just("0.0.0.0"),  # noqa: S104 - typed by an operator, must be refused
    st.sampled_from(["example.com", "user@localhost", "", "127.0.0.2", "[::]", "localhost."]),
    st.text(max_size=12),
)
_URI_PORTS = st.one_of(
    st.integers(0, 70_000).map(str),
    st.sampled_from(["", "09007", "9007 ", "+9007", "9٠٠7", "0x2337", "-1"]),
    st.integers(0, 6000).map(lambda n: "0" * n + "9007"),  # beyond int()'s 4300 digits
    st.text(max_size=8),
)
_URI_PATHS = st.one_of(
    st.sampled_from(["/callback", "", "/", "/a/../b", "/./x", "/%2e%2e", "/x?y=1", "/x#f"]),
    st.text(max_size=16).map(lambda t: "/" + t),
)


@st.composite
def typed_redirect_uris(draw: st.DrawFn) -> str:
    """What an operator might type or paste: mostly URI-shaped, sometimes anything."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.text(max_size=60))
    port = draw(_URI_PORTS)
    colon = ":" if port or draw(st.booleans()) else ""
    return (
        draw(st.sampled_from(["", "", " ", "\n"]))
        + draw(_URI_SCHEMES)
        + draw(_URI_HOSTS)
        + colon
        + port
        + draw(_URI_PATHS)
        + draw(st.sampled_from(["", "", " \n"]))
    )


def check_redirect_uri_parse(text: str) -> str:
    """Property: a valid loopback URI (that prints back and parses to itself) or
    InvalidRedirectUri with a message, nothing else."""
    result: LoopbackRedirectUri | InvalidRedirectUri
    try:
        result = LoopbackRedirectUri.parse(text)
    except InvalidRedirectUri as refused:  # anything else propagates: the property fails
        result = refused
    if isinstance(result, InvalidRedirectUri):
        assert str(result)
        return "refused"
    assert 1024 <= result.port <= 65535 and result.host in ("localhost", "127.0.0.1", "::1")
    assert LoopbackRedirectUri.parse(str(result)) == result
    return "accepted"


# ==== the listener: structured requests over real sockets ======================================

HOSTS = st.one_of(
    st.sampled_from(["127.0.0.1:{port}", "127.0.0.1:{port}", "localhost:{port}"]),
    st.sampled_from(
        [
            "127.0.0.1:0{port}",
            " 127.0.0.1:{port} ",
            "LOCALHOST:{port}",
            "[::1]:{port}",
            "[::1]{port}",
            "127.0.0.1",
            "127.0.0.1:",
            "127.0.0.1:{other}",
            "evil.example:{port}",
            "127.0.0.1.nip.io:{port}",
            "127.0.0.1:{port}@evil.example",
            "127.0.0.1:+{port}",
            "127.0.0.1:{port}\u0661",
            "",
        ]
    ),
    # Ports too long for int() (Python refuses more than 4300 digits).
    st.integers(0, 6000).map(lambda n: "127.0.0.1:" + "0" * n + "{port}"),
    st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=20),
)
PATHS = st.one_of(
    st.just(PATH),
    st.just(PATH + "/start"),  # the launch address (LAUNCH_PATH below)
    st.sampled_from(
        [
            PATH,
            PATH + "/start",  # the launch address: 302 to the sign-in link
            PATH + "/start/",
            PATH + "/Start",
            PATH + "//start",
            PATH + "/",
            "/Callback",
            "//callback",
            "/callback;x",
            "/%63allback",
            "/x/../callback",
            "/./callback",
            "http://127.0.0.1:{port}/callback",
            "*",
            "/",
            "/favicon.ico",
        ]
    ),
    st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=12).map(
        lambda s: "/" + s.replace("?", "")
    ),
)
METHODS = st.sampled_from(["GET", "GET", "GET", "HEAD", "POST", "PUT", "OPTIONS", "get", "PRI"])
HEADER_NAMES = st.sampled_from(
    [
        "User-Agent",
        "Accept",
        "Cookie",
        "Referer",
        "Sec-Fetch-Mode",
        "X-Forwarded-Host",
        "Origin",
        "Accept-Language",
        "X-Junk",
    ]
)
HEADER_VALUES = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40).map(
        str.strip
    ),
    st.integers(0, 40_000).map(lambda n: "c" * n),  # around the 32 KiB header limit
)
VERSIONS = st.sampled_from(["HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.0"])


@dataclass(frozen=True)
class FuzzRequest:
    """A request a conforming client could send (`wellformed`), or one with deliberate damage.

    `{port}` and `{other}` in the host and target stand for the listener's port (which changes
    when the listener is replaced) and another port.
    """

    method: str
    path: str
    query: str | None
    version: str
    hosts: tuple[str, ...]
    headers: tuple[tuple[str, str], ...]
    body: bytes
    chunked: bool
    close: bool
    damage: bytes = b""  # replaces the request line's separator: makes it malformed
    expect_continue: bool = False

    @property
    def target(self) -> str:
        return self.path if self.query is None else f"{self.path}?{self.query}"

    @property
    def wellformed(self) -> bool:
        simple = not self.damage and not self.expect_continue
        one_host_1_1 = self.version == "HTTP/1.0" or len(self.hosts) == 1
        chunk_ok = not (self.chunked and self.version == "HTTP/1.0")
        size = sum(len(k) + len(v) + 4 for k, v in self.headers) + len(self.target)
        size += sum(len(h) + 8 for h in self.hosts)
        hosts_ok = all(h.strip() for h in self.hosts)  # h11 refuses an empty Host value
        return simple and one_host_1_1 and chunk_ok and size < 16_000 and hosts_ok

    def render(self, port: int) -> bytes:
        def fill(text: str) -> str:
            return text.replace("{port}", str(port)).replace("{other}", str(port + 1))

        sep = self.damage or b" "
        lines = [
            self.method.encode()
            + sep
            + fill(self.target).encode("latin-1")
            + b" "
            + self.version.encode()
        ]
        lines += [b"Host: " + fill(h).encode("utf-8") for h in self.hosts]
        lines += [f"{k}: {v}".encode("latin-1") for k, v in self.headers]
        if self.expect_continue:
            lines.append(b"Expect: 100-continue")
        if self.chunked:
            lines.append(b"Transfer-Encoding: chunked")
            body = b"%x\r\n" % len(self.body) + self.body + b"\r\n" if self.body else b""
            body += b"0\r\n\r\n"
        else:
            body = self.body
            if self.body:
                lines.append(b"Content-Length: %d" % len(self.body))
        if self.close:
            lines.append(b"Connection: close")
        return b"\r\n".join(lines) + b"\r\n\r\n" + body

    def host_values(self, port: int) -> list[str]:
        return [
            h.replace("{port}", str(port)).replace("{other}", str(port + 1)) for h in self.hosts
        ]


@st.composite
def fuzz_requests(draw: st.DrawFn) -> FuzzRequest:
    version = draw(VERSIONS)
    host_count = draw(st.sampled_from([1, 1, 1, 1, 1, 1, 0, 2]))
    query = draw(
        st.one_of(
            st.none(),
            callback_queries().map(lambda built: built[0]),
            query_structures().map(render_query),
            query_structures().map(render_query),
        )
    )
    return FuzzRequest(
        method=draw(METHODS),
        path=draw(PATHS),
        query=None if query is None else _target_safe(query),
        version=version,
        hosts=tuple(draw(HOSTS) for _ in range(host_count)),
        headers=tuple(draw(st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=3))),
        body=draw(st.one_of(st.just(b""), st.just(b""), st.binary(max_size=64))),
        chunked=draw(st.integers(0, 9)) == 0,
        close=draw(st.booleans()),
        damage=draw(
            st.one_of(
                st.just(b""),
                st.just(b""),
                st.just(b""),
                st.just(b""),
                st.sampled_from([b"  ", b"\t", b"\x00", b" \r\n ", b"\xff", b""]),
            )
        ),
        expect_continue=draw(st.integers(0, 19)) == 0,
    )


def _target_safe(query: str) -> str:
    # A request target holds visible ASCII only; escape the rest like a browser would.
    return quote(query, safe="".join(chr(c) for c in range(0x21, 0x7F)))


PIPELINES = st.lists(fuzz_requests(), min_size=1, max_size=3)
JUNK_TAILS = st.one_of(
    st.just(b""),
    st.just(b""),
    st.binary(max_size=64),
    st.sampled_from([b"\r\n", b"GET / HTTP/1.1\r\n", b"\x16\x03\x01\x02\x00"]),
)


LAUNCH_PATH = PATH + "/start"  # where the flow opens the browser (CallbackListener.launch_url)
LAUNCH_TARGET = "https://api.us.nylas.com/connect/login?id=fuzz"


def host_accepted(value: str, port: int, listener_host: str) -> bool:
    """The DNS-rebinding rule, from the contract: the listener's own literal (for localhost
    also the loopback IP literals, which no attacker's DNS name can be), any letter case and
    surrounding spaces, the port present and equal."""
    names = r"localhost|127\.0\.0\.1|\[::1\]" if listener_host == "localhost" else r"127\.0\.0\.1"
    match = re.fullmatch(rf"(?:{names}):([0-9]+)", value.strip().lower())
    return match is not None and match.group(1).lstrip("0") == str(port)


@dataclass(frozen=True)
class Expect:
    status: int
    outcome: str  # "grant", "refused" or "none"


def expected_response(request: FuzzRequest, port: int, listener_host: str) -> Expect:
    """The listener's answer to a well-formed request, from its contract."""
    hosts = request.host_values(port)
    if len(hosts) != 1 or not host_accepted(hosts[0], port, listener_host):
        return Expect(400, "none")
    target = request.target.replace("{port}", str(port))
    path, _, query = target.partition("?")
    if path == LAUNCH_PATH:
        return Expect(302 if request.method == "GET" else 405, "none")
    if path != PATH:
        return Expect(404, "none")
    if request.method != "GET":
        return Expect(405, "none")
    try:
        callback = parse_callback(query)  # fuzzed on its own against its contract (above)
    except MalformedCallback:
        return Expect(400, "none")
    if callback.state is not None and callback.state != STATE:
        return Expect(400, "none")
    if isinstance(callback, ErrorCallback):
        # Without the state anyone could have sent it: ignored, the wait goes on.
        return Expect(200, "refused") if callback.state is not None else Expect(400, "none")
    if callback.provider != "zoom" or callback.state is None:
        # Stateless grants go to the verifier, which calls every one a forgery here.
        return Expect(400, "none")
    return Expect(200, "grant")


@dataclass
class ParsedResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def parse_responses(data: bytes, methods: list[str]) -> tuple[list[ParsedResponse], bytes]:
    """Split what the listener sent into HTTP/1.1 responses; returns (responses, leftover)."""
    responses: list[ParsedResponse] = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            break
        status_line, *lines = head.decode("latin-1").split("\r\n")
        match = re.fullmatch(r"HTTP/1\.1 ([0-9]{3}) [^\r\n]*", status_line)
        assert match, f"not an HTTP/1.1 status line: {status_line!r}"
        headers: dict[str, str] = {}
        for line in lines:
            name, colon, value = line.partition(":")
            assert colon, f"not a header line: {line!r}"
            headers[name.strip().lower()] = value.strip()
        method = methods[len(responses)] if len(responses) < len(methods) else "GET"
        length = 0 if method == "HEAD" else int(headers.get("content-length", "0"))
        assert len(rest) >= length, "a response body was cut short"
        responses.append(ParsedResponse(int(match.group(1)), headers, rest[:length]))
        data = rest[length:]
    return responses, data


class ListenerTarget:
    """One CallbackListener (production limits, short read timeout) reused across examples."""

    def __init__(self, host: str = "127.0.0.1", limits: ServerLimits = FUZZ_LIMITS) -> None:
        self.host = host  # "localhost" binds 127.0.0.1 and ::1 and accepts more Host names
        self.limits = limits
        self.errors = ErrorLog()
        self.listener: CallbackListener | None = None
        self.task: asyncio.Task[CapturedGrant] | None = None
        self.claims: list[CapturedGrant] = []
        self.ports: list[int] = []
        self.renewals = 0

    @property
    def port(self) -> int:
        assert self.listener is not None
        return self.listener.port

    async def start(self) -> None:
        self.errors.__enter__()
        await self._new_listener()

    async def _new_listener(self) -> None:
        self.claims = []

        async def on_grant(grant: CapturedGrant) -> None:
            self.claims.append(grant)

        listener = make_listener(
            self.host,
            resolve=grant_resolver(stateless_forgery),
            on_grant=on_grant,
            limits=self.limits,
            launch_target=LAUNCH_TARGET,  # as the flow sets it
        )
        await listener.start()
        self.listener = listener
        self.ports.append(listener.port)
        self.task = asyncio.create_task(listener.wait(3600))

    async def ended(self) -> CapturedGrant | CallbackRefused | None:
        """The wait's result if the last example ended it (then a new listener is started)."""
        assert self.task is not None and self.listener is not None
        # The connection is closed by now, but the wait may still be flushing the final page:
        # the claim says whether a callback won, without a timing guess.
        if not self.task.done() and not self.listener.pending[0].claimed:
            return None
        try:
            result: CapturedGrant | CallbackRefused = await asyncio.wait_for(self.task, IO_TIMEOUT)
        except CallbackRefused as refused:
            result = refused
        port = self.port
        assert port_is_free(port), f"port {port} still taken after the wait ended"
        self.renewals += 1
        await self._new_listener()
        return result

    async def send(self, data: bytes) -> bytes:
        """One connection: send, half-close, read until the listener hangs up (bounded)."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        chunks: list[bytes] = []
        try:
            writer.write(data)
            with contextlib.suppress(OSError):
                await writer.drain()
                writer.write_eof()
            async with asyncio.timeout(IO_TIMEOUT):
                while True:
                    try:
                        chunk = await reader.read(65536)
                    except (ConnectionResetError, BrokenPipeError):
                        break
                    if not chunk:
                        break
                    chunks.append(chunk)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        return b"".join(chunks)

    def crashes(self) -> list[str]:
        return self.errors.take()

    async def finish(self) -> None:
        """After the last example: the listener still takes the genuine callback, and every
        listener of the test has freed its port."""
        try:
            port = self.port
            data = await self.send(request_bytes(port, f"{PATH}?{genuine_query()}"))
            responses, _ = parse_responses(data, ["GET"])
            assert responses and responses[0].status == 200, data[:200]
            result = await self.ended()
            assert isinstance(result, CapturedGrant) and result.grant_id == GRANT, result
            assert self.listener is not None and self.task is not None
            await cancelled(self.task)
            await self.listener.close()
            for used in self.ports:
                assert port_is_free(used), f"port {used} not freed"
            assert not self.crashes()
        finally:
            self.errors.__exit__()


async def check_request_pipeline(
    target: ListenerTarget, requests: list[FuzzRequest], junk: bytes
) -> str:
    """Property: never a crash, never an outcome but the genuine one, always valid HTTP back.

    Well-formed requests get exactly the status the contract names, in order, until one closes
    the connection; after a damaged request only the invariants are checked (whatever h11 makes
    of the bytes, only a callback carrying this request's state may end the wait).
    """
    port = target.port
    data = b"".join(r.render(port) for r in requests) + junk
    received = await target.send(data)
    methods = [r.method for r in requests]
    result = await target.ended()
    crashes = target.crashes()
    assert not crashes, crashes

    # What the contract predicts, request by request, while everything is well-formed.
    responses, _ = parse_responses(received, methods) if received else ([], b"")
    predicted: str = "none"
    for index, request in enumerate(requests):
        if not request.wellformed:
            predicted = "unknown"
            break
        want = expected_response(request, port, target.host)
        assert index < len(responses), (index, requests, received[:300])
        assert responses[index].status == want.status, (want, responses[index].status, request)
        if want.outcome != "none":
            predicted = want.outcome
            break
        if responses[index].headers.get("connection") == "close":
            break

    # Invariants, whatever the bytes were: an ended wait is backed by a genuine request head.
    backing = callbacks_in(data, port, target.host)
    if isinstance(result, CapturedGrant):
        assert any(
            isinstance(cb, GrantCallback) and cb.state == STATE and cb.grant_id == result.grant_id
            for cb in backing
        ), (result, data[:300])
        assert predicted in ("grant", "unknown"), (predicted, requests)
        return "grant"
    if isinstance(result, CallbackRefused):
        assert any(isinstance(cb, ErrorCallback) and cb.state in (None, STATE) for cb in backing), (
            result,
            data[:300],
        )
        assert predicted in ("refused", "unknown"), (predicted, requests)
        return "refused"
    assert predicted in ("none", "unknown"), (predicted, requests)
    return f"none/{responses[0].status if responses else 'closed'}"


_CALLBACK_HEAD = re.compile(
    rb"GET (/callback\?[\x21-\x7e]*) HTTP/1\.[01]\r\n((?:[^\r\n]+\r\n)*)\r\n"
)


def callbacks_in(data: bytes, port: int, listener_host: str) -> list[GrantCallback | ErrorCallback]:
    """Callbacks for this listener found in raw bytes: a complete `GET /callback?...` head with
    exactly one Host header naming the listener, whose query parses."""
    found: list[GrantCallback | ErrorCallback] = []
    for match in _CALLBACK_HEAD.finditer(data):
        lines = match.group(2).split(b"\r\n")
        hosts = [line[5:] for line in lines if line[:5].lower() == b"host:"]
        if len(hosts) != 1 or not host_accepted(hosts[0].decode("latin-1"), port, listener_host):
            continue
        with contextlib.suppress(MalformedCallback):
            found.append(parse_callback(match.group(1).decode("latin-1").partition("?")[2]))
    return found


RAW_PREFIXES = [
    b"",
    b"GET ",
    b"GET /callback?",
    b"GET /callback?success=true&provider=zoom&grant_id=" + GRANT.encode() + b"&state=",
    b"GET /callback HTTP/1.1\r\n",
    b"GET /callback HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS ClientHello (https:// typed)
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",  # HTTP/2 prior knowledge
    b"SSH-2.0-OpenSSH_9.6\r\n",
    b"CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n",
    b"POST /callback HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 99999999\r\n\r\n",
    b"GET /callback HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n",
]
RAW_BYTES = st.tuples(
    st.sampled_from(RAW_PREFIXES),
    st.one_of(
        st.binary(max_size=400),
        st.integers(0, 70_000).map(lambda n: b"A" * n),  # around the header limit
        st.lists(
            st.sampled_from([b"\r\n", b"\n", b":", b" ", b"\x00", b"?", b"&"]), max_size=40
        ).map(b"".join),
    ),
    st.sampled_from([b"", b"\r\n\r\n", b" HTTP/1.1\r\n\r\n", b"\n\n"]),
)


async def check_raw_bytes(target: ListenerTarget, prefix: bytes, body: bytes, end: bytes) -> str:
    """Property: raw bytes (never a genuine callback) never end the wait or crash anything,
    and whatever comes back is HTTP/1.1 responses."""
    data = (prefix + body + end).replace(b"{port}", str(target.port).encode())
    received = await target.send(data)
    result = await target.ended()
    assert result is None, (result, data[:200])
    assert not target.claims
    crashes = target.crashes()
    assert not crashes, crashes
    if received:
        responses, leftover = parse_responses(received, ["GET"] * 64)
        assert responses and not leftover, received[:200]
        return f"status {responses[0].status}"
    return "closed"


# ==== the API client against the sandbox's fault injection ====================================

_INTEGRATION = {
    "id": "7f8e9d0c-1b2a-4c3d-8e9f-0a1b2c3d4e5f",
    "name": "Zoom",
    "provider": "zoom",
    "redirect_uris": ["http://localhost:9007/callback"],
    "expires_in": 1209600,
    "scope": ["meeting:read"],
}
_GRANT = {
    "id": GRANT,
    "provider": "zoom",
    "grant_status": "valid",
    "email": "zoom.user@example.com",
    "scope": ["meeting:read"],
    "state": STATE,
    "created_at": 1700000000,
    "updated_at": 1700000000,
}
_AUTH = {
    "url": "https://api.us.nylas.com/connect/login?id=x",
    "id": "auth-1",
    "expires_at": 1700000900,
    "request": {},
}
_ERROR = {
    "request_id": "r-1",
    "error": {"type": "invalid_request", "message": "bad", "event_code": 10001},
}

JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=16),
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(
                st.sampled_from([*_GRANT, *_INTEGRATION, *_AUTH, "data", "error"]),
                st.text(max_size=8),
            ),
            inner,
            max_size=5,
        ),
    ),
    max_leaves=12,
)


@st.composite
def mutated_documents(draw: st.DrawFn) -> Any:
    """A documented answer (or error envelope) with a field dropped, retyped or added."""
    base = draw(st.sampled_from([_INTEGRATION, _GRANT, _AUTH, [_INTEGRATION], [_GRANT], None]))
    if isinstance(base, dict):
        doc = dict(base)
        for key in draw(st.lists(st.sampled_from(sorted(doc)), max_size=2)):
            if draw(st.booleans()):
                doc.pop(key, None)
            else:
                doc[key] = draw(JSON_LEAVES)
        base = doc
    envelope = draw(
        st.sampled_from(
            [
                lambda d: {"request_id": "r-1", "data": d},
                lambda d: {"data": d, "success": False},
                lambda d: {"success": True},
                lambda d: _ERROR,
                lambda d: {"error": d},
                lambda d: d,
            ]
        )
    )
    return envelope(base)


@st.composite
def response_bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["doc", "doc", "json", "raw", "deep", "digits", "encoded"]))
    if kind == "raw":
        return draw(st.binary(max_size=200))
    if kind == "deep":  # nesting far beyond what a parser may recurse into
        token = draw(st.sampled_from([b"[", b'{"data":', b'{"error":']))
        return token * draw(st.integers(1, 100_000))
    if kind == "digits":  # numbers far beyond what a parser may convert
        digits = b"9" * draw(st.integers(1, 20_000))
        return draw(st.sampled_from([b"", b'{"data": ', b'{"data": {"expires_at": '])) + digits
    value = draw(mutated_documents()) if kind != "json" else draw(JSON_VALUES)
    text = json.dumps(value, ensure_ascii=draw(st.booleans()))
    if kind == "encoded":
        encoding = draw(st.sampled_from(["utf-8-sig", "utf-16", "utf-16-le", "utf-32", "latin-1"]))
        body = text.encode(encoding, "replace")
    else:
        body = text.encode()
    if draw(st.integers(0, 2)) == 0:  # truncated in flight
        body = body[: draw(st.integers(0, max(0, len(body) - 1)))]
    return body


# Common, then any real class, then any three digits (1xx and 6xx-9xx cannot be answers the
# client reads: they must end as typed network errors).
STATUSES = st.one_of(
    st.sampled_from([200, 200, 200, 201, 204, 400, 401, 403, 404, 409, 422, 429, 500, 503]),
    st.integers(200, 599),
    st.integers(100, 999),
)

_ZOOM = models.ZoomAppSettings(client_id="zoom-id", client_secret=SecretStr("zoom-secret"))
_REDIRECT = "http://localhost:9007/callback"


def _list_of(model: type) -> Callable[[object], bool]:
    return lambda value: isinstance(value, list) and all(isinstance(v, model) for v in value)


def _is(*types: type) -> Callable[[object], bool]:
    return lambda value: isinstance(value, types)


Call = Callable[[NylasConnectClient], Awaitable[object]]
CLIENT_CALLS: dict[str, tuple[Call, Callable[[object], bool]]] = {
    "check_credentials": (lambda c: c.check_credentials(), _is(type(None))),
    "list_integrations": (lambda c: c.integrations.list(limit=5), _list_of(models.Integration)),
    "get_integration": (lambda c: c.integrations.get(), _is(models.Integration)),
    "find_integration": (lambda c: c.integrations.find(), _is(models.Integration, type(None))),
    "create_integration": (
        lambda c: c.integrations.create(
            models.IntegrationCreate(name="Zoom", settings=_ZOOM, redirect_uris=[_REDIRECT])
        ),
        _is(models.Integration),
    ),
    "update_integration": (
        lambda c: c.integrations.update(
            "zoom", models.IntegrationUpdate(redirect_uris=[_REDIRECT])
        ),
        _is(models.Integration),
    ),
    "delete_integration": (lambda c: c.delete_integration(), _is(type(None))),
    "create_auth_request": (
        lambda c: c.create_auth_request(
            models.AuthRequestCreate(redirect_uri=_REDIRECT, state=STATE)
        ),
        _is(models.AuthRequest),
    ),
    "get_grant": (lambda c: c.get_grant(GRANT), _is(models.Grant)),
    "list_grants": (lambda c: c.list_grants(limit=5), _list_of(models.Grant)),
    "delete_grant": (lambda c: c.delete_grant(GRANT), _is(type(None))),
}
CALL_NAMES = st.sampled_from(sorted(CLIENT_CALLS))

# What each call documents as its answer's `data` (None: a DELETE answers without data).
_DOCUMENTED: dict[str, Any] = {
    "check_credentials": [_INTEGRATION],
    "list_integrations": [_INTEGRATION],
    "get_integration": _INTEGRATION,
    "find_integration": _INTEGRATION,
    "create_integration": _INTEGRATION,
    "update_integration": _INTEGRATION,
    "delete_integration": None,
    "create_auth_request": _AUTH,
    "get_grant": _GRANT,
    "list_grants": [_GRANT],
    "delete_grant": None,
}


@st.composite
def documented_answers(draw: st.DrawFn, call: str) -> bytes:
    """The call's own documented answer, as is or with one field dropped or retyped."""
    data = json.loads(json.dumps(_DOCUMENTED[call]))  # a deep copy
    if data is None:
        return json.dumps({"request_id": "r-1", "success": True}).encode()
    target = data[0] if isinstance(data, list) else data
    if draw(st.booleans()):
        key = draw(st.sampled_from(sorted(target)))
        if draw(st.booleans()):
            del target[key]
        else:
            target[key] = draw(JSON_LEAVES)
    return json.dumps({"request_id": "r-1", "data": data}).encode()


@st.composite
def client_cases(draw: st.DrawFn) -> tuple[str, int, bytes]:
    """(call, status, body): a third of them the call's documented answer with a 2xx status,
    the rest any status with any body."""
    call = draw(CALL_NAMES)
    if draw(st.integers(0, 2)) == 0:
        return call, draw(st.sampled_from([200, 200, 201])), draw(documented_answers(call))
    return call, draw(STATUSES), draw(response_bodies())


CLIENT_CASES = client_cases()


@dataclass
class ClientTarget:
    """One sandbox and one client reused across examples; each example injects one answer."""

    sandbox: SandboxServer | None = None
    client: NylasConnectClient | None = None
    errors: ErrorLog = field(default_factory=ErrorLog)

    async def start(self) -> None:
        self.errors.__enter__()
        self.sandbox = SandboxServer()
        await self.sandbox.start()
        creds = self.sandbox.credentials
        self.client = NylasConnectClient(
            self.sandbox.url,
            creds.nylas_client_id,
            SecretStr(creds.nylas_client_secret),
            timeout=IO_TIMEOUT,
            # One retry, at once: the retry path is fuzzed too, without sleeping.
            retry=RetryPolicy(attempts=2, backoff=0.0, max_wait=0.0),
        )

    async def finish(self) -> None:
        try:
            if self.client is not None:
                await self.client.aclose()
            if self.sandbox is not None:
                await self.sandbox.close()
            assert not self.errors.take()
        finally:
            self.errors.__exit__()


async def check_client_call(target: ClientTarget, call: str, status: int, body: bytes) -> str:
    """Property: every call ends in a valid result or a typed NylasError, never anything else;
    an error status never yields a result."""
    assert target.sandbox is not None and target.client is not None
    run, valid = CLIENT_CALLS[call]
    faults = target.sandbox.faults
    faults.clear()
    faults.add(Fault(kind="body", status=status, body=body, times=2))  # both attempts
    outcome: object
    try:
        async with asyncio.timeout(IO_TIMEOUT * 3):
            outcome = await run(target.client)
    except NylasError as error:  # anything else propagates: the property fails
        outcome = error
    finally:
        faults.clear()
        crashes = target.errors.take()  # the sandbox logs its own bugs at ERROR
        assert not crashes, crashes
    if isinstance(outcome, NylasError):
        # The message and hint are shown to a person: they must render.
        assert str(outcome).strip() and outcome.message and isinstance(outcome.hint, str)
        if isinstance(outcome, NylasApiError):
            assert outcome.http_status == status
        elif isinstance(outcome, NylasNetworkError):
            # Only an answer HTTP cannot carry (1xx, a 204/304 with a body) ends as no answer.
            assert status < 200 or status in (204, 304), (status, outcome)
        return type(outcome).__name__
    assert valid(outcome), (call, status, outcome)
    assert 200 <= status < 300 or (call == "find_integration" and status == 404), status
    return "ok"
