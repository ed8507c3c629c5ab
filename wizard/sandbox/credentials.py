"""The fixed demo credentials the sandbox accepts.

They are public on purpose (printed on the sandbox landing page and in the docs) so a newcomer
can type them into the wizard; they work nowhere but in the sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DemoCredentials:
    nylas_client_id: str
    nylas_client_secret: str = field(repr=False)
    zoom_client_id: str
    zoom_client_secret: str = field(repr=False)
    # Nylas API v3: the API key and the application (client) id it belongs to.
    v3_api_key: str = field(default="nyk_sandbox_demo_only_4f9c2a7e1b", repr=False)
    v3_application_id: str = "5a1d9e3c-7b2f-4c8a-9e6d-0f3b2a1c4d5e"


DEMO_CREDENTIALS = DemoCredentials(
    nylas_client_id="sandbox-nylas-client-id",
    nylas_client_secret="sandbox-nylas-secret-demo-only",  # noqa: S106 - public demo value
    zoom_client_id="sandbox-zoom-client-id",
    zoom_client_secret="sandbox-zoom-secret-demo-only",  # noqa: S106 - public demo value
)
