"""A grant's status as Nylas words it, read one way for both APIs' grants and the flow's view
of them (flow/backend.py's GrantInfo). Standard library only: the flow imports it at start."""

from __future__ import annotations

from typing import Protocol

__all__ = ["GrantStatus"]


class _Stated(Protocol):
    @property
    def grant_status(self) -> str | None: ...


class GrantStatus:
    """A mixin for whatever has a `grant_status`."""

    @property
    def is_valid(self: _Stated) -> bool:
        """Only "valid" is valid: no status at all is unknown, not invalid."""
        return self.grant_status == "valid"
