"""Which Nylas API the tool talks to, where it lives, and what the Zoom app must say about it.

One small value type for every front end (wizard, command line, self-test): the API (the
private-preview Connect API or the generally available v3), the region and the base URL. It
imports nothing of the core, so the window can name it before the core is loaded.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from urllib.parse import urlsplit


class Api(enum.StrEnum):
    V3 = "v3"
    CONNECT = "connect"

    @property
    def label(self) -> str:
        return {"v3": "Nylas API v3", "connect": "Connect API (private preview)"}[self.value]

    @property
    def connector_word(self) -> str:
        """Nylas's word for the per-provider settings: integration (Connect), connector (v3)."""
        return "integration" if self is Api.CONNECT else "connector"


class Region(enum.StrEnum):
    US = "us"
    EU = "eu"
    CUSTOM = "custom"
    SANDBOX = "sandbox"

    @property
    def label(self) -> str:
        return {
            "us": "United States",
            "eu": "Europe",
            "custom": "Custom API URL",
            "sandbox": "Offline sandbox",
        }[self.value]


# The two public regions of each API.
_HOSTS = {
    (Api.CONNECT, Region.US): "https://beta.us.nylas.com",
    (Api.CONNECT, Region.EU): "https://beta.eu.nylas.com",
    (Api.V3, Region.US): "https://api.us.nylas.com",
    (Api.V3, Region.EU): "https://api.eu.nylas.com",
}
_CALLBACK_PATHS = {Api.CONNECT: "/connect/callback", Api.V3: "/v3/connect/callback"}


@dataclass(frozen=True)
class Target:
    api: Api
    region: Region
    base_url: str

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"The API URL {self.base_url!r} is not an http(s) URL; "
                "enter one like https://api.us.nylas.com."
            )
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))

    @classmethod
    def of(cls, api: Api | str, region: Region | str, base_url: str | None = None) -> Target:
        """US and EU know their URL; custom and sandbox need `base_url`."""
        api, region = Api(api), Region(region)
        if region in (Region.US, Region.EU):
            return cls(api, region, _HOSTS[api, region])
        if not base_url:
            raise ValueError(f"The {region.label.lower()} needs an API URL.")
        return cls(api, region, base_url)

    @staticmethod
    def public_url(api: Api | str, region: Region | str) -> str:
        return _HOSTS[Api(api), Region(region)]

    @property
    def practice(self) -> bool:
        """Grants made here are practice: they never mix with real ones."""
        return self.region is Region.SANDBOX

    @property
    def zoom_redirect_url(self) -> str:
        """What the Zoom app's OAuth redirect URL (and allow list) must contain."""
        return self.base_url + _CALLBACK_PATHS[self.api]

    def describe(self) -> str:
        return f"{self.api.label}, {self.region.label} ({self.base_url})"
