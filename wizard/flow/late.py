"""What a late answer means for the work queue: one rule for the wizard and `queue run`.

A link whose wait ended (Stop waiting, a timeout, the next customer) still works, and the flow
still listens for it (OnboardingFlow.authorize). When it comes back, its queue entry (the
`tag` the front end gave) is decided by it: connected with its grant, or refused or failed
with why, whatever it said before.
"""

from __future__ import annotations

from wizard.flow.events import LateAnswer
from wizard.flow.explain import explain
from wizard.listener.listener import CallbackRefused
from wizard.store.queue import EntryState, WorkQueue


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
    state = EntryState.REFUSED if isinstance(event.error, CallbackRefused) else EntryState.FAILED
    queue.finish(event.tag, state, reason=f"Came back late: {explain(event.error).text()}")
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
