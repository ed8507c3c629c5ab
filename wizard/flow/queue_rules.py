"""How an onboarding decides its work-queue entry: one rule for the wizard and `queue run`.

- A grant that comes back makes its entry connected at once, with the history's record of it
  (EntryRecorder), so no later stop (Ctrl+C, a kill, a closed window) can leave it otherwise.
- A link whose wait ended (Stop waiting, a timeout, the next customer) still works, and the
  flow still listens for it (OnboardingFlow.authorize). When it comes back, its entry (the
  `tag` the front end gave) is decided by it: connected with its grant, or refused or failed
  with why, whatever it said before.
"""

from __future__ import annotations

import asyncio
import functools

from wizard.flow.backend import OnboardingResult
from wizard.flow.events import LateAnswer
from wizard.flow.explain import explain
from wizard.flow.inputs import CustomerAccount
from wizard.flow.onboarding import AuthorizationLog, GrantRecorder
from wizard.listener.listener import CallbackRefused
from wizard.store.queue import EntryState, WorkQueue


class EntryRecorder:
    """The history's recorder for one queue entry: the entry is connected right after the
    grant is written, in the same step of the flow (before the browser sees success)."""

    def __init__(self, recorder: GrantRecorder, queue: WorkQueue, entry_id: int) -> None:
        self.recorder = recorder
        self.queue = queue
        self.entry_id = entry_id

    async def grant_captured(self, grant_id: str, provider: str, account: CustomerAccount) -> None:
        await self.recorder.grant_captured(grant_id, provider, account)
        await self._connected(grant_id, None)

    async def grant_verified(self, result: OnboardingResult) -> None:
        await self.recorder.grant_verified(result)
        await self._connected(result.grant_id, result.email)  # now with its Zoom user

    async def authorization_started(
        self, account: CustomerAccount, *, expires_at: int, state_sha256: str
    ) -> int | None:
        if not isinstance(self.recorder, AuthorizationLog):
            return None
        return await self.recorder.authorization_started(
            account, expires_at=expires_at, state_sha256=state_sha256
        )

    async def authorization_ended(
        self, auth_id: int, outcome: str, *, grant_id: str | None = None, note: str | None = None
    ) -> None:
        if isinstance(self.recorder, AuthorizationLog):
            await self.recorder.authorization_ended(auth_id, outcome, grant_id=grant_id, note=note)

    async def _connected(self, grant_id: str, email: str | None) -> None:
        await asyncio.to_thread(
            functools.partial(
                self.queue.finish,
                self.entry_id,
                EntryState.CONNECTED,
                grant_id=grant_id,
                email=email,
            )
        )


def entry_state_after(error: BaseException) -> EntryState:
    """How an authorization that ended without a grant leaves its entry: refused when the
    customer or Zoom said no (trying again needs their mind changed), failed otherwise."""
    return EntryState.REFUSED if isinstance(error, CallbackRefused) else EntryState.FAILED


def finish_entry_late(queue: WorkQueue, event: LateAnswer) -> bool:
    """Write the entry's outcome (blocking: SQLite); False when the answer has no entry."""
    if not isinstance(event.tag, int) or isinstance(event.tag, bool):
        return False
    if event.result is not None:
        queue.finish(
            event.tag,
            EntryState.CONNECTED,
            grant_id=event.result.grant_id,
            email=event.result.email,
        )
        return True
    if event.error is None:
        return False
    reason = f"Came back late: {explain(event.error).text()}"
    queue.finish(event.tag, entry_state_after(event.error), reason=reason)
    return True


def late_answer_words(event: LateAnswer) -> str:
    """One sentence for the operator, whatever page or command they are on."""
    who = event.account.label
    if event.result is not None:
        user = event.result.email or "an unknown Zoom user"
        return (
            f"A consent came back after its wait had ended ({who}): grant "
            f"{event.result.grant_id} for Zoom user {user}, now in the History."
        )
    reason = explain(event.error).text() if event.error is not None else "no reason was given"
    return f"An earlier sign-in link came back without a grant ({who}): {reason}"
