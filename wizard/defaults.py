"""Defaults shared by every layer, kept free of imports so the command line and the window can
name them without loading the core (start-up time)."""

DEFAULT_REDIRECT_URI = "http://localhost:9007/callback"
DEFAULT_INTEGRATION_NAME = "Zoom"
DEFAULT_GRANT_LIFETIME = 1_209_600  # 14 days, the Nylas API's default
