"""`zoom-onboard --diagnostics`: print the redacted report for an engineer."""

from __future__ import annotations

import argparse

from wizard.diagnostics import build_report


def run_diagnostics(args: argparse.Namespace) -> int:
    region: str | None = None
    api_url: str | None = None
    extra: dict[str, str] = {}
    profile_name = getattr(args, "profile", None)
    if getattr(args, "sandbox", False):
        region = "sandbox"
    elif profile_name:
        # Imported here: profiles pull in the flow's validators, which the report needn't.
        from wizard.store.paths import AppPaths
        from wizard.store.profiles import ProfileError, ProfileStore

        extra["Profile"] = profile_name
        try:
            profile = ProfileStore(AppPaths.default().profiles_file).get(profile_name)
        except ProfileError as exc:
            extra["Profile problem"] = str(exc)
        else:
            region, api_url = profile.region, profile.api_url
    print(build_report(region=region, api_url=api_url, extra=extra or None), end="")
    return 0
