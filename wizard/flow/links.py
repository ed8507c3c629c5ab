"""The flow's loopback listeners, and the links whose wait ended that they still listen for.

One listener per redirect URI serves the flow for its whole life: a link whose wait ended
(Stop waiting, a timeout, the next customer) still works while it is valid, and a late answer
to it is watched for here until it comes back, expires, or the flow stops listening.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from wizard.flow.inputs import CustomerAccount
from wizard.flow.recording import AuthorizationRecord
from wizard.listener.callback import CallbackParser
from wizard.listener.listener import CallbackListener, PendingCallback
from wizard.listener.redirect_uri import LoopbackRedirectUri

__all__ = ["LateLink", "LinkListeners", "OpenLink"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OpenLink:
    """A link whose wait ended and that still works (and is still listened for)."""

    account: CustomerAccount
    expires_at: float
    tag: object


@dataclass(frozen=True)
class LateLink:
    """A link whose wait ended, as it is watched: what its answer will be recorded with."""

    listener: CallbackListener
    pending: PendingCallback
    account: CustomerAccount
    record: AuthorizationRecord
    state: str = field(repr=False)
    tag: object


class LinkListeners:
    """One listener per redirect URI, kept open, and the watches on links whose wait ended."""

    def __init__(self, parse: CallbackParser) -> None:
        self._parse = parse
        self._listeners: dict[str, CallbackListener] = {}
        self._late: dict[asyncio.Task[None], LateLink] = {}

    async def check_port(self, redirect_uri: LoopbackRedirectUri) -> None:
        """PortInUse now (this flow's own listener on it is no obstacle)."""
        mine = self._listeners.get(str(redirect_uri))
        if mine is not None and mine.is_open:
            return
        await self._close_idle_on_port(redirect_uri.port)
        await CallbackListener.check_port(redirect_uri)

    async def listener_for(self, redirect_uri: LoopbackRedirectUri) -> CallbackListener:
        """The listener for `redirect_uri`, bound now if it is not yet (PortInUse)."""
        key = str(redirect_uri)
        listener = self._listeners.get(key)
        if listener is not None and listener.is_open:
            return listener
        await self._close_idle_on_port(redirect_uri.port)
        listener = CallbackListener(redirect_uri, parse=self._parse)
        await listener.start()
        self._listeners[key] = listener
        return listener

    def keep(self, late: LateLink, watch: Callable[[LateLink], Coroutine[Any, Any, None]]) -> None:
        """Go on listening for `late` while `watch` runs (until its answer or its expiry)."""
        task = asyncio.ensure_future(watch(late))
        self._late[task] = late
        task.add_done_callback(self._late_done)

    def open_links(self) -> list[OpenLink]:
        """Earlier links still listened for (valid, nobody waiting on them)."""
        now = time.time()
        return [
            OpenLink(late.account, late.pending.expires_at or now, late.tag)
            for late in self._late.values()
            if (late.pending.expires_at or 0) > now and not late.pending.claimed
        ]

    async def until_links_close(self) -> None:
        """Until every earlier link has come back or expired."""
        await asyncio.gather(*list(self._late), return_exceptions=True)

    async def close(self) -> None:
        """Stop every watch, then close every listener."""
        tasks = list(self._late)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        listeners, self._listeners = list(self._listeners.values()), {}
        for listener in listeners:
            await listener.close()

    def _late_done(self, task: asyncio.Task[None]) -> None:
        self._late.pop(task, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("watching a late answer failed", exc_info=task.exception())

    async def _close_idle_on_port(self, port: int) -> None:
        # The operator changed the host or path on the same port: an idle listener of ours
        # must not make that port look busy.
        for key, listener in list(self._listeners.items()):
            if listener.port == port and not listener.pending:
                del self._listeners[key]
                await listener.close()
