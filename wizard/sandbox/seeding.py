"""Practice grants: Zoom users of made-up companies, some of them invalid, so that staff can
practise the worklist of grants that need attention (zoom-onboard grants, the Grants window).

The set is the same in every process (a fixed random seed): a `--sandbox` command that lists
the practice grants and the next one that re-authenticates them meet the same Zoom users and
the same grant ids. Times are spread over the past year, so that no practice grant looks like
one a sign-in just made (reconciliation looks for those).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

__all__ = ["MAX_SEEDED", "PRACTICE_GRANTS", "PRACTICE_INVALID", "SeedGrant", "practice_grants"]

MAX_SEEDED = 100_000
# What the wizard's in-process sandbox and `--sandbox` commands start with: a worklist small
# enough to read at a glance, with something in it to fix.
PRACTICE_GRANTS = 12
PRACTICE_INVALID = 3
_SEED = 19  # the issue that asked for it; any constant keeps the set the same everywhere
_DAY = 86_400

_FIRST = (
    "ana", "ben", "chloe", "dev", "emma", "farid", "grace", "hugo", "ines", "jonas", "kemal",
    "lena", "mateo", "nora", "omar", "priya", "quinn", "rosa", "sven", "tara", "umar", "vera",
)  # fmt: skip
_LAST = (
    "alvarez", "berg", "chen", "dubois", "eriksen", "fischer", "garcia", "haddad", "ito",
    "jansen", "kowalski", "lopez", "meyer", "novak", "okafor", "petrov", "rossi", "silva",
)  # fmt: skip
_COMPANIES = (
    "acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "tyrell", "cyberdyne",
    "soylent", "vandelay", "wonka", "dunder", "gringotts", "monarch", "oscorp",
)  # fmt: skip


@dataclass(frozen=True)
class SeedGrant:
    id: str
    email: str
    account_id: str  # Connect grants name a Nylas account
    created_at: int
    updated_at: int
    grant_status: str  # "valid" or "invalid"


def practice_grants(count: int, invalid: int, now: float) -> list[SeedGrant]:
    """`count` Zoom grants, `invalid` of them invalid (scattered, not the first ones), oldest
    first; ValueError for numbers out of range."""
    check_counts(count, invalid)
    rng = random.Random(_SEED)  # noqa: S311 - made-up practice data, the same every time
    broken = set(rng.sample(range(count), invalid))
    seen: set[str] = set()
    grants: list[SeedGrant] = []
    for number in range(count):
        email = _email(rng, number, seen)
        created = int(now) - rng.randint(2 * _DAY, 365 * _DAY)
        # An invalid grant broke some time after it was made (Zoom revoked, the token expired).
        updated = rng.randint(created, int(now) - _DAY)
        grants.append(
            SeedGrant(
                id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                email=email,
                account_id=f"acct-{number + 1:05d}",
                created_at=created,
                updated_at=updated,
                grant_status="invalid" if number in broken else "valid",
            )
        )
    grants.sort(key=lambda g: g.created_at)
    return grants


def check_counts(count: int, invalid: int) -> None:
    if not 0 <= count <= MAX_SEEDED:
        raise ValueError(f"The number of grants must be between 0 and {MAX_SEEDED}, not {count}.")
    if not 0 <= invalid <= count:
        raise ValueError(
            f"The number of invalid grants must be between 0 and the number of grants "
            f"({count}), not {invalid}."
        )


def _email(rng: random.Random, number: int, seen: set[str]) -> str:
    first, last, company = rng.choice(_FIRST), rng.choice(_LAST), rng.choice(_COMPANIES)
    email = f"{first}.{last}@{company}.example"
    if email in seen:  # one grant per Zoom user per application
        email = f"{first}.{last}{number}@{company}.example"
    seen.add(email)
    return email
