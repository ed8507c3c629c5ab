"""Offline sandbox: a real HTTP server on 127.0.0.1 imitating Nylas API v3, the Nylas Connect API
(beta) and Zoom's consent page, errors included. Newcomers train on it; tests talk to it.

    async with SandboxServer(SandboxOptions(port=0)) as sandbox:  # or: BackgroundSandbox(...)
        sandbox.url, sandbox.credentials, sandbox.faults.add(Fault(kind="drop"))
        sandbox.v3_options = V3Options(renewal_state="overwritten")  # where Nylas is silent
        sandbox.add_v3_grant(email="a@example.com"); sandbox.v3_grants  # seeding, records
    SandboxServer(PRACTICE_OPTIONS)  # 12 practice Zoom grants, 3 invalid (the worklist)

Each API is a package of the same shape (connect/, v3/: api, browser, state, errors,
validate); the site, Zoom, faults and the route table are shared. Run it by hand with
`zoom-onboard sandbox` (wizard/cli/sandbox_cmd.py).
"""

from wizard.sandbox.background import BackgroundSandbox
from wizard.sandbox.credentials import DEMO_CREDENTIALS, DemoCredentials
from wizard.sandbox.faults import Fault, FaultInjector, FaultKind
from wizard.sandbox.options import PRACTICE_OPTIONS, SandboxOptions
from wizard.sandbox.server import SandboxServer
from wizard.sandbox.v3 import V3Options, v3_error_fault
from wizard.sandbox.zoom import ZOOM_APP_SCOPES

__all__ = [
    "DEMO_CREDENTIALS",
    "PRACTICE_OPTIONS",
    "ZOOM_APP_SCOPES",
    "BackgroundSandbox",
    "DemoCredentials",
    "Fault",
    "FaultInjector",
    "FaultKind",
    "SandboxOptions",
    "SandboxServer",
    "V3Options",
    "v3_error_fault",
]
