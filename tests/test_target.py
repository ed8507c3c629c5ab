"""The target value type: API, region, base URL, and the Zoom redirect URL each needs."""

from __future__ import annotations

import pytest

from wizard.target import Api, Region, Target


@pytest.mark.parametrize(
    ("api", "region", "base", "zoom"),
    [
        ("v3", "us", "https://api.us.nylas.com", "https://api.us.nylas.com/v3/connect/callback"),
        ("v3", "eu", "https://api.eu.nylas.com", "https://api.eu.nylas.com/v3/connect/callback"),
        (
            "connect",
            "us",
            "https://beta.us.nylas.com",
            "https://beta.us.nylas.com/connect/callback",
        ),
        (
            "connect",
            "eu",
            "https://beta.eu.nylas.com",
            "https://beta.eu.nylas.com/connect/callback",
        ),
    ],
)
def test_public_regions_know_their_urls(api: str, region: str, base: str, zoom: str) -> None:
    target = Target.of(api, region)
    assert target.base_url == base
    assert target.zoom_redirect_url == zoom
    assert not target.practice


def test_sandbox_and_custom_need_a_url_and_only_the_sandbox_is_practice() -> None:
    with pytest.raises(ValueError, match="needs an API URL"):
        Target.of("v3", "custom")
    sandbox = Target.of(Api.V3, Region.SANDBOX, "http://127.0.0.1:8765/")
    assert sandbox.base_url == "http://127.0.0.1:8765"
    assert sandbox.practice
    assert sandbox.zoom_redirect_url == "http://127.0.0.1:8765/v3/connect/callback"
    assert not Target.of("connect", "custom", "https://nylas.example.com").practice
    with pytest.raises(ValueError, match="not an http"):
        Target.of("v3", "custom", "ftp://x")
    with pytest.raises(ValueError, match="is not a valid Api"):
        Target.of("v2", "us")
