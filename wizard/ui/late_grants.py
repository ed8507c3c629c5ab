"""This window's checks for grants that came back late: sign-ins left waiting by an earlier run
(a closed window, a crash) are looked for on Nylas once there are credentials to ask with, one
check at a time, and what is found or closed is said (`found`). Qt-free rules:
flow/reconcile.py."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from wizard.ui import core

if TYPE_CHECKING:
    from wizard.flow.reconcile import ReconcileReport
    from wizard.ui.session import WizardSession

log = logging.getLogger(__name__)


class LateGrants(QObject):
    found = Signal(object)  # a ReconcileReport that recorded or closed something

    def __init__(self, session: WizardSession) -> None:
        super().__init__(session)
        self._session = session
        self._one_at_a_time = asyncio.Lock()

    async def check(self) -> ReconcileReport:
        """Ask Nylas for the grants of this target's sign-ins left waiting and record them."""
        session = self._session
        await session.loaded()
        flow, target = session.flow, session.target
        if flow is None or target is None:
            raise ValueError(
                "Check the connection on the first page first: late grants are looked for on "
                "Nylas with those credentials."
            )
        async with self._one_at_a_time:
            report = await core.reconcile_history(
                flow.backend,
                session.history,
                target,  # a custom URL: only the sign-ins made there
                queue=session.queue,  # a Connect link sent elsewhere connects its entry
            )
        if report.found or report.expired:
            log.info("late grants: %s", report.summary())
            self.found.emit(report)
        return report

    async def check_quietly(self) -> ReconcileReport | None:
        """`check`, when nobody asked: a failure is logged, and the next check tries again."""
        try:
            return await self.check()
        except Exception as exc:  # offline, a changed key
            log.warning("looking for late grants failed: %s", exc)
            return None
