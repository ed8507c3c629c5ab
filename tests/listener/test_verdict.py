"""The listener's decision about a callback, as a pure function of the callback and the wait."""

from __future__ import annotations

import pytest

from wizard.listener.callback import CodeCallback, ErrorCallback, GrantCallback
from wizard.listener.verdict import Verdict, judge

GRANT = GrantCallback("grant-123456", "zoom", "s")
STATELESS = GrantCallback("grant-123456", "zoom", None)
CODE = CodeCallback("code-123456", "s")
ERROR = ErrorCallback("access_denied", None, "no", "s")
STATELESS_ERROR = ErrorCallback("access_denied", None, "forged", None)


@pytest.mark.parametrize(
    ("callback", "state", "resolver", "verdict"),
    [
        (GRANT, False, True, Verdict.FOREIGN_STATE),
        (ERROR, False, True, Verdict.FOREIGN_STATE),
        (ERROR, True, True, Verdict.REFUSAL),
        (STATELESS_ERROR, None, True, Verdict.STATELESS_ERROR),
        (STATELESS_ERROR, None, False, Verdict.STATELESS_ERROR),
        (GrantCallback("grant-123456", "google", "s"), True, True, Verdict.WRONG_PROVIDER),
        (GRANT, True, True, Verdict.RESOLVE),
        (GRANT, True, False, Verdict.ACCEPT_UNCHECKED),
        (STATELESS, None, True, Verdict.RESOLVE),
        (STATELESS, None, False, Verdict.UNCHECKABLE),
        (CODE, True, True, Verdict.RESOLVE),
        (CODE, True, False, Verdict.UNCHECKABLE),  # a code is worth nothing unexchanged
    ],
)
def test_judge(callback: object, state: bool | None, resolver: bool, verdict: Verdict) -> None:
    assert (
        judge(
            callback,  # type: ignore[arg-type]
            state_matches=state,
            expected_provider="zoom",
            can_resolve=resolver,
        )
        is verdict
    )
