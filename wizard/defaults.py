"""Defaults shared by every layer, kept free of imports so the command line and the window can
name them without loading the core (start-up time)."""

DEFAULT_REDIRECT_URI = "http://localhost:9007/callback"
DEFAULT_INTEGRATION_NAME = "Zoom"
DEFAULT_GRANT_LIFETIME = 1_209_600  # 14 days, the Nylas API's default
DEFAULT_API = "v3"  # what real customers are on; Connect is the private preview
DEFAULT_PORT = 9007  # the port of DEFAULT_REDIRECT_URI, as the Nylas CLI uses
DAY = 86_400
MIN_GRANT_LIFETIME = 60
MAX_GRANT_LIFETIME = 315_360_000  # 10 years, the Connect API's ceiling
# Waiting for consent: longer than a sign-in link lives (15 min) plus its grace, so the link's
# own expiry, not this, ends a normal wait.
DEFAULT_TIMEOUT = 1200.0
MAX_TIMEOUT = 86_400.0
