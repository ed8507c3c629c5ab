"""What a sandbox is built from: the caller's options."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from wizard.sandbox.credentials import DEMO_CREDENTIALS, DemoCredentials
from wizard.sandbox.seeding import PRACTICE_GRANTS, PRACTICE_INVALID, check_counts
from wizard.sandbox.v3.options import DEFAULT_V3_OPTIONS, V3Options


@dataclass(frozen=True)
class SandboxOptions:
    """How to start a sandbox (SandboxServer or BackgroundSandbox); the defaults are a
    trainee's. Change one with dataclasses.replace or by naming it: SandboxOptions(port=8765)."""

    port: int = 0  # on 127.0.0.1; 0 picks a free port
    credentials: DemoCredentials = DEMO_CREDENTIALS
    zoom_user_email: str = "zoom.user@example.com"  # prefilled on Zoom's consent page
    zoom_app_name: str = "Acme Scheduler"
    clock: Callable[[], float] = time.time
    # Connect: how long a login link lives; whether a success hands back the app's `state`.
    login_ttl: float = 900.0
    state_on_success: bool = True
    # v3: where the application's callback URIs are served ("redirect-uris", "callback-uris").
    v3_callback_uri_paths: tuple[str, ...] = ("redirect-uris",)
    v3_options: V3Options = DEFAULT_V3_OPTIONS  # where Nylas is silent; switchable while serving
    # Practice grants on both APIs (wizard/sandbox/seeding.py): how many, how many invalid.
    seed_grants: int = 0
    seed_invalid: int = 0

    def __post_init__(self) -> None:
        check_counts(self.seed_grants, self.seed_invalid)


DEFAULT_OPTIONS = SandboxOptions()
# The wizard's in-process sandbox and the `--sandbox` commands: a small worklist to practise on.
PRACTICE_OPTIONS = SandboxOptions(seed_grants=PRACTICE_GRANTS, seed_invalid=PRACTICE_INVALID)
