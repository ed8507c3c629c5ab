"""The onboarding flow: UI-free async code that orders the steps, used by the CLI and the wizard."""

from wizard.flow.events import (
    AnswerRejected,
    AuthUrlReady,
    BrowserLaunched,
    BrowserReached,
    BrowserSilent,
    FlowEvent,
    GrantCaptured,
    GrantVerified,
    IntegrationReady,
    LateAnswer,
)
from wizard.flow.inputs import (
    CustomerAccount,
    IntegrationSpec,
    ZoomApp,
    validate_account_id,
)
from wizard.flow.onboarding import (
    GrantRecorder,
    IntegrationAction,
    IntegrationOutcome,
    IntegrationPlan,
    OnboardingFlow,
    OnboardingResult,
)

__all__ = [
    "AnswerRejected",
    "AuthUrlReady",
    "BrowserLaunched",
    "BrowserReached",
    "BrowserSilent",
    "CustomerAccount",
    "FlowEvent",
    "GrantCaptured",
    "GrantRecorder",
    "GrantVerified",
    "IntegrationAction",
    "IntegrationOutcome",
    "IntegrationPlan",
    "IntegrationReady",
    "IntegrationSpec",
    "LateAnswer",
    "OnboardingFlow",
    "OnboardingResult",
    "ZoomApp",
    "validate_account_id",
]
