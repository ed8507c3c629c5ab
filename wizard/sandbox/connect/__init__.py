"""The fake Nylas Connect API (private preview): its JSON endpoints (api), its browser leg
(browser: the login link and the callback), its records (state), its error envelope (errors)
and its request validation (validate)."""
