"""Matching late grants to the authorizations that were left open (pure part)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from wizard.flow.backend import GrantInfo
from wizard.flow.reconcile import UNCONFIRMED, match

T0 = 1_800_000_000


@dataclass(frozen=True)
class Auth:
    id: int
    api: str
    started_at: float
    expires_at: float
    state_sha256: str
    login_hint: str | None = None


def digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def grant(
    gid: str, *, state: str | None = None, email: str | None = None, at: int = T0
) -> GrantInfo:
    return GrantInfo(gid, "zoom", email, "valid", state, created_at=at, updated_at=at)


def test_a_state_match_is_confirmed_and_never_given_twice() -> None:
    auths = [
        Auth(1, "connect", T0, T0 + 900, digest("s1")),
        Auth(2, "connect", T0, T0 + 900, digest("s1")),
    ]
    found = match(auths, [grant("g1", state="s1")])
    assert [(f.authorization_id, f.grant.id, f.confirmed) for f in found] == [(1, "g1", True)]


def test_another_requests_grant_is_never_attributed() -> None:
    auths = [Auth(1, "v3", T0, T0 + 900, digest("mine"), "a@b.example")]
    # Same email, but the grant carries another state: it belongs to another authorization.
    assert match(auths, [grant("g1", state="theirs", email="a@b.example")]) == []
    # Another provider, or outside the window: not this one either.
    other = GrantInfo("g2", "google", "a@b.example", "valid", None, updated_at=T0)
    assert match(auths, [other, grant("g3", email="a@b.example", at=T0 + 900 + 601)]) == []


def test_v3_email_match_is_marked_unconfirmed_and_only_when_unique() -> None:
    auths = [Auth(1, "v3", T0, T0 + 900, digest("s"), "A@B.example")]
    found = match(auths, [grant("g1", email="a@b.example", at=T0 + 30)])
    assert [(f.grant.id, f.confirmed, f.note) for f in found] == [("g1", False, UNCONFIRMED)]
    two = [
        grant("g1", email="a@b.example", at=T0 + 30),
        grant("g2", email="a@b.example", at=T0 + 40),
    ]
    assert match(auths, two) == []
    # Connect grants are never matched by email.
    connect = [Auth(1, "connect", T0, T0 + 900, digest("s"), "a@b.example")]
    assert match(connect, [grant("g1", email="a@b.example", at=T0 + 30)]) == []
