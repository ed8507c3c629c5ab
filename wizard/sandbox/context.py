"""What both fake Nylas APIs share once the sandbox is built."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from wizard.sandbox.credentials import DemoCredentials
from wizard.sandbox.zoom import FakeZoom


@dataclass(frozen=True)
class Context:
    """The credentials both APIs accept, the one Zoom app, the sandbox's base URL (known once
    it listens) and its clock."""

    credentials: DemoCredentials
    zoom: FakeZoom
    base_url: Callable[[], str]
    clock: Callable[[], float]
