"""BackgroundSandbox: a SandboxServer on its own event loop in a daemon thread, for synchronous
code (scripts, the Nylas SDK's tests)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TypeVar

from wizard.sandbox.credentials import DemoCredentials
from wizard.sandbox.faults import FaultInjector
from wizard.sandbox.options import DEFAULT_OPTIONS, SandboxOptions
from wizard.sandbox.server import SandboxServer

T = TypeVar("T")

_WAIT = 10.0  # seconds; the sandbox is local, anything longer is a hang


class BackgroundSandbox:
    """A SandboxServer (`server`) on its own event loop in a daemon thread.

    Its records live on that loop: read or seed them through `call`, from any thread, e.g.
    `sandbox.call(lambda s: s.add_v3_grant(email="a@example.com"))` or
    `sandbox.call(lambda s: s.v3_grants)`. `url`, `port`, `landing_url`, `credentials` and
    `faults` (which has its own lock) may be used from any thread directly.
    """

    def __init__(self, options: SandboxOptions = DEFAULT_OPTIONS) -> None:
        self.server = SandboxServer(options)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Serve until stop(); OSError (e.g. port taken) surfaces here, in the caller."""
        if self._thread is not None:
            raise RuntimeError("The background sandbox is already running.")
        loop = asyncio.new_event_loop()
        thread = threading.Thread(
            target=_run_forever, args=(loop,), name="nylas-sandbox", daemon=True
        )
        thread.start()
        self._loop, self._thread = loop, thread
        try:
            asyncio.run_coroutine_threadsafe(self.server.start(), loop).result(_WAIT)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop serving and end the thread; the port is free on return. Safe to call twice."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self.server.close(), loop).result(_WAIT)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(_WAIT)
            self._loop = self._thread = None

    def __enter__(self) -> BackgroundSandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def landing_url(self) -> str:
        return self.server.landing_url

    @property
    def credentials(self) -> DemoCredentials:
        return self.server.credentials

    @property
    def faults(self) -> FaultInjector:
        return self.server.faults

    def call(self, fn: Callable[[SandboxServer], T]) -> T:
        """`fn(server)`, run on the sandbox's loop, where the records live; its result."""
        loop = self._loop
        if loop is None:
            # Stopped (or never started): nothing runs concurrently, read directly.
            return fn(self.server)

        async def run() -> T:
            return fn(self.server)

        return asyncio.run_coroutine_threadsafe(run(), loop).result(_WAIT)


def _run_forever(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
