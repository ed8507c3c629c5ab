"""The platform markers: a test that assumes Linux (or POSIX) skips only on another platform,
imitated here with sys.platform / os.name; on Linux nothing skips for them, under CI or not."""

from __future__ import annotations

import os
import sys
import tomllib

import pytest

from tests.helpers.ci import PLATFORM_MARKERS, ROOT, platform_skip


@pytest.mark.parametrize("ci", ["true", ""])
def test_on_linux_marked_tests_always_run(monkeypatch: pytest.MonkeyPatch, ci: str) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(os, "name", "posix")
    monkeypatch.setenv("CI", ci)
    assert platform_skip({"linux_only", "posix_only", "slow"}) is None


def test_on_macos_linux_only_skips_and_posix_only_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(os, "name", "posix")
    assert platform_skip({"linux_only"}) == "assumes Linux; this is darwin"
    assert platform_skip({"posix_only"}) is None
    assert platform_skip({"slow"}) is None


def test_on_windows_both_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(os, "name", "nt")
    assert platform_skip({"linux_only"}) is not None
    assert platform_skip({"posix_only"}) == "needs POSIX (fcntl, SIGKILL); this is win32"


def test_the_markers_are_registered() -> None:
    """--strict-markers: a marker must be declared in pyproject.toml to be used at all."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = {line.split(":")[0] for line in config["tool"]["pytest"]["ini_options"]["markers"]}
    assert set(PLATFORM_MARKERS) <= declared
