"""One place that opens a flow for a target and its credentials: the wizard, the command line
and the self-test all come through here, so "which API, which URL, which credentials" is
decided once; and one place that says where its grants are kept (the history and the recorder
both front ends hand to the flow) and which redirect URI it listens on."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from wizard.defaults import DEFAULT_REDIRECT_URI
from wizard.flow.backend import Backend
from wizard.flow.inputs import IntegrationSpec
from wizard.flow.onboarding import BrowserOpener, OnboardingFlow
from wizard.listener.redirect_uri import LoopbackRedirectUri
from wizard.target import Api, Target

if TYPE_CHECKING:  # the store loads where grants are kept: the self-test keeps none
    from wizard.store.history import History
    from wizard.store.paths import AppPaths
    from wizard.store.profiles import Profile
    from wizard.store.recorder import HistoryRecorder


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


def redirect_uri_for(typed: str | None, profile: Profile | None) -> LoopbackRedirectUri:
    """The redirect URI to listen on: the one typed, else the profile's, else the default.
    InvalidRedirectUri says what is wrong with it."""
    return LoopbackRedirectUri.parse(
        typed or (profile.redirect_uri if profile else DEFAULT_REDIRECT_URI)
    )


def open_history(paths: AppPaths) -> History:
    """The history of this computer (the database, and its fallback journal)."""
    from wizard.store.history import History

    return History(paths.history_db, paths.history_fallback)


def history_recorder(
    history: History, target: Target, integration_id: str | None, profile: str | None
) -> HistoryRecorder:
    """The flow's recorder: every grant from here on goes to `history`, tagged with the
    target, the integration and the profile (None: no profile was chosen)."""
    from wizard.store.recorder import HistoryRecorder

    return HistoryRecorder(
        history,
        profile=profile or "",
        region=target.region.value,
        integration_id=integration_id,
        api=target.api.value,
        practice=target.practice,
        api_url=target.base_url,
    )


@dataclass(frozen=True)
class Prepared:
    """A checked flow with its integration in place, ready for one authorization after
    another (a queue runs many on one), and where its grants go."""

    flow: OnboardingFlow
    target: Target
    recorder: HistoryRecorder
    history: History


@contextlib.asynccontextmanager
async def prepare(
    target: Target,
    credentials: NylasCredentials,
    spec: IntegrationSpec,
    opener: BrowserOpener,
    *,
    paths: AppPaths,
    profile: str | None,
    listen: bool = True,
    **flow_kwargs: Any,
) -> AsyncIterator[Prepared]:
    """Open the flow, hold the redirect URI's port, put the integration in place and give
    the recorder for it; the flow is closed on the way out. `listen` False: links sent to
    customers elsewhere only (their answers are pasted back), so the port is not held."""
    history = open_history(paths)
    flow = open_flow(target, credentials, opener, **flow_kwargs)
    try:
        # The port first, and held: nothing is created on Nylas for a URI this computer
        # cannot serve, and a second run on the same port stops here, before any entry.
        if listen:
            await flow.listen(spec.redirect_uri)
        outcome = await flow.ensure_integration(spec)
        recorder = history_recorder(history, target, outcome.integration.id, profile)
        yield Prepared(flow, target, recorder, history)
    finally:
        await flow.aclose()
