"""Links sent to customers on another computer, as this window works with them (Qt side).

The rules (the link, the message for the customer, matching a pasted answer to its link,
exchanging its code) are Qt-free (flow/remote.py); this class builds them for the session's
current connection, moves the window's queue entries with them, says every answer taken with
`answered`, and on the Connect API, where nothing comes back from the customer, asks Nylas for
the grants of the links still out every `poll_interval` ms.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from wizard.store.entries import EntryState
from wizard.store.owner import this_process
from wizard.ui import core

if TYPE_CHECKING:
    from wizard.flow import CustomerAccount
    from wizard.flow.remote import Finished, RemoteLinks, SentLink
    from wizard.ui.session import WizardSession

log = logging.getLogger(__name__)

POLL_INTERVAL = 30_000  # ms: Connect links out are looked for on Nylas this often
NO_CONNECTION = (
    "Check the connection on the first page first: a link is made, and its answer taken, with "
    "those credentials."
)


class RemoteWork(QObject):
    answered = Signal(object)  # a Finished: a customer's answer was taken (connected, declined)
    available = Signal(bool)  # a connection was checked: links can be sent and answers taken

    def __init__(self, session: WizardSession) -> None:
        super().__init__(session)
        self.session = session
        # The profile's landing page (Zoom app page): links end there instead of on this
        # computer's loopback address. "": none.
        self.landing_page = ""
        self.poll_interval = POLL_INTERVAL  # tests shorten it
        self._poll = QTimer(self)
        self._poll.timeout.connect(self._poll_now)
        self._polling = False  # a look on Nylas is under way: ticks meanwhile are dropped
        # Sent without a system keyring: their secrets live in this process only.
        self._kept_here: list[SentLink] = []

    @property
    def polling(self) -> bool:
        """Connect links are out and Nylas is asked for their grants every `poll_interval`."""
        return self._poll.isActive()

    async def links(self) -> RemoteLinks:
        """The links of the session's current connection; its recorder once the integration is
        set up, before that one without an integration (as `zoom-onboard finish` has)."""
        s = self.session
        flow, target = s.flow, s.target
        if flow is None or target is None:
            raise ValueError(NO_CONNECTION)
        await s.loaded()
        recorder = s.recorder if s.integration is not None else None
        if recorder is None:
            recorder = core.history_recorder(s.history, target, None, s.profile_name)
        return core.RemoteLinks(flow.backend, recorder, await s.secret_store(), s.queue)

    async def send(
        self, account: CustomerAccount, entry_id: int | None, *, claimed: bool = True
    ) -> SentLink:
        """A link for `account` to send the customer; its queue entry (if any) becomes SENT and
        is no longer the window's current one. `claimed`: the entry is the consent page's own
        (kept on failure); otherwise it is claimed here and released again on failure."""
        s = self.session
        links = await self.links()
        if s.spec is None or s.integration is None:
            raise ValueError(
                "Set up the Zoom app and the integration first (the first three pages): the "
                "link is made with them."
            )
        if entry_id is not None:
            await s.work.settled()  # an earlier write of this entry (Stop waiting) goes first
            await self._claim(entry_id)  # again after a stop or a refusal: SENT from in progress
        landing = self.landing_page
        try:
            sent = await links.send(
                account,
                landing or s.spec.redirect_uri,
                landing_page=bool(landing),
                queue_entry=entry_id,
            )
        except BaseException:
            if entry_id is not None and not claimed:
                await asyncio.to_thread(s.work.store.release, entry_id)
            raise
        if entry_id is not None:
            s.work.handed_off(entry_id)
        if not sent.survives_restart:
            self._kept_here.append(sent)
        if sent.api == "connect":
            self.start_polling()
        return sent

    async def send_entry(self, entry_id: int) -> SentLink:
        """The Queue window's Send link: a link for this entry, claimed for the time it takes."""
        s = self.session
        current = s.work.current
        if current is not None and current.id == entry_id:
            raise ValueError(
                f"{current.label} is on the consent page: use The customer is not here... there."
            )
        entry = await asyncio.to_thread(s.work.store.get, entry_id)
        if entry.state is EntryState.CONNECTED:
            raise ValueError(f"{entry.label} is already connected (grant {entry.grant_id}).")
        account = core.account_for_entry(entry, s.api)  # refuses what this API cannot take
        return await self.send(account, entry_id, claimed=False)

    async def finish(self, text: str) -> Finished:
        """Take what a customer sent back (RemoteAnswerError, NotAnAnswer or the API's error
        say what to do next): the grant is recorded, the entry moved, and `answered` says so."""
        finished = await (await self.links()).finish(text)
        self._kept_here = [k for k in self._kept_here if not answers(k, finished)]
        if finished.result is not None:
            self.session.add_grant(finished.result.grant_id)
        self.session.work.changed.emit()  # its queue entry moved
        self.answered.emit(finished)
        return finished

    def kept_here(self) -> list[SentLink]:
        """Links still out whose answer only this window can take (no system keyring)."""
        now = time.time()
        return [k for k in self._kept_here if k.expires_at > now]

    async def sweep(self) -> int:
        """Close the links that expired (their entries fail, saying so); how many. Quiet
        without a connection: nothing to close then."""
        if self.session.flow is None:
            return 0
        try:
            return await (await self.links()).sweep()
        except Exception as exc:  # a locked database: the next sweep closes them
            log.warning("closing expired links failed: %s", exc)
            return 0

    def connection_checked(self) -> None:
        """A new connection: close what expired, and look for the grants of the Connect links
        an earlier window sent."""
        self._poll.stop()
        self.available.emit(True)
        self.session.spawn(self._after_check())

    async def _after_check(self) -> None:
        await self.sweep()
        if await self._connect_links_out():
            self.start_polling()

    # -- Connect: the grant is made at consent, nothing to paste ----------------------------

    def start_polling(self) -> None:
        if not self._poll.isActive():
            log.info(
                "Connect links are out: asking Nylas for their grants every %d ms",
                self.poll_interval,
            )
        self._poll.start(self.poll_interval)

    def _poll_now(self) -> None:
        if self.session.flow is None:  # the window closed, or another application is next
            self._poll.stop()
        elif not self._polling:
            self._polling = True
            self.session.spawn(self._look())

    async def _look(self) -> None:
        try:
            report = await self.session.late.check()
            if report.found:
                self.session.work.changed.emit()  # their queue entries connected
            if not await self._connect_links_out():
                self._poll.stop()
        except Exception as exc:  # offline, a changed key, no connection: the next tick tries
            log.warning("looking for the grants of sent links failed: %s", exc)
            if self.session.flow is None:
                self._poll.stop()
        finally:
            self._polling = False

    async def _connect_links_out(self) -> bool:
        s = self.session
        if s.flow is None or s.api != "connect":
            return False
        return bool(await (await self.links()).sent())

    async def _claim(self, entry_id: int) -> None:
        store = self.session.work.store
        await asyncio.to_thread(store.start, entry_id)  # False when it is ours already
        entry = await asyncio.to_thread(store.get, entry_id)
        if entry.state is not EntryState.IN_PROGRESS or entry.owner != this_process():
            raise ValueError(f"{entry.label} is done or another window is working on it.")


def answers(sent: SentLink, finished: Finished) -> bool:
    """`finished` is the answer to `sent` (the same account and queue entry)."""

    def key(account: CustomerAccount) -> tuple[str, str, str]:
        return account.account_id or "", account.login_hint or "", account.customer or ""

    return sent.queue_entry == finished.queue_entry and key(sent.account) == key(finished.account)
