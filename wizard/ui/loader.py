"""The one thread that loads the core.

Modules are imported lazily, off the Qt thread, so the window shows fast and never waits on an
import. But two threads importing overlapping modules at once can see a module half-initialised
(CPython breaks the cross-thread import deadlock by handing one thread the partial module: an
ImportError such as "cannot import name 'SecretStr' from partially initialized module"). It
happened at the first Check connection, when the profile store, the keyring and the sandbox
were each loaded on a different worker. So everything that may import for the first time runs
here, on a single thread, one job after another.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_LOADER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zoom-onboard-loader")


async def on_loader(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run `fn` on the loader thread and await it from the qasync loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_LOADER, functools.partial(fn, *args, **kwargs))


def submit(fn: Callable[[], T]) -> Future[T]:
    """Queue `fn` on the loader without a running loop (the preload after the first show)."""
    return _LOADER.submit(fn)
