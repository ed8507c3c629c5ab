"""Flows on the sandbox, opened as the product opens them (wizard/flow/factory.py), and the
stand-ins a flow reports to: a recorder that keeps its calls, a customer who tries again."""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import SecretStr

from tests.helpers.ports import loopback_uri
from wizard.flow import (
    AnswerRejected,
    AuthUrlReady,
    CustomerAccount,
    IntegrationSpec,
    OnboardingResult,
)
from wizard.flow.factory import NylasCredentials, open_flow
from wizard.flow.inputs import ZoomApp
from wizard.flow.onboarding import BrowserOpener, OnboardingFlow
from wizard.sandbox import SandboxServer
from wizard.sandbox.consent_bot import ConsentBot
from wizard.target import Target


def sandbox_flow(
    sandbox: SandboxServer, opener: BrowserOpener, *, secret: str | None = None, **kwargs: Any
) -> OnboardingFlow:
    """A Connect flow on the sandbox; `secret` instead of the sandbox's client secret."""
    creds = sandbox.credentials
    return open_flow(
        Target.of("connect", "sandbox", sandbox.url),
        NylasCredentials(SecretStr(secret or creds.nylas_client_secret), creds.nylas_client_id),
        opener,
        **kwargs,
    )


EMAIL = "zoom.user@example.com"  # the sandbox's Zoom user


def v3_flow(
    sandbox: SandboxServer, opener: Any, *, key: str | None = None, **kw: Any
) -> OnboardingFlow:
    creds = NylasCredentials(
        SecretStr(key or sandbox.credentials.v3_api_key), kw.pop("app_id", None)
    )
    return open_flow(Target.of("v3", "sandbox", sandbox.url), creds, opener, **kw)


def spec(sandbox: SandboxServer, port: int | None = None) -> IntegrationSpec:
    creds = sandbox.credentials
    return IntegrationSpec(
        zoom=ZoomApp(creds.zoom_client_id, SecretStr(creds.zoom_client_secret)),
        redirect_uri=loopback_uri(port, host="localhost"),
    )


class AllowsAgainWhenRefused:
    """The flow's events; when an answer is refused (the wait goes on), the customer opens the
    link again and clicks Allow, as the page tells them."""

    def __init__(self) -> None:
        self.events: list[object] = []
        self._retried: list[asyncio.Task[object]] = []

    def __call__(self, event: object) -> None:
        self.events.append(event)
        if isinstance(event, AnswerRejected):
            link = next(e.url for e in self.events if isinstance(e, AuthUrlReady))
            self._retried.append(asyncio.ensure_future(ConsentBot("allow").visit(link)))

    @property
    def rejected(self) -> list[AnswerRejected]:
        return [e for e in self.events if isinstance(e, AnswerRejected)]

    async def done(self) -> None:
        await asyncio.gather(*self._retried)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.rows = 0

    async def grant_captured(self, grant_id: str, provider: str, account: CustomerAccount) -> None:
        self.calls.append(("captured", grant_id))

    async def grant_verified(self, result: OnboardingResult) -> None:
        self.calls.append(("verified", result.grant_id))

    async def authorization_started(
        self, account: CustomerAccount, *, expires_at: int, state_sha256: str
    ) -> int | None:
        self.rows += 1
        self.calls.append(("started", state_sha256))
        return self.rows

    async def authorization_ended(
        self, auth_id: int, outcome: str, *, grant_id: str | None = None, note: str | None = None
    ) -> None:
        self.calls.append(("ended", (auth_id, outcome, grant_id)))
