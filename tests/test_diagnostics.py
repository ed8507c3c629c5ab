"""The diagnostics report: everything an engineer needs, never a secret."""

from __future__ import annotations

import logging
import os
import secrets

from tests.helpers.cli import python
from wizard import __version__
from wizard.diagnostics import build_report
from wizard.log_files import newest_log
from wizard.logs import recent_errors, remember_secret
from wizard.store.history import History
from wizard.store.paths import AppPaths


def test_report_lists_versions_places_and_connection(paths: AppPaths) -> None:
    report = build_report(
        region="custom", api_url="https://nylas.example.com", extra={"Profile": "Acme"}
    )
    assert f"App version: {__version__}" in report
    assert "Python: " in report
    assert "Platform: " in report
    for package in ("httpx", "h11", "pydantic", "keyring"):
        assert f"\n{package}: " in report
    assert "Qt: " in report
    assert "Backend: " in report and "Usable: " in report
    assert str(paths.profiles_file) in report
    assert str(paths.history_db) in report
    assert str(newest_log(paths.log_file)) in report  # one file per day
    assert "Region: custom" in report
    assert "API URL: https://nylas.example.com" in report
    assert "Profile: Acme" in report
    assert not paths.data_dir.exists()  # a report creates nothing


def test_report_includes_history_problems(paths: AppPaths) -> None:
    paths.history_db.mkdir(parents=True)
    History(paths.history_db, paths.history_fallback).record_grant(
        profile="p", region="us", account_id="a", integration_id=None, grant_id="g"
    )
    report = build_report()
    assert "Grants listed: 1" in report
    assert f"Problem: Some grants are in {paths.history_fallback}" in report


def test_report_contains_no_registered_secret(paths: AppPaths) -> None:
    secret = "diag-" + secrets.token_hex(12)
    remember_secret(secret)
    logger = logging.getLogger("wizard.test.diagnostics")
    logger.addHandler(recent_errors)
    try:
        logger.error("request failed with client_secret %s", secret)
    finally:
        logger.removeHandler(recent_errors)
    paths.log_dir.mkdir(parents=True)
    newest_log(paths.log_file).write_text(
        f"2024-01-01 00:00:00 ERROR x: earlier failure {secret}\n"
    )
    report = build_report(
        region="us", api_url=f"https://x.example/?client_secret={secret}", extra={"note": secret}
    )
    assert secret not in report
    assert "request failed with client_secret [redacted]" in report  # the error is there
    assert "earlier failure [redacted]" in report


def test_diagnostics_command(paths: AppPaths) -> None:
    secret = "env-" + secrets.token_hex(12)
    env = {**os.environ, "NYLAS_CLIENT_SECRET": secret}
    result = python("-m", "wizard", "--diagnostics", env=env)
    assert result.returncode == 0, result.stderr
    assert "App version" in result.stdout
    assert str(paths.history_db) in result.stdout
    assert secret not in result.stdout + result.stderr


def test_diagnostics_command_with_a_profile(paths: AppPaths) -> None:
    from wizard.store.profiles import Profile, ProfileStore

    ProfileStore(paths.profiles_file).save(
        Profile(name="Acme", region="custom", api_url="https://nylas.acme.example")
    )
    result = python("-m", "wizard", "--profile", "Acme", "--diagnostics")
    assert result.returncode == 0, result.stderr
    assert "Region: custom" in result.stdout
    assert "API URL: https://nylas.acme.example" in result.stdout

    missing = python("-m", "wizard", "--profile", "Nope", "--diagnostics")
    assert missing.returncode == 0
    assert "Profile problem: No profile named 'Nope'. Saved profiles: Acme." in missing.stdout
