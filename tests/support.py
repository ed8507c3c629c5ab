"""Helpers shared by tests: free ports, sandbox credentials as a flow, event capture."""

from __future__ import annotations

import socket

from wizard.flow import OnboardingFlow
from wizard.flow.onboarding import BrowserOpener
from wizard.listener.redirect_uri import LoopbackRedirectUri
from wizard.sandbox import SandboxServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def loopback_uri(port: int | None = None, host: str = "127.0.0.1") -> LoopbackRedirectUri:
    return LoopbackRedirectUri.parse(f"http://{host}:{port or free_port()}/callback")


def sandbox_flow(sandbox: SandboxServer, opener: BrowserOpener, **kwargs: object) -> OnboardingFlow:
    from pydantic import SecretStr

    creds = sandbox.credentials
    return OnboardingFlow.for_api(
        sandbox.url,
        creds.nylas_client_id,
        SecretStr(creds.nylas_client_secret),
        opener,
        **kwargs,  # type: ignore[arg-type]
    )
