"""The sandbox's clock, moved by hand: timestamps are exact, not "about now"."""

from __future__ import annotations

NOW = 1_800_000_000.0  # where every fake clock starts (2027-01-15)


class FakeClock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
