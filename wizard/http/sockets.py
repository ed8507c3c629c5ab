"""The listening sockets the HTTP server binds itself, and its own accept loop over them.

asyncio's server is not used for either:
- On Windows its Proactor accept loop closes the listening socket when one client resets
  before the accept completes (WinError 64; CPython gh-93821, still open): that address
  family stops listening. Even `loop.sock_accept` leaves the failed accept in a task of the
  proactor's own whose exception nobody retrieves (the loop's handler then reports it).
- It sets SO_REUSEADDR on every POSIX system: on macOS a bind to 127.0.0.1:port then succeeds
  while another program listens on *:port, and that program gets the browser's redirect.

So the sockets are bound here with each platform's options, and a thread of their own accepts
on them (selectors: epoll, kqueue or select) and hands each connection to the loop. A failed
accept is one client's failure: logged as a warning, never raised, never the end of listening.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import selectors
import socket
import sys
import threading
from collections.abc import Callable, Sequence

log = logging.getLogger("wizard.http")

# Winsock: SO_EXCLUSIVEADDRUSE is ~SO_REUSEADDR (4). Python names it only on Windows.
SO_EXCLUSIVEADDRUSE = getattr(socket, "SO_EXCLUSIVEADDRUSE", -5)

# One client's failure, seen when accepting it: the listening socket is fine.
# 64 ERROR_NETNAME_DELETED (AcceptEx), 10053 WSAECONNABORTED, 10054 WSAECONNRESET,
# 10057 WSAENOTCONN; and the POSIX spellings of the same.
_CLIENT_GONE_WINERRORS = frozenset({64, 10053, 10054, 10057})
_CLIENT_GONE_ERRNOS = frozenset(
    {errno.ECONNABORTED, errno.ECONNRESET, errno.ENOTCONN, errno.EPROTO}
)
# Out of descriptors or buffers (10024 WSAEMFILE, 10055 WSAENOBUFS): make room, then retry.
_EXHAUSTED_WINERRORS = frozenset({10024, 10055})
_EXHAUSTED_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})

RETRY_PAUSE = 0.1  # seconds between accepts after running out of descriptors (as trio does)
_MAX_CAP = 512  # connections one server serves at once, at most
_RESERVED = 128  # descriptors left for everything else (Qt, SQLite, the log, HTTP clients)
_WANTED_DESCRIPTORS = 4096


def socket_options(family: int, platform: str | None = None) -> list[tuple[int, int, int]]:
    """(level, option, value) to set on a listening socket before it binds."""
    platform = sys.platform if platform is None else platform
    options: list[tuple[int, int, int]] = []
    if platform == "win32":
        # Without it another program of the same user can bind the same port and take the
        # browser's redirect.
        options.append((socket.SOL_SOCKET, SO_EXCLUSIVEADDRUSE, 1))
    elif platform.startswith("linux"):
        # As asyncio did: on Linux it only lets a port in TIME_WAIT be bound again; it never
        # lets two listeners share a port. (On macOS and the BSDs it would: not set there.)
        options.append((socket.SOL_SOCKET, socket.SO_REUSEADDR, 1))
    if family == socket.AF_INET6:
        options.append((socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1))
    return options


def listening_socket(host: str, port: int, backlog: int) -> socket.socket:
    """A non-blocking socket listening on host:port (port 0: the system chooses)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        for level, option, value in socket_options(family):
            sock.setsockopt(level, option, value)
        sock.bind((host, port))
        sock.listen(backlog)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def _is(exc: OSError, winerrors: frozenset[int], errnos: frozenset[int]) -> bool:
    winerror = getattr(exc, "winerror", None)
    return winerror in winerrors or exc.errno in winerrors or exc.errno in errnos


def client_gone(exc: OSError) -> bool:
    return _is(exc, _CLIENT_GONE_WINERRORS, _CLIENT_GONE_ERRNOS)


def out_of_descriptors(exc: OSError) -> bool:
    return _is(exc, _EXHAUSTED_WINERRORS, _EXHAUSTED_ERRNOS)


