"""What the listener does with a callback: a pure decision, apart from sockets and pages.

`judge` looks only at the callback and the request it waits for; `Resolution` is what the
flow's resolver says after asking the API (v3: after exchanging the code).
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from wizard.listener.callback import Callback, CodeCallback, ErrorCallback, GrantCallback

__all__ = ["Accepted", "Failed", "Rejected", "Resolution", "Resolver", "Verdict", "judge"]


class Verdict(enum.Enum):
    FOREIGN_STATE = "foreign_state"  # another request's state: refused, the wait goes on
    STATELESS_ERROR = "stateless_error"  # an error anyone could send: ignored, wait goes on
    REFUSAL = "refusal"  # the provider's error for this request: the wait ends
    WRONG_PROVIDER = "wrong_provider"
    UNCHECKABLE = "uncheckable"  # no state and nobody to ask the API
    ACCEPT_UNCHECKED = "accept_unchecked"  # the state matched and nobody to ask the API
    RESOLVE = "resolve"  # ask the resolver (the API) before accepting


def judge(
    callback: Callback,
    *,
    state_matches: bool | None,
    expected_provider: str,
    can_resolve: bool,
) -> Verdict:
    """`state_matches` is None when the callback carries no state."""
    if state_matches is False:
        return Verdict.FOREIGN_STATE
    if isinstance(callback, ErrorCallback):
        return Verdict.REFUSAL if state_matches else Verdict.STATELESS_ERROR
    if isinstance(callback, GrantCallback) and callback.provider != expected_provider:
        return Verdict.WRONG_PROVIDER
    if can_resolve:
        return Verdict.RESOLVE
    if state_matches and isinstance(callback, GrantCallback):
        return Verdict.ACCEPT_UNCHECKED
    return Verdict.UNCHECKABLE


@dataclass(frozen=True)
class Accepted:
    grant_id: str
    provider: str
    verified: bool | None  # None: the API could not be asked
    details: object = None  # handed on to the flow untouched


@dataclass(frozen=True)
class Rejected:
    """Not this request's grant; the page says `reason` and the wait goes on."""

    reason: str
    # This request's answer, but Nylas refused its code (used, expired): what Nylas said. The
    # same link, opened again, gives a new code.
    code_refused: str | None = None


@dataclass(frozen=True)
class Failed:
    """This request's answer, but it cannot become a grant (v3: the code exchange failed)."""

    error: Exception


Resolution = Accepted | Rejected | Failed
Resolver = Callable[[GrantCallback | CodeCallback], Awaitable[Resolution]]
