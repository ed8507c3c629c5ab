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
    `accepted` on the loop; at most `capacity` are open at once (each is `release`d when it
    ends), so a flood of local sockets cannot use up the process's descriptors. With none
    free, or out of descriptors anyway, it asks the loop to `make_room` (shed an idle one) and
    waits. Nothing an accept raises ends it; the sockets are closed when it ends."""

    def __init__(
        self,
        sockets: Sequence[socket.socket],
        capacity: int,
        accepted: Callable[[socket.socket], None],
        make_room: Callable[[], None],
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._sockets = list(sockets)
        self._slots = threading.BoundedSemaphore(capacity)
        self._accepted = accepted
        self._make_room = make_room
        self._stop = threading.Event()
        self._wake_read, self._wake_write = socket.socketpair()
        self._ended: asyncio.Future[None] = self._loop.create_future()
        self._failures = 0
        self._thread = threading.Thread(target=self._run, name="http-accept", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def release(self) -> None:
        """A connection handed over has ended (its socket is closed or about to be)."""
        with contextlib.suppress(ValueError):  # never more than were taken
            self._slots.release()

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
                    if key.fileobj is not self._wake_read and self._free_slot():
                        self._accept(key.fileobj)  # type: ignore[arg-type]
        except Exception:  # a thread's exception would only reach threading.excepthook
            log.warning("the accept loop ended unexpectedly", exc_info=True)
        finally:
            selector.close()
            for sock in (*self._sockets, self._wake_read, self._wake_write):
                sock.close()
            self._to_loop(_set_result, self._ended)

    def _free_slot(self) -> bool:
        """Wait until one more connection may be open; False when stopping."""
        if self._slots.acquire(blocking=False):
            return True
        while not self._stop.is_set():
            self._to_loop(self._make_room)
            if self._slots.acquire(timeout=RETRY_PAUSE):
                return True
        return False

    def _accept(self, listener: socket.socket) -> None:
        try:
            conn, _address = listener.accept()
        except (BlockingIOError, InterruptedError):
            self.release()  # another thread or process took it, or a signal came
            return
        except OSError as exc:
            self.release()
            self._failed(exc, listener)
            return
        if not self._to_loop(self._accepted, conn):
            conn.close()

    def _failed(self, exc: OSError, listener: socket.socket) -> None:
        self._failures += 1
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
                _where(listener),
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
