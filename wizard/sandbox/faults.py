"""Fault injection: make the next matching requests fail the way networks and servers do.

Only reachable through the Python API (tests, trainers' scripts), never over HTTP. A fault
acts BEFORE the request is processed: a dropped or failed POST has created nothing, so a
client that retries it is right to do so, and one that assumes success is caught.

With `after=True` it acts AFTER: the request is processed (a code is spent, a grant made) and
only its answer is late ("slow"), replaced ("status", "body", "retry_after") or lost ("drop"),
as when a timeout or a proxy's 5xx hides a success.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Literal

FaultKind = Literal["status", "retry_after", "slow", "drop", "body"]


@dataclass
class Fault:
    method: str | None = None  # e.g. "POST"; None matches any method
    path_prefix: str = "/connect/"
    kind: FaultKind = "status"
    times: int = 1  # how many matching requests it affects
    status: int = 503  # for "status" and "body"
    retry_after: float = 1.0  # for "retry_after": 429 with this Retry-After (seconds)
    delay: float = 1.0  # for "slow": wait this long, then answer normally
    body: bytes = b""  # for "body": sent raw as application/json (truncated or garbage JSON)
    after: bool = False  # act once the request has been processed (its effects stay)

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method.upper()) and path.startswith(
            self.path_prefix
        )


class FaultInjector:
    """Thread-safe queue of faults; the first matching fault with uses left wins."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        if fault.times < 1:
            raise ValueError("Fault.times must be at least 1.")
        with self._lock:
            # A copy: counting uses down must not change the caller's object.
            self._faults.append(replace(fault))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def pending(self) -> list[Fault]:
        """Faults not used up yet (a snapshot)."""
        with self._lock:
            return list(self._faults)

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if any, counting one use of it."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None
