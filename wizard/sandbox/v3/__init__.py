"""The fake Nylas API v3: its endpoints (api), its hosted auth and code exchange (browser), its
records (state), its error answers and envelopes (errors), its request validation (validate) and
the answers it may give either way where Nylas is silent (options)."""

from wizard.sandbox.faults import Fault
from wizard.sandbox.v3.browser import challenge_for
from wizard.sandbox.v3.errors import V3Error, v3_error_fault
from wizard.sandbox.v3.options import DEFAULT_V3_OPTIONS, V3Options

__all__ = ["DEFAULT_V3_OPTIONS", "Fault", "V3Error", "V3Options", "challenge_for", "v3_error_fault"]
