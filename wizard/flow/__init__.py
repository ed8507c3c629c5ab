"""The onboarding flow: UI-free async code that orders the steps, used by the CLI and the wizard."""

from wizard.flow import events
from wizard.flow.events import *  # noqa: F403 (the events, as events.__all__ lists them)
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
    "CustomerAccount",
    "GrantRecorder",
    "IntegrationAction",
    "IntegrationOutcome",
    "IntegrationPlan",
    "IntegrationSpec",
    "OnboardingFlow",
    "OnboardingResult",
    "ZoomApp",
    "validate_account_id",
]
__all__ += events.__all__
