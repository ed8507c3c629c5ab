"""Progress of a flow, reported to whoever listens (the CLI prints them, the wizard shows them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wizard.flow.backend import IntegrationAction, IntegrationInfo, OnboardingResult
    from wizard.flow.inputs import CustomerAccount

# The flow package re-exports these as they are (wizard/flow/__init__.py): listed once, here.
__all__ = [
    "AnswerRejected",
    "AuthUrlReady",
    "BrowserLaunched",
    "BrowserReached",
    "BrowserSilent",
    "FlowEvent",
    "GrantCaptured",
    "GrantVerified",
    "IntegrationReady",
    "LateAnswer",
]


@dataclass(frozen=True)
class IntegrationReady:
    integration: IntegrationInfo
    action: IntegrationAction


@dataclass(frozen=True)
class AuthUrlReady:
    url: str  # the sign-in link itself: what Copy gives, for a private window
    expires_at: int
    auth_request_id: str
    # What the browser is opened on: the listener, which redirects to `url`.
    launch_url: str


@dataclass(frozen=True)
class BrowserLaunched:
    """What the opener claimed; only BrowserReached proves a browser really opened."""

    claimed: bool


@dataclass(frozen=True)
class BrowserReached:
    pass


@dataclass(frozen=True)
class BrowserSilent:
    """No request reached the listener in time: the browser probably did not open."""

    url: str
    waited: float


@dataclass(frozen=True)
class AnswerRejected:
    """An answer that carried this request's state was not accepted (another Zoom user, another
    account); the browser was told why and the wait goes on. Stateless junk is not reported."""

    reason: str


@dataclass(frozen=True)
class GrantCaptured:
    grant_id: str


@dataclass(frozen=True)
class GrantVerified:
    result: OnboardingResult


@dataclass(frozen=True)
class LateAnswer:
    """An earlier link, whose wait had ended (Stop waiting, a timeout, the next customer), came
    back: with its grant (already recorded and verified) or with its refusal or failure.
    `tag` is what the caller of `authorize` gave to know it again (a queue entry's id)."""

    account: CustomerAccount
    tag: object
    result: OnboardingResult | None = None
    error: BaseException | None = None


FlowEvent = (
    IntegrationReady
    | AuthUrlReady
    | BrowserLaunched
    | BrowserReached
    | BrowserSilent
    | AnswerRejected
    | GrantCaptured
    | GrantVerified
    | LateAnswer
)
