"""Zoom onboarding wizard: connect a customer's Zoom account to Nylas."""

__version__ = "0.2.0"
