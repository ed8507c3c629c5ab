"""Consent by link, for a customer on another computer.

The tool makes the sign-in link and the operator sends it (a message for the customer). On
Nylas API v3 the customer's browser ends on the tool's redirect URI, which does not answer on
their computer (or on a company's landing page, resources/landing/): the address holds the code
and the state, and the customer sends it back. Pasted here, it is read by the API's own callback
parser, matched to its link by the SHA-256 of the state, and its code exchanged with the PKCE
verifier kept in the OS keyring meanwhile (never in a file): a link survives a restart of the
tool. On the Connect API the grant is made at consent; a remote one is found by asking Nylas
for the grants of open links (flow/reconcile.py), with nothing to paste.

Every refusal of a pasted answer is a RemoteAnswerError whose words say what to do next.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol
from urllib.parse import parse_qsl, urlsplit

from pydantic import SecretStr

from wizard.flow.backend import (
    Backend,
    LinkToResume,
    OnboardingResult,
    result_of,
    verified_parts,
)
from wizard.flow.inputs import CustomerAccount
from wizard.flow.recording import state_digest
from wizard.listener.callback import (
    CodeCallback,
    ErrorCallback,
    GrantCallback,
    MalformedCallback,
)
from wizard.listener.pasted import LANDING_PREFIX, WHAT_TO_SEND, read_pasted
from wizard.listener.redirect_uri import LoopbackRedirectUri
from wizard.listener.verdict import Accepted, Failed, Rejected
from wizard.logs import remember_secret
from wizard.store.entries import EntryState
from wizard.target import Api

if TYPE_CHECKING:
    from wizard.store.authorizations import KnownAuthorization, PendingAuthorization
    from wizard.store.history import History
    from wizard.store.queue import WorkQueue
    from wizard.store.recorder import HistoryRecorder

__all__ = [
    "CODE_LIFETIME",
    "REMOTE_LINK_LIFETIME",
    "Finished",
    "LinkVault",
    "RemoteAnswerError",
    "RemoteLinks",
    "SentLink",
    "link_of_answer",
]

log = logging.getLogger(__name__)

# v3's hosted auth documents no expiry: a link sent elsewhere is honoured this long (a customer
# in another time zone, a weekend), then its verifier is dropped. Connect's link dies when
# Nylas says (its auth request's expires_at).
REMOTE_LINK_LIFETIME = 3 * 24 * 3600
CODE_LIFETIME = (
    "Nylas does not document how long the code in the address stays usable: treat it as "
    "minutes, and it works once."
)
STATE_BYTES = 32
EXPIRED_NOTE = "The link sent to the customer expired before their answer came back."


class LinkVault(Protocol):
    """Where a sent link's secret waits for its answer: the OS keyring (store/secrets.py)."""

    def keep_link_secret(self, state_sha256: str, value: SecretStr) -> bool: ...

    def link_secret(self, state_sha256: str) -> SecretStr | None: ...

    def drop_link_secret(self, state_sha256: str) -> None: ...


class RemoteAnswerError(ValueError):
    """A pasted answer that cannot finish a link; the message says what to do next."""


@dataclass(frozen=True)
class SentLink:
    account: CustomerAccount
    url: str
    expires_at: float
    api: str
    landing_page: bool  # the customer ends on the company's landing page
    survives_restart: bool  # its secret is in the OS keyring (v3), or it needs none
    queue_entry: int | None = None

    @property
    def until(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(self.expires_at))

    def message(self) -> str:
        """What the operator sends the customer (email or chat)."""
        who = f" as {self.account.login_hint}" if self.account.login_hint else ""
        if self.api == Api.CONNECT.value:
            ending = (
                "At the end your browser may show a page that cannot be reached: that is "
                "expected, and nothing more is needed from you."
            )
        elif self.landing_page:
            ending = (
                f"At the end a page thanks you and shows one line starting with "
                f"{LANDING_PREFIX}: copy that line and send it back to me right away (it is "
                "only useful for a few minutes)."
            )
        else:
            ending = (
                "At the end your browser shows a page that cannot be reached: that is expected "
                "(it was meant for my computer). Copy the whole address from the address bar at "
                "that moment and send it back to me right away (it is only useful for a few "
                "minutes)."
            )
        return (
            "Hello,\n\n"
            f"To connect your Zoom account, please open this link, sign in to Zoom{who} and "
            f"click Allow:\n\n{self.url}\n\n{ending}\n\nThe link works until {self.until}.\n"
        )


