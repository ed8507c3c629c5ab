"""`zoom-onboard --diagnostics`: print the redacted report for an engineer."""

from __future__ import annotations

import argparse
import json

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
    report = build_report(region=region, api_url=api_url, extra=extra or None)
    if getattr(args, "top_json", False):
        # The same redacted report, with the facts a script asks for most beside it.
        from wizard import __version__
        from wizard.log_files import newest_log
        from wizard.store.paths import AppPaths

        paths = AppPaths.default()
        files = {
            "profiles": str(paths.profiles_file),
            "history_database": str(paths.history_db),
            "history_fallback": str(paths.history_fallback),
            "log": str(newest_log(paths.log_file)),  # one file per day: the newest
        }
        print(json.dumps({"version": __version__, "files": files, "report": report}))
    else:
        print(report, end="")
    return 0
