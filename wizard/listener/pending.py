"""One authorization waiting on the loopback listener: what its callback may be, how it becomes
a grant, and how it ended.

The listener (wizard/listener/listener.py) owns the sockets and routes each callback by its
state to the PendingCallback of that state; everything after the routing is here. A pending
callback outlives the wait of whoever started it: after Stop waiting or a timeout it stays
registered while its link works, so a late consent still becomes a grant (on Nylas v3 nothing
else can exchange its code).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from wizard.http.server import Response
from wizard.listener import answers
from wizard.listener.callback import Callback, CodeCallback, ErrorCallback, GrantCallback
from wizard.listener.verdict import Accepted, Failed, Rejected, Resolution, Resolver, Verdict, judge

__all__ = [
    "CallbackRefused",
    "CapturedGrant",
    "ListenerTimeout",
    "OnGrant",
    "PendingCallback",
]

log = logging.getLogger("wizard.listener")


@dataclass(frozen=True)
class CapturedGrant:
    grant_id: str
    provider: str
    state_echoed: bool  # False when the redirect carried no state
    # True: the resolver confirmed it with the API. None: the API was unreachable (accepted
    # unverified), or nobody could ask it (no resolver, the state matched).
    verified_by_api: bool | None
    # What the resolver learnt (the flow's verified grant); opaque to the listener.
    details: object = None


class CallbackRefused(Exception):
    """The provider or Nylas reported a failure (consent declined, invalid client, ...)."""

    def __init__(self, error: str, error_code: str | None, description: str) -> None:
        self.error = error
        self.error_code = error_code
        self.description = description
        code = error + (f", code {error_code}" if error_code else "")
        reason = description.rstrip(".") if description else "no reason was given"
        super().__init__(f"The Zoom connection was refused: {reason} ({code}).")


class ListenerTimeout(Exception):
    """No callback before the deadline; the message says what to do."""


OnGrant = Callable[[CapturedGrant], Awaitable[None]]


class PendingCallback:
    # A grant already claimed when the deadline passes: let `on_grant` finish recording it.
    ON_GRANT_GRACE = 30.0
    # How long `wait` lets the final page reach the browser before it returns.
    FLUSH_GRACE = 2.0
    # Forged stateless callbacks must not fan out into unbounded API calls: a few at a time,
    # and only so many per authorization (a genuine browser sends one or two; each costs the
    # account's rate limit).
    MAX_CONCURRENT_VERIFY = 4
    MAX_STATELESS_LOOKUPS = 16

    def __init__(
        self,
        state: str,
        *,
        expected_provider: str,
        resolve: Resolver | None,
        on_grant: OnGrant | None,
        launch_target: str | None,
        silent_hint: str | None,
        verify_timeout: float,
        expires_at: float | None = None,
        unfinished_hint: str | None = None,
    ) -> None:
        if not state:
            raise ValueError("expected_state must not be empty")
        self.state = state
        self.expected_provider = expected_provider
        self.launch_target = launch_target
        self.expires_at = expires_at  # epoch seconds; None: only while someone waits
        # Its own launch address on the listener (not a secret: it only redirects to the
        # sign-in link, which the operator may copy anyway).
        self.launch_key = secrets.token_urlsafe(8)
        self.reached = asyncio.Event()
        # True while someone awaits `wait`; a late callback finds it False.
        self.attended = False
        self._on_grant = on_grant
        self._silent_hint = silent_hint
        # The browser came and no answer followed: what the customer probably saw (the API's).
        self._unfinished_hint = unfinished_hint
        self._verify_timeout = verify_timeout
        # Outcome: set once, by the single winning callback (grant or refusal).
        self._claimed = False
        self._claimed_grant: str | None = None
        self._finished = asyncio.Event()
        self._result: CapturedGrant | Exception | None = None
        # Connections whose page must be out before the wait returns: the winner's and those
        # of duplicates that were waiting for it.
        self._flush_tasks: set[asyncio.Task[object]] = set()
        self._resolutions = (
            _Resolutions(
                resolve,
                verify_timeout,
                concurrent=self.MAX_CONCURRENT_VERIFY,
                stateless=self.MAX_STATELESS_LOOKUPS,
            )
            if resolve is not None
            else None
        )
        # Callbacks being resolved right now: the code they carry may already have become a
        # grant on Nylas's side, so the deadline does not cut them off.
        self._in_flight = 0
        self._settled = asyncio.Event()
        self._settled.set()

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    @property
    def claimed(self) -> bool:
        """A callback has won (its grant may still be being recorded)."""
        return self._claimed

    async def wait(self, timeout: float) -> CapturedGrant:
        """Wait for this authorization's callback; raises ListenerTimeout, CallbackRefused or
        the failure that ended it. The pending callback itself stays as it is: the caller
        decides whether it keeps listening (see `outcome`)."""
        self.attended = True
        try:
            try:
                async with asyncio.timeout(timeout):
                    await self._finished.wait()
            except TimeoutError:
                await self._let_resolutions_finish()
                if not self._claimed:
                    raise self._timeout_error(timeout) from None
                # A winner is recording the grant right now: losing it would be worse.
                try:
                    async with asyncio.timeout(self.ON_GRANT_GRACE):
                        await self._finished.wait()
                except TimeoutError:
                    raise self._timeout_error(timeout) from None
            return await self._outcome()
        finally:
            self.attended = False

    async def outcome(self) -> CapturedGrant | Exception:
        """However it ends (for a late callback, after nobody waits any more)."""
        await self._finished.wait()
        try:
            return await self._outcome()
        except Exception as exc:
            return exc

    async def _outcome(self) -> CapturedGrant:
        await self._flush_final_page()
        result = self._result
        assert result is not None
        if isinstance(result, Exception):
            raise result
        return result

    # ---- what the listener hands over -----------------------------------------------------

    async def on_callback(self, callback: Callback, state_matches: bool | None) -> Response:
        """`state_matches` is None for a callback without state (routed here as the only one
        waiting); the listener never routes a foreign state here."""
        self.reached.set()
        if self._claimed:
            return await self._duplicate(callback)
        verdict = judge(
            callback,
            state_matches=state_matches,
            expected_provider=self.expected_provider,
            can_resolve=self._resolutions is not None,
        )
        if verdict is Verdict.REFUSAL:
            assert isinstance(callback, ErrorCallback)
            return self._refused(callback)
        if verdict is Verdict.ACCEPT_UNCHECKED:
            assert isinstance(callback, GrantCallback)
            return await self._conclude(
                callback, Accepted(callback.grant_id, callback.provider, None)
            )
        if verdict is Verdict.RESOLVE:
            assert not isinstance(callback, ErrorCallback) and self._resolutions is not None
            if callback.state is None and not self._resolutions.stateless_budget(callback):
                return answers.too_many_stateless()
            return await self._resolve_and_conclude(callback)
        return answers.turned_away(verdict, callback, self.expected_provider)

    def launched(self) -> None:
        self.reached.set()

    # ---- internals ------------------------------------------------------------------------

    def _refused(self, callback: ErrorCallback) -> Response:
        self._claimed = True
        self._finish(CallbackRefused(callback.error, callback.error_code, callback.description))
        return answers.refused(callback)

    async def _resolve_and_conclude(self, callback: GrantCallback | CodeCallback) -> Response:
        self._in_flight += 1
        self._settled.clear()
        try:
            assert self._resolutions is not None
            resolution = await self._resolutions.once(callback)
            if self._claimed:  # another callback won while we asked the API
                return await self._duplicate(callback)
            return await self._conclude(callback, resolution)
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._settled.set()

    async def _conclude(self, callback: Callback, resolution: Resolution) -> Response:
        if isinstance(resolution, Rejected):
            log.info("callback does not belong to this request: %s", resolution.reason)
            return answers.not_this_request(resolution.reason)
        # Claimed with no await since the checks above: only one callback can get here.
        self._claimed = True
        if isinstance(resolution, Failed):
            log.warning("the connection could not be completed: %s", resolution.error)
            self._finish(resolution.error)
            return answers.could_not_complete()
        self._claimed_grant = resolution.grant_id
        captured = CapturedGrant(
            grant_id=resolution.grant_id,
            provider=resolution.provider,
            state_echoed=callback.state is not None,
            verified_by_api=resolution.verified,
            details=resolution.details,
        )
        log.info(
            "grant %s accepted (state echoed: %s, verified by API: %s)",
            captured.grant_id,
            captured.state_echoed,
            captured.verified_by_api,
        )
        if self._on_grant is not None:
            try:
                await self._on_grant(captured)
            except Exception:  # the grant exists; the browser and the caller still get it
                log.exception("on_grant failed for grant %s", captured.grant_id)
        self._finish(captured)
        return answers.connected()

    def _finish(self, result: CapturedGrant | Exception) -> None:
        self._result = result
        self._flush_after_this()
        self._finished.set()

    def _flush_after_this(self) -> None:
        task = asyncio.current_task()  # the handler runs in its connection's task
        if task is not None:
            self._flush_tasks.add(task)

    async def _flush_final_page(self) -> None:
        # These responses are sent with `connection: close`, so each connection task ends once
        # its bytes are handed to the socket; returning before that would cut the page.
        pending = {task for task in self._flush_tasks if not task.done()}
        if pending:
            await asyncio.wait(pending, timeout=self.FLUSH_GRACE)

    async def _duplicate(self, callback: Callback) -> Response:
        # A reload or a second tab: never a second on_grant. The same grant gets the success
        # page again once the winner has recorded it (close() bounds this wait).
        self._flush_after_this()
        if isinstance(callback, GrantCallback) and callback.grant_id == self._claimed_grant:
            await self._finished.wait()
            return answers.connected()
        return answers.already_done()

    async def _let_resolutions_finish(self) -> None:
        if self._claimed or not self._in_flight:
            return
        log.info("the deadline passed while a callback was being resolved: waiting for it")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._verify_timeout + self.FLUSH_GRACE):
                await self._settled.wait()

    def _timeout_error(self, timeout: float) -> ListenerTimeout:
        if self.reached.is_set():
            hint = self._unfinished_hint or (
                "The browser reached this computer, but the sign-in was not finished. "
                "Start the connection again and complete the Zoom consent in the browser."
            )
        else:
            hint = self._silent_hint or (
                "The browser never came back to this computer, so it probably did not open. "
                "Open the sign-in link shown in the app in a browser yourself, then try again."
            )
        log.warning("no callback within %g s (browser reached: %s)", timeout, self.reached.is_set())
        return ListenerTimeout(f"No answer from the browser within {timeout:g} seconds. {hint}")


class _Resolutions:
    """Asking the resolver (the API) about callbacks: once per grant id or code, shared by
    concurrent duplicates (a reload must never exchange a code twice), a few at a time, and
    only so many times for callbacks without state."""

    def __init__(
        self, resolve: Resolver, timeout: float, *, concurrent: int, stateless: int
    ) -> None:
        self._resolve = resolve
        self._timeout = timeout
        self._max_stateless = stateless
        self._futures: dict[tuple[str, str], asyncio.Future[Resolution]] = {}
        self._slots = asyncio.Semaphore(concurrent)
        self._stateless_lookups = 0

    def stateless_budget(self, callback: GrantCallback | CodeCallback) -> bool:
        if _key(callback) in self._futures:
            return True  # already asked: costs nothing more
        if self._stateless_lookups >= self._max_stateless:
            if self._stateless_lookups == self._max_stateless:
                log.warning(
                    "more than %d callbacks without state: no more API lookups for them",
                    self._max_stateless,
                )
                self._stateless_lookups += 1
            return False
        self._stateless_lookups += 1
        return True

    async def once(self, callback: GrantCallback | CodeCallback) -> Resolution:
        key = _key(callback)
        future = self._futures.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._futures[key] = future
            future.set_result(await self._run(callback))
        return await asyncio.shield(future)

    async def _run(self, callback: GrantCallback | CodeCallback) -> Resolution:
        async with self._slots:
            try:
                async with asyncio.timeout(self._timeout):
                    resolution = await self._resolve(callback)
            except Exception as exc:  # a timeout too: the API is unreachable or the code broke
                log.warning("resolving the callback failed (%s)", type(exc).__name__)
                resolution = _unresolved(callback, exc)
        log.info("callback resolved via the API: %s", type(resolution).__name__)
        return resolution


def _key(callback: GrantCallback | CodeCallback) -> tuple[str, str]:
    if isinstance(callback, GrantCallback):
        return ("grant", callback.grant_id)
    return ("code", callback.code)


def _unresolved(callback: GrantCallback | CodeCallback, exc: BaseException) -> Resolution:
    # A grant id in hand is never thrown away: it is accepted, marked unverified. A code whose
    # exchange failed cannot become a grant here.
    if isinstance(callback, GrantCallback):
        return Accepted(callback.grant_id, callback.provider, None)
    error = exc if isinstance(exc, Exception) else RuntimeError(str(exc))
    return Failed(error)
