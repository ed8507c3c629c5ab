"""Offline sandbox: a real HTTP server on 127.0.0.1 imitating the Nylas Connect API (beta) and
Zoom's consent page, errors included. Newcomers train on it; tests talk to it.

    async with SandboxServer() as sandbox:       # or: with BackgroundSandbox() as sandbox:
        sandbox.url, sandbox.credentials, sandbox.faults.add(Fault(kind="drop"))

Run it by hand with `zoom-onboard sandbox` (wizard/cli/sandbox_cmd.py).
"""

from wizard.sandbox.credentials import DEMO_CREDENTIALS, DemoCredentials
from wizard.sandbox.faults import Fault, FaultInjector, FaultKind
from wizard.sandbox.server import BackgroundSandbox, SandboxServer
from wizard.sandbox.state import ZOOM_APP_SCOPES

__all__ = [
    "DEMO_CREDENTIALS",
    "ZOOM_APP_SCOPES",
    "BackgroundSandbox",
    "DemoCredentials",
    "Fault",
    "FaultInjector",
    "FaultKind",
    "SandboxServer",
]
