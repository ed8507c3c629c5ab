"""The cyclic garbage of an account is collected when the next one starts, not left to pile up."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from tests.helpers.flows import EMAIL, spec, v3_flow
from wizard import memory
from wizard.flow import CustomerAccount
from wizard.sandbox import SandboxServer
from wizard.sandbox.consent_bot import ConsentBot


class _Cycle:
    """Garbage only the cycle collector frees, as an httpx response with its stream is."""

    def __init__(self) -> None:
        self.me = self


def _left_behind() -> weakref.ref[_Cycle]:
    return weakref.ref(_Cycle())


@pytest.fixture
def no_automatic_collection() -> Iterator[None]:
    """Only an explicit collection frees a cycle while the test runs."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.fixture
def frozen(no_automatic_collection: None) -> Iterator[None]:
    """A process that froze its start-up (the window, `queue run`), until the test ends."""
    memory.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@pytest.mark.usefixtures("frozen")
def test_after_freeze_settle_frees_the_cycles_left_behind_and_only_scans_what_came_later() -> None:
    assert gc.get_freeze_count() > 0
    kept = _Cycle()
    assert any(o is kept for o in gc.get_objects())  # made after the freeze: scanned
    cycle = _left_behind()
    assert cycle() is not None
    memory.settle()
    assert cycle() is None


@pytest.mark.usefixtures("no_automatic_collection")
def test_a_process_that_did_not_freeze_pays_no_full_collection() -> None:
    """A command that onboards one account (the self-test, `onboard`) and ends."""
    cycle = _left_behind()
    memory.settle()
    assert cycle() is not None
    gc.collect()
    assert cycle() is None


@pytest.mark.anyio
@pytest.mark.usefixtures("frozen")
async def test_an_authorization_first_collects_what_the_last_account_left() -> None:
    async with SandboxServer() as sandbox:
        flow = v3_flow(sandbox, ConsentBot("allow"))
        try:
            s = spec(sandbox)
            await flow.ensure_integration(s)
            cycle = _left_behind()
            result = await flow.authorize(
                CustomerAccount(customer="Acme", login_hint=EMAIL), s.redirect_uri, timeout=20
            )
        finally:
            await flow.aclose()
    assert result.verified
    assert cycle() is None
