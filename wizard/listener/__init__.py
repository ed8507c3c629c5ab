"""Loopback listener that catches the browser's redirect after the Zoom consent.

Import from the modules themselves (`listener`, `callback`, `redirect_uri`, ...): this package
re-exports nothing, so the profile store, which needs only `redirect_uri`, does not load the
listener and pydantic with it (28 ms more before the first page listed the profiles).
"""
