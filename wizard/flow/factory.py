"""One place that opens a flow for a target and its credentials: the wizard, the command line
and the self-test all come through here, so "which API, which URL, which credentials" is
decided once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from wizard.flow.backend import Backend
from wizard.flow.onboarding import BrowserOpener, OnboardingFlow
from wizard.target import Api, Target


@dataclass(frozen=True)
class NylasCredentials:
    """Connect: the client id and secret. v3: the API key, and the application id (the
    client id) when the operator knows it; it is looked up from the key otherwise."""

    secret: SecretStr = field(repr=False)
    client_id: str | None = None

    def __post_init__(self) -> None:
        if not self.secret.get_secret_value().strip():
            raise ValueError("The Nylas secret (client secret or API key) is empty.")
        object.__setattr__(self, "client_id", (self.client_id or "").strip() or None)


def open_backend(target: Target, credentials: NylasCredentials, **client_kwargs: Any) -> Backend:
    if target.api is Api.CONNECT:
        from wizard.flow.connect_backend import ConnectBackend
        from wizard.nylas.client import NylasConnectClient

        if credentials.client_id is None:
            raise ValueError("Enter the Nylas application's client id.")
        return ConnectBackend(
            NylasConnectClient(
                target.base_url, credentials.client_id, credentials.secret, **client_kwargs
            )
        )
    from wizard.flow.v3_backend import V3Backend
    from wizard.nylas.v3 import NylasV3Client

    return V3Backend(
        NylasV3Client(target.base_url, credentials.secret, **client_kwargs),
        application_id=credentials.client_id,
    )


def open_flow(
    target: Target,
    credentials: NylasCredentials,
    opener: BrowserOpener,
    **flow_kwargs: Any,
) -> OnboardingFlow:
    """A flow with its own client: callers never handle HTTP themselves. Close it with
    `aclose()`."""
    return OnboardingFlow(open_backend(target, credentials), opener, **flow_kwargs)
