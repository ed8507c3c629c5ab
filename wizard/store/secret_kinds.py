"""The two secrets a profile keeps in the keyring, named once for every layer (the store, the
wizard's profile bar, the command line). Light on purpose: the wizard imports it at launch.

The Nylas secret is the profile's API's: the client secret for Connect, the API key for v3.
"""

from __future__ import annotations

NYLAS_SECRET = "nylas_client_secret"  # noqa: S105 (a name, not a secret)
ZOOM_SECRET = "zoom_client_secret"  # noqa: S105
SECRET_KINDS = (NYLAS_SECRET, ZOOM_SECRET)