@dataclass(frozen=True)
class Finished:
    """A sent link's answer, taken: connected (`result`) or declined by the customer."""

    account: CustomerAccount
    queue_entry: int | None
    result: OnboardingResult | None = None
    declined: str | None = None

    @property
    def label(self) -> str:
        return _label(self.account)

    def declined_words(self) -> str:
        """The customer's Decline, as both front ends say it (what to do: ask again later)."""
        return (
            f"{self.label} declined the connection: {self.declined} Send a new link when they "
            "are ready."
        )


class RemoteLinks:
    """Links sent to customers elsewhere, for one target (the flow's backend and recorder)."""

    def __init__(
        self,
        backend: Backend,
        recorder: HistoryRecorder,
        vault: LinkVault,
        queue: WorkQueue | None = None,
    ) -> None:
        self.backend, self.recorder, self.vault, self.queue = backend, recorder, vault, queue

    async def send(
        self,
        account: CustomerAccount,
        redirect_uri: LoopbackRedirectUri | str,
        *,
        landing_page: bool = False,
        queue_entry: int | None = None,
    ) -> SentLink:
        """Make a link for `account` to send; kept (history row, keyring) before it is shown.
        `redirect_uri`: the loopback one, or a landing page (registered here when missing)."""
        account.require_for(self.backend.api)
        state = secrets.token_urlsafe(STATE_BYTES)
        remember_secret(state)
        if landing_page and await self.backend.register_redirect_uri(str(redirect_uri)):
            log.info("registered the landing page %s as a redirect URI", redirect_uri)
        auth = await self.backend.start_authorization(account, redirect_uri, state)
        v3 = self.backend.api is Api.V3
        expires_at = int(time.time()) + REMOTE_LINK_LIFETIME if v3 else auth.expires_at
        digest = state_digest(state)
        kept = True
        if auth.secret:
            secret = SecretStr(auth.secret)
            kept = await asyncio.to_thread(self.vault.keep_link_secret, digest, secret)
        row = await self.recorder.authorization_started(
            account,
            expires_at=expires_at,
            state_sha256=digest,
            remote=True,
            redirect_uri=str(redirect_uri),
            queue_entry=queue_entry,
        )
        if row is None:
            await asyncio.to_thread(self.vault.drop_link_secret, digest)
            problems = " ".join(self.recorder.history.problems)
            raise RemoteAnswerError(
                f"The link could not be kept in the history, so its answer could not be taken "
                f"later: nothing was sent. {problems}".strip()
            )
        if queue_entry is not None and self.queue is not None:
            await asyncio.to_thread(self.queue.send, queue_entry, expires_at)
        log.info("a link for %s was made to send (until %s)", _label(account), expires_at)
        api = self.backend.api.value
        return SentLink(account, auth.url, expires_at, api, landing_page, kept, queue_entry)

    async def finish(self, text: str, *, now: float | None = None) -> Finished:
        """Take what the customer sent back. Raises RemoteAnswerError (or NotAnAnswer, or the
        API's NylasError) with what to do next; the grant is recorded before anything else."""
        pasted = read_pasted(text)
        try:
            callback = self.backend.parse_callback(pasted.query)
        except MalformedCallback as exc:
            raise RemoteAnswerError(
                f"The answer is damaged ({exc.reason}): the customer may have copied part of "
                f"it only. {WHAT_TO_SEND}"
            ) from None
        if isinstance(callback, CodeCallback):
            remember_secret(callback.code)  # a credential until exchanged: never in a log
        state = callback.state or await self._state_of_grant(callback)
        remember_secret(state)
        known = await asyncio.to_thread(
            self.recorder.history.find_authorization, state_digest(state)
        )
        auth = self._open_one(known, now=time.time() if now is None else now)
        if pasted.address is not None and not _same_address(pasted.address, auth.redirect_uri):
            raise RemoteAnswerError(
                "This address is not where the link sends the customer back to "
                f"({auth.redirect_uri}): it is not an answer of this link. {WHAT_TO_SEND}"
            )
        account = _account_of(auth)
        if isinstance(callback, ErrorCallback):
            return await self._declined(auth, account, callback)
        secret = await asyncio.to_thread(self.vault.link_secret, auth.state_sha256)
        if self.backend.api is Api.V3 and secret is None:
            raise RemoteAnswerError(
                f"The secret the link for {_label(account)} needs is no longer on this computer "
                "(no system keyring when it was sent, and the tool restarted since). Send the "
                "customer a new link."
            )
        link = LinkToResume(
            account,
            auth.redirect_uri or "",
            state,
            secret.get_secret_value() if secret else None,
            started_at=int(auth.started_at),
            expires_at=int(auth.expires_at),
        )
        pending = self.backend.resume_authorization(link)
        resolution = await pending.resolve(callback)
        if isinstance(resolution, Failed):
            raise resolution.error
        if isinstance(resolution, Rejected):
            raise RemoteAnswerError(_rejected_words(resolution, auth))
        return await self._connected(auth, account, resolution)

    async def sweep(self, now: float | None = None) -> int:
        """Close this target's sent links that expired (their secrets dropped, their queue
        entries failed, saying so); how many."""
        now = time.time() if now is None else now
        expired = [a for a in await self._open() if a.expires_at < now]
        for auth in expired:
            await self._end(auth, "expired", EXPIRED_NOTE)
        if self.queue is not None:
            await asyncio.to_thread(self.queue.expire_sent, now)
        return len(expired)

    async def sent(self) -> list[PendingAuthorization]:
        """This target's links still out with customers, oldest first."""
        now = time.time()
        return [a for a in await self._open() if a.expires_at >= now]

    # -- helpers ---------------------------------------------------------------------------

    async def _open(self) -> list[PendingAuthorization]:
        r = self.recorder
        found = await asyncio.to_thread(
            functools.partial(
                r.history.open_authorizations,
                api=self.backend.api.value,
                region=r.region,
                practice=r.practice,
                api_url=r.api_url,
            )
        )
        return [a for a in found if a.remote]

    def _open_one(self, known: KnownAuthorization | None, *, now: float) -> PendingAuthorization:
        if known is None or not known.authorization.remote:
            raise RemoteAnswerError(
                "This answer is not for a link sent from this computer: a link is finished on "
                "the computer (and the user account) that sent it."
            )
        auth = known.authorization
        r, label = self.recorder, _label(_account_of(auth))
        if auth.practice and r.practice and auth.api_url != r.api_url:
            raise RemoteAnswerError(
                f"This answer is for the link sent to {label} from an earlier offline sandbox, "
                "which ended with the window or command that ran it (practice links end with "
                "it): send a new link."
            )
        if (auth.api, auth.practice) != (self.backend.api.value, r.practice) or (
            auth.api_url and r.api_url and auth.api_url != r.api_url
        ):
            where = "the offline sandbox" if auth.practice else (auth.api_url or auth.region)
            raise RemoteAnswerError(
                f"This answer is for the link sent to {label} with another application "
                f"({auth.api} on {where}, profile {auth.profile or 'none'}): check the "
                "connection with that application, then paste it again."
            )
        if known.outcome is not None:
            raise RemoteAnswerError(_ended_words(known, label))
        if auth.expires_at < now:
            raise RemoteAnswerError(
                f"The link sent to {label} expired at {_clock(auth.expires_at)}: send the "
                "customer a new link (Queue: Retry, then send it again)."
            )
        return auth

    async def _state_of_grant(self, callback: object) -> str:
        """Connect may leave the state out of a success: the grant carries it."""
        if isinstance(callback, GrantCallback):
            grant = await self.backend.get_grant(callback.grant_id)
            if grant.state:
                return grant.state
        raise RemoteAnswerError(
            "The answer has no state, so it cannot be matched to a link. " + WHAT_TO_SEND
        )

    async def _declined(
        self, auth: PendingAuthorization, account: CustomerAccount, callback: ErrorCallback
    ) -> Finished:
        said = callback.description or callback.error
        await self._end(auth, "refused", f"declined, by link: {said}")
        if auth.queue_entry is not None and self.queue is not None:
            finish = functools.partial(
                self.queue.finish, auth.queue_entry, EntryState.REFUSED, reason=said
            )
            await asyncio.to_thread(finish)
        return Finished(account, auth.queue_entry, declined=said)

    async def _connected(
        self, auth: PendingAuthorization, account: CustomerAccount, accepted: Accepted
    ) -> Finished:
        grant, problem, renewed = verified_parts(accepted.details)
        api = self.backend.api.value
        result = result_of(
            accepted.grant_id, accepted.provider, account, grant, problem, renewed, api
        )
        await self.recorder.link_answered(
            auth, result, account_id=result.account_id or "", problem=problem
        )
        if auth.queue_entry is not None and self.queue is not None:
            finish = functools.partial(
                self.queue.finish,
                auth.queue_entry,
                EntryState.CONNECTED,
                grant_id=result.grant_id,
                email=result.email,
            )
            await asyncio.to_thread(finish)
        await asyncio.to_thread(self.vault.drop_link_secret, auth.state_sha256)
        return Finished(account, auth.queue_entry, result=result)

    async def _end(self, auth: PendingAuthorization, outcome: str, note: str) -> None:
        end = functools.partial(
            self.recorder.history.end_authorization, auth.id, outcome, note=note
        )
        await asyncio.to_thread(end)
        await asyncio.to_thread(self.vault.drop_link_secret, auth.state_sha256)


