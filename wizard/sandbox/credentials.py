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


DEMO_CREDENTIALS = DemoCredentials(
    nylas_client_id="sandbox-nylas-client-id",
    nylas_client_secret="sandbox-nylas-secret-demo-only",  # noqa: S106 - public demo value
    zoom_client_id="sandbox-zoom-client-id",
    zoom_client_secret="sandbox-zoom-secret-demo-only",  # noqa: S106 - public demo value
)