class Acceptor:
    """Accepts on `sockets` on a thread of its own until `close()`, handing each connection to
    `accepted` on the loop. Running out of descriptors asks the loop to `make_room` and pauses;
    nothing an accept raises ends it. The sockets are closed when it ends."""

    def __init__(
        self,
        sockets: Sequence[socket.socket],
        accepted: Callable[[socket.socket], None],
        make_room: Callable[[], None],
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._sockets = list(sockets)
        self._accepted = accepted
        self._make_room = make_room
        self._stop = threading.Event()
        self._wake_read, self._wake_write = socket.socketpair()
        self._ended: asyncio.Future[None] = self._loop.create_future()
        self._failures = 0
        self._thread = threading.Thread(target=self._run, name="http-accept", daemon=True)

    def start(self) -> None:
        self._thread.start()

    async def close(self) -> None:
        """Stop accepting; the listening sockets are closed on return."""
        self._stop.set()
        with contextlib.suppress(OSError):
            self._wake_write.send(b"\0")
        await asyncio.shield(self._ended)

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        try:
            selector.register(self._wake_read, selectors.EVENT_READ)
            for sock in self._sockets:
                selector.register(sock, selectors.EVENT_READ)
            while not self._stop.is_set():
                for key, _events in selector.select():
                    if key.fileobj is not self._wake_read and not self._stop.is_set():
                        self._accept(key.fileobj)  # type: ignore[arg-type]
        except Exception:  # a thread's exception would only reach threading.excepthook
            log.warning("the accept loop ended unexpectedly", exc_info=True)
        finally:
            selector.close()
            for sock in (*self._sockets, self._wake_read, self._wake_write):
                sock.close()
            self._to_loop(_set_result, self._ended)

    def _accept(self, listener: socket.socket) -> None:
        try:
            conn, _address = listener.accept()
        except (BlockingIOError, InterruptedError):
            return  # another thread or process took it, or a signal: the next select says
        except OSError as exc:
            self._failed(exc, listener)
            return
        if not self._to_loop(self._accepted, conn):
            conn.close()

    def _failed(self, exc: OSError, listener: socket.socket) -> None:
        self._failures += 1
        where = _where(listener)
        if client_gone(exc):
            what = "a client left before its connection was accepted"
        elif out_of_descriptors(exc):
            what = "out of file descriptors or buffers: dropping an idle connection"
            self._to_loop(self._make_room)
        else:
            what = "accepting a connection failed"
        if self._failures in (1, 100, 1000) or self._failures % 10_000 == 0:
            log.warning(
                "%s on %s (%s); still listening (%d such failures so far)",
                what,
                where,
                exc,
                self._failures,
            )
        if not client_gone(exc):
            self._stop.wait(RETRY_PAUSE)  # the same failure at once again would spin

    def _to_loop(self, callback: Callable[..., object], *args: object) -> bool:
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # the loop was closed under us: nobody is waiting any more
            return False
        return True


def _set_result(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _where(sock: socket.socket) -> str:
    try:
        host, port = sock.getsockname()[:2]
    except OSError:
        return "a closed socket"
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def raise_descriptor_limit(wanted: int = _WANTED_DESCRIPTORS) -> None:
    """Raise this process's soft limit of open files toward `wanted`, never above the hard
    limit. macOS starts programs with 256, fewer than one listener may need under a flood of
    local sockets; elsewhere it is usually 1024 or more already. Windows has no such limit."""
    try:
        import resource
    except ImportError:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft == resource.RLIM_INFINITY or soft >= target:
        return
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError) as exc:
        log.info("the open file limit stays %d (raising it to %d failed: %s)", soft, target, exc)


def descriptor_limit() -> int | None:
    """This process's soft limit of open files (None: no such limit, as on Windows)."""
    try:
        import resource
    except ImportError:
        return None
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return None if soft == resource.RLIM_INFINITY else soft


def connection_cap(limit: int | None = None) -> int:
    """How many connections one server serves at once before shedding idle ones: 512, or
    fewer where the descriptor limit would run out first (a listener and the in-process
    sandbox may serve at once, beside everything else the app has open)."""
    limit = descriptor_limit() if limit is None else limit
    if limit is None:
        return _MAX_CAP
    return max(16, min(_MAX_CAP, (limit - _RESERVED) // 2))
