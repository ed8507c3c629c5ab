"""Where the Nylas Connect (beta) API lives, and the Zoom redirect URL each region needs."""

from __future__ import annotations

import enum


class Region(enum.StrEnum):
    US = "us"
    EU = "eu"

    @property
    def base_url(self) -> str:
        return f"https://beta.{self.value}.nylas.com"

    @property
    def label(self) -> str:
        return {"us": "United States", "eu": "Europe"}[self.value]


def callback_url(base_url: str) -> str:
    """The Nylas callback that must be the Zoom app's OAuth redirect URL (set in the Zoom
    Marketplace)."""
    return base_url.rstrip("/") + "/connect/callback"
