"""What a sandbox is built from: the caller's options."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from wizard.sandbox.credentials import DEMO_CREDENTIALS, DemoCredentials
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


DEFAULT_OPTIONS = SandboxOptions()
