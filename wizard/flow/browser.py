"""Browser openers for the flow. Their answer is only a claim: a request reaching the listener
is the proof (the flow reports BrowserSilent when none comes)."""

from __future__ import annotations

import asyncio
import logging
import webbrowser

log = logging.getLogger(__name__)


async def system_browser(url: str) -> bool:
    """Python's webbrowser module (os.startfile on Windows, so `&` in the URL survives)."""
    try:
        # webbrowser may wait on a subprocess (xdg-open): keep it off the event loop.
        return await asyncio.to_thread(webbrowser.open, url, 2)
    except webbrowser.Error as exc:
        log.warning("no usable browser: %s", exc)
        return False


async def no_browser(url: str) -> bool:
    """For --no-browser: the operator sends the link themselves."""
    return False
