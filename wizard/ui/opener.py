"""The production browser opener: Qt's desktop services, then Python's webbrowser module.

Both can claim success when nothing opened (WSL, remote desktop); the flow's BrowserSilent
event covers that case.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

from wizard.ui import core

log = logging.getLogger(__name__)


async def desktop_browser(url: str) -> bool:
    qurl = QUrl(url, QUrl.ParsingMode.StrictMode)
    if qurl.isValid() and QDesktopServices.openUrl(qurl):
        return True
    log.info("Qt could not open the browser; trying Python's webbrowser module")
    return await core.system_browser(url)
