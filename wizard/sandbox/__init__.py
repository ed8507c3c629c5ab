"""Offline sandbox: a real HTTP server on 127.0.0.1 imitating Nylas API v3, the Nylas Connect API
(beta) and Zoom's consent page, errors included. Newcomers train on it; tests talk to it.

    async with SandboxServer() as sandbox:       # or: with BackgroundSandbox() as sandbox:
        sandbox.url, sandbox.credentials, sandbox.faults.add(Fault(kind="drop"))
        sandbox.v3_options = V3Options(renewal_state="overwritten")  # where Nylas is silent

Run it by hand with `zoom-onboard sandbox` (wizard/cli/sandbox_cmd.py).
"""

from wizard.sandbox.credentials import DEMO_CREDENTIALS, DemoCredentials
from wizard.sandbox.faults import Fault, FaultInjector, FaultKind
from wizard.sandbox.server import BackgroundSandbox, SandboxServer
from wizard.sandbox.state import ZOOM_APP_SCOPES
from wizard.sandbox.v3 import V3Options, v3_error_fault

__all__ = [
    "DEMO_CREDENTIALS",
    "ZOOM_APP_SCOPES",
    "BackgroundSandbox",
    "DemoCredentials",
    "Fault",
    "FaultInjector",
    "FaultKind",
    "SandboxServer",
    "V3Options",
    "v3_error_fault",
]
