"""The grants worklist below both front ends, against the sandbox over real sockets: paging,
invalid first, the status filter, the join with the history, re-authentication through the
queue (the same ids come back, valid) and revoking."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.flows import sandbox_flow, spec, v3_flow
from tests.helpers.store import record_v3_grant
from wizard.flow import OnboardingFlow
from wizard.flow.backend import GrantBatch, GrantInfo
from wizard.flow.factory import history_recorder
from wizard.flow.grants import (
    GrantWorklist,
    Reauthentication,
    find_grant,
    queue_reauthentication,
)
from wizard.flow.inputs import account_for_entry
from wizard.nylas.errors import NotFound
from wizard.sandbox import SandboxOptions, SandboxServer
from wizard.sandbox.consent_bot import ConsentBot
from wizard.store.grant_listing import ListedGrant
from wizard.store.history import History
from wizard.store.queue import EntryState, WorkQueue
from wizard.target import Api, Target

pytestmark = pytest.mark.anyio


def seeded(grants: int, invalid: int) -> SandboxServer:
    return SandboxServer(SandboxOptions(seed_grants=grants, seed_invalid=invalid))


async def every(worklist: GrantWorklist) -> list[ListedGrant]:
    return [grant async for grant in worklist]


async def queue_the_invalid(
    flow: OnboardingFlow, history: History | None, queue: WorkQueue, api: Api
) -> tuple[list[ListedGrant], Reauthentication]:
    """A renewal's first step: the worklist's invalid grants, each queued to re-authenticate."""
    invalid = await every(GrantWorklist(flow.backend, history, practice=True, status="invalid"))
    return invalid, queue_reauthentication(queue, invalid, api=api, practice=True)


def list_calls(sandbox: SandboxServer, path: str) -> int:
    return sum(1 for seen in sandbox.requests_seen if seen == ("GET", path))


async def test_ten_thousand_v3_grants_stream_invalid_first_a_page_at_a_time() -> None:
    async with seeded(10_000, 37) as sandbox:
        flow = v3_flow(sandbox, ConsentBot("allow"))
        try:
            worklist = GrantWorklist(flow.backend, None, practice=True)
            first = await worklist.page()
            # The first page: the invalid ones (one request), then the first 200 of the rest.
            assert list_calls(sandbox, "/v3/grants") == 2
            assert [g.grant_status for g in first.grants[:37]] == ["invalid"] * 37
            # The first 200 of the second pass hold some invalid ones, listed already.
            assert 200 < len(first.grants) < 237 and first.next is not None
            grants = await every(GrantWorklist(flow.backend, None, practice=True))
        finally:
            await flow.aclose()
    assert len(grants) == 10_000 and len({g.grant_id for g in grants}) == 10_000
    assert [g.needs_attention for g in grants] == [True] * 37 + [False] * 9_963
    assert {g.grant_id for g in grants} == set(sandbox.v3_grants)
    # Oldest first within each pass.
    created = [g.created_at or 0 for g in grants[37:]]
    assert created == sorted(created)


@pytest.mark.parametrize(("status", "count"), [("invalid", 3), ("valid", 9)])
async def test_the_status_filter_asks_nylas_for_that_status_only(status: str, count: int) -> None:
    async with seeded(12, 3) as sandbox:
        flow = v3_flow(sandbox, ConsentBot("allow"))
        try:
            grants = await every(GrantWorklist(flow.backend, None, practice=True, status=status))
        finally:
            await flow.aclose()
    assert len(grants) == count and {g.grant_status for g in grants} == {status}


async def test_a_status_nylas_does_not_give_is_refused_with_the_choices() -> None:
    async with seeded(1, 0) as sandbox:
        flow = v3_flow(sandbox, ConsentBot("allow"))
        try:
            with pytest.raises(ValueError, match="choose invalid or valid"):
                GrantWorklist(flow.backend, None, practice=True, status="expired")
        finally:
            await flow.aclose()


async def test_connect_grants_are_read_twice_invalid_first_and_only_zoom() -> None:
    async with seeded(450, 5) as sandbox:
        sandbox.add_grant(email="not.zoom@example.com")
        other = next(g for g in sandbox._connect.state.grants.values() if g.email.startswith("not"))
        other.provider = "google"  # another provider's grant of the same application
        flow = sandbox_flow(sandbox, ConsentBot("allow"))
        try:
            grants = await every(GrantWorklist(flow.backend, None, practice=True))
        finally:
            await flow.aclose()
    assert len(grants) == 450 and "not.zoom@example.com" not in {g.email for g in grants}
    assert [g.needs_attention for g in grants] == [True] * 5 + [False] * 445
    assert all(g.account_id and g.account_id.startswith("acct-") for g in grants)
    # 451 grants at 100 a page: 5 pages per pass, two passes.
    assert list_calls(sandbox, "/connect/grants") == 10


class ShiftingBackend:
    """A backend whose pages shift between the passes (a grant deleted meanwhile): the second
    pass would list an invalid grant again; the worklist shows it once."""

    api = Api.V3

    def __init__(self) -> None:
        self.invalid = GrantInfo("g-1", "zoom", "a@x.example", "invalid", None)
        self.valid = GrantInfo("g-2", "zoom", "b@x.example", "valid", None)

    async def grant_batch(self, *, offset: int, status: str | None) -> GrantBatch:
        grants = (self.invalid,) if status == "invalid" else (self.invalid, self.valid)
        return GrantBatch(grants, None)


async def test_a_grant_listed_in_the_first_pass_is_not_listed_again() -> None:
    worklist = GrantWorklist(ShiftingBackend(), None, practice=False)  # type: ignore[arg-type]
    assert [g.grant_id for g in await every(worklist)] == ["g-1", "g-2"]


async def test_the_history_says_who_the_customer_is_in_one_query_per_page(tmp_path: Path) -> None:
    history = History(tmp_path / "history.sqlite3", tmp_path / "fallback.jsonl")
    async with seeded(12, 3) as sandbox:
        ids = list(sandbox.v3_grants)
        record_v3_grant(history, ids[0], "Acme #1", region="sandbox", practice=True)
        record_v3_grant(history, ids[1], "Real customer", profile="Real")
        flow = v3_flow(sandbox, ConsentBot("allow"))
        try:
            grants = {
                g.grant_id: g
                for g in await every(GrantWorklist(flow.backend, history, practice=True))
            }
        finally:
            await flow.aclose()
    assert grants[ids[0]].customer == "Acme #1" and grants[ids[0]].profile == "Support"
    assert grants[ids[0]].recorded_at is not None and grants[ids[0]].known_here
    assert grants[ids[1]].customer is None and not grants[ids[1]].known_here
    assert grants[ids[1]].reference == grants[ids[1]].email


async def test_invalid_v3_grants_are_renewed_through_the_queue_with_the_same_ids(
    tmp_path: Path,
) -> None:
    db = tmp_path / "history.sqlite3"
    history = History(db, tmp_path / "fallback.jsonl")
    queue = WorkQueue(db)
    async with seeded(12, 3) as sandbox:
        flow = v3_flow(sandbox, ConsentBot("allow"))
        try:
            invalid, done = await queue_the_invalid(flow, history, queue, Api.V3)
            assert done.added == 3 and "3 re-authentication(s) added" in done.summary()
            again = queue_reauthentication(queue, invalid, api=Api.V3, practice=True)
            assert (again.added, again.already_queued) == (0, 3)
            s = spec(sandbox)
            outcome = await flow.ensure_integration(s)
            target = Target.of("v3", "sandbox", sandbox.url)
            recorder = history_recorder(history, target, outcome.integration.id, "Support")
            while (entry := queue.next_waiting(practice=True)) is not None:
                assert queue.start(entry.id)
                result = await flow.authorize(
                    account_for_entry(entry, "v3"), s.redirect_uri, recorder=recorder
                )
                queue.finish(entry.id, EntryState.CONNECTED, grant_id=result.grant_id)
                assert result.renewed
            after = {
                g.grant_id: g
                for g in await every(GrantWorklist(flow.backend, history, practice=True))
            }
        finally:
            await flow.aclose()
    entries = queue.entries(practice=True)
    assert [e.login_hint for e in entries] == [g.email for g in invalid]
    assert {e.grant_id for e in entries} == {g.grant_id for g in invalid}  # the same ids
    assert len(after) == 12 and not any(g.needs_attention for g in after.values())
    for grant in invalid:
        assert sandbox.v3_grants[grant.grant_id]["grant_status"] == "valid"
        known = history.known_grants([grant.grant_id], practice=True)[grant.grant_id]
        assert known.note is not None and known.note.startswith("renewed")
        assert after[grant.grant_id].customer == grant.email  # the queue's reference


async def test_revoking_deletes_on_nylas_and_marks_the_history(tmp_path: Path) -> None:
    history = History(tmp_path / "history.sqlite3", tmp_path / "fallback.jsonl")
    async with seeded(3, 1) as sandbox:
        grant_id = next(iter(sandbox.v3_grants))
        record_v3_grant(history, grant_id, "Acme", profile="", region="sandbox", practice=True)
        flow = v3_flow(sandbox, ConsentBot("allow"))
        try:
            found = await find_grant(flow.backend, history, grant_id, practice=True)
            assert found.customer == "Acme" and found.email
            target = Target.of("v3", "sandbox", sandbox.url)
            words = await flow.delete_grant(
                grant_id, recorder=history_recorder(history, target, None, None)
            )
            with pytest.raises(NotFound):
                await find_grant(flow.backend, history, grant_id, practice=True)
        finally:
            await flow.aclose()
    assert grant_id not in sandbox.v3_grants
    assert words is not None and words.startswith("deleted on Nylas")
    assert history.known_grants([grant_id])[grant_id].grant_status == "deleted"


async def test_invalid_connect_grants_are_renewed_through_the_queue_with_the_same_ids(
    tmp_path: Path,
) -> None:
    # Connect renews the grant its auth request names: the entry carries the grant's id.
    queue = WorkQueue(tmp_path / "history.sqlite3")
    async with seeded(12, 3) as sandbox:
        flow = sandbox_flow(sandbox, ConsentBot("allow"))
        try:
            invalid, done = await queue_the_invalid(flow, None, queue, Api.CONNECT)
            assert done.added == 3 and "new grant" not in done.summary()
            s = spec(sandbox)
            await flow.ensure_integration(s)
            ids = []
            while (entry := queue.next_waiting(practice=True)) is not None:
                assert queue.start(entry.id)
                account = account_for_entry(entry, "connect")
                assert (account.account_id, account.renews) == (entry.account_id, entry.renews)
                flow.opener = ConsentBot("allow", email=entry.login_hint)  # the grant's user
                result = await flow.authorize(account, s.redirect_uri, timeout=30)
                ids.append(result.grant_id)
            statuses = {
                g.grant_id: g.grant_status
                for g in await every(GrantWorklist(flow.backend, None, practice=True))
            }
        finally:
            await flow.aclose()
    assert ids == [g.grant_id for g in invalid]  # the same ids, in queue order
    assert [(e.account_id, e.login_hint, e.renews) for e in queue.entries(practice=True)] == [
        (g.account_id, g.email, g.grant_id) for g in invalid
    ]
    assert len(statuses) == 12 and all(statuses[i] == "valid" for i in ids)
