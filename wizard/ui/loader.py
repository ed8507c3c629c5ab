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
import collections
import functools
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_LOADER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zoom-onboard-loader")
# Jobs waiting, the operator's first: each executor job runs whichever is next here, so a job
# asked for `first` overtakes the preload's queued modules (never the one being imported).
_PENDING: collections.deque[tuple[Callable[[], Any], Future[Any]]] = collections.deque()
_LOCK = threading.Lock()


def _run_next() -> None:
    with _LOCK:
        fn, future = _PENDING.popleft()
    if future.set_running_or_notify_cancel():
        try:
            future.set_result(fn())
        except BaseException as exc:  # handed to whoever awaits it
            future.set_exception(exc)


def submit(fn: Callable[[], T], *, first: bool = False) -> Future[T]:
    """Queue `fn` on the loader (no running loop needed: the preload after the first show);
    `first` puts it ahead of every job still waiting."""
    future: Future[T] = Future()
    with _LOCK:
        if first:
            _PENDING.appendleft((fn, future))
        else:
            _PENDING.append((fn, future))
    _LOADER.submit(_run_next)
    return future


_ONCE: dict[Callable[[], Any], Future[Any]] = {}
_ONCE_LOCK = threading.Lock()  # not _LOCK: submit() takes that one


def once(fn: Callable[[], T], *, first: bool = False) -> Future[T]:
    """`submit(fn)` the first time it is asked for, and that job's future every time after: the
    start-up queues what the first page needs before the rest of the core, and the page's own
    request, made later, is answered by the same job (done already, or overtaking the rest)."""
    with _ONCE_LOCK:
        future = _ONCE.get(fn)
        if future is None:
            future = _ONCE[fn] = submit(fn, first=first)
    return future


async def once_on_loader(fn: Callable[[], T]) -> T:
    """Await `once(fn, first=True)` from the qasync loop. Shielded: awaiting a concurrent future
    ties it to the awaiter (wrap_future cancels it with its waiter), and a page whose task is
    cancelled (a Save clicked, the window closed) must not cancel the job everyone shares."""
    return await asyncio.shield(asyncio.wrap_future(once(fn, first=True)))


async def on_loader(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run `fn` on the loader thread and await it from the qasync loop."""
    return await asyncio.wrap_future(submit(functools.partial(fn, *args, **kwargs)))


async def first_on_loader(fn: Callable[[], T]) -> T:
    """`on_loader` ahead of the jobs waiting: for what the operator is waiting on now (the
    profiles of the first page), not behind the whole preload."""
    return await asyncio.wrap_future(submit(fn, first=True))