async def link_of_answer(history: History, text: str) -> PendingAuthorization | None:
    """The link a pasted answer belongs to, open or ended (None: no state in it, or no link
    of this computer has it): the command line finds the application to finish it with."""
    pasted = read_pasted(text)
    states = [v for k, v in parse_qsl(pasted.query, keep_blank_values=True) if k == "state"]
    if len(states) != 1 or not states[0]:
        return None
    remember_secret(states[0])
    known = await asyncio.to_thread(history.find_authorization, state_digest(states[0]))
    return known.authorization if known is not None and known.authorization.remote else None


def _account_of(auth: PendingAuthorization) -> CustomerAccount:
    return CustomerAccount(auth.account_id, login_hint=auth.login_hint, customer=auth.customer)


def _label(account: CustomerAccount) -> str:
    return account.customer or account.login_hint or account.account_id or "the customer"


def _clock(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(epoch))


def _same_address(pasted: str, redirect_uri: str | None) -> bool:
    """The pasted address is where the link sends the browser (scheme, host, port, path)."""
    if not redirect_uri:
        return True
    a, b = urlsplit(pasted), urlsplit(redirect_uri)
    same_host = (a.hostname or "").lower() == (b.hostname or "").lower()
    return same_host and a.port == b.port and a.path.rstrip("/") == b.path.rstrip("/")


def _ended_words(known: KnownAuthorization, label: str) -> str:
    when = _clock(known.ended_at) if known.ended_at else "earlier"
    if known.outcome == "connected":
        return (
            f"This answer was used already: {label} was connected at {when} (grant "
            f"{known.grant_id}). Nothing more to do."
        )
    if known.outcome == "refused":
        return f"{label} declined at {when} with this link. Send a new link to ask again."
    return f"The link sent to {label} ended at {when} ({known.outcome}): send a new link."


def _rejected_words(rejected: Rejected, auth: PendingAuthorization) -> str:
    if rejected.code_refused is not None:
        return (
            f"Nylas refused the code in this answer: {rejected.code_refused} {CODE_LIFETIME} "
            "Ask the customer to "
            "open the same link again and to send the new address as soon as the browser "
            f"shows it; the link works until {_clock(auth.expires_at)}."
        )
    return f"The answer could not be used: {rejected.reason}"
