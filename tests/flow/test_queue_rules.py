"""The queue's rules below both front ends: a grant makes its entry connected the moment it is
written, whatever stops the onboarding afterwards; a late answer decides its entry."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.helpers.flows import EMAIL, spec, v3_flow
from wizard.flow import CustomerAccount, GrantCaptured, LateAnswer
from wizard.flow.backend import OnboardingResult
from wizard.flow.queue_rules import EntryRecorder, finish_entry_late
from wizard.listener.listener import CallbackRefused
from wizard.sandbox import SandboxServer
from wizard.sandbox.consent_bot import ConsentBot
from wizard.store.history import History
from wizard.store.queue import EntryState, WorkQueue
from wizard.store.recorder import HistoryRecorder, VerifiedRef

pytestmark = pytest.mark.anyio


class StopsAfterTheGrant(HistoryRecorder):
    """Verification never finishes: the process is stopped right after the callback."""

    async def grant_verified(self, result: VerifiedRef) -> None:
        await asyncio.Event().wait()


async def test_a_grant_connects_its_entry_before_anything_can_stop_the_run(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    history = History(db, tmp_path / "fallback.jsonl")
    queue = WorkQueue(db)
    (entry_id,) = queue.import_text(EMAIL, practice=True)
    assert queue.start(entry_id)
    base = StopsAfterTheGrant(
        history, profile="", region="sandbox", integration_id=None, api="v3", practice=True
    )
    captured = asyncio.Event()

    def on_event(event: object) -> None:
        if isinstance(event, GrantCaptured):
            captured.set()

    async with SandboxServer() as sandbox:
        flow = v3_flow(sandbox, ConsentBot("allow"), on_event=on_event)
        try:
            s = spec(sandbox)
            await flow.ensure_integration(s)
            account = CustomerAccount(customer="Acme", login_hint=EMAIL)
            run = asyncio.ensure_future(
                flow.authorize(
                    account, s.redirect_uri, recorder=EntryRecorder(base, queue, entry_id)
                )
            )
            await asyncio.wait_for(captured.wait(), 20)
            run.cancel()  # Ctrl+C, right after the callback
            with pytest.raises(asyncio.CancelledError):
                await run
            queue.release(entry_id, reason="Stopped with Ctrl+C")  # what queue run then does
        finally:
            await flow.aclose()
        (grant_id,) = sandbox.v3_grants
    (entry,) = queue.entries(practice=True)
    assert entry.state is EntryState.CONNECTED and entry.grant_id == grant_id
    assert [r.grant_id for r in history.records()] == [grant_id]


def test_a_late_answer_decides_its_entry(tmp_path: Path) -> None:
    queue = WorkQueue(tmp_path / "history.sqlite3")
    first, second, _third = queue.import_text("a1\na2\na3", practice=False)
    for entry_id in (first, second):
        queue.start(entry_id)
        queue.finish(entry_id, EntryState.FAILED, reason="Stopped waiting.")
    account = CustomerAccount("a1")
    result = OnboardingResult("g-1", "zoom", "a1", "u@example.com", "valid", True)
    refusal = CallbackRefused("access_denied", None, "The user declined")
    assert finish_entry_late(queue, LateAnswer(account, first, result=result))
    assert finish_entry_late(queue, LateAnswer(account, second, error=refusal))
    assert not finish_entry_late(queue, LateAnswer(account, None, result=result))
    assert not finish_entry_late(queue, LateAnswer(account, True, result=result))
    states = [(e.state, e.grant_id, e.email) for e in queue.entries(practice=False)]
    assert states == [
        (EntryState.CONNECTED, "g-1", "u@example.com"),
        (EntryState.REFUSED, None, None),
        (EntryState.WAITING, None, None),
    ]
    assert "Came back late" in str(queue.entries(practice=False)[1].reason)
