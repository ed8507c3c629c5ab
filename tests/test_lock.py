"""The lock holds every dependency, and what runs the tests was installed from it."""

from __future__ import annotations

import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from drift import canonical, drift, locked_versions  # noqa: E402

LOCKED = locked_versions()


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements.extend(extra)
    return {canonical(re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0]) for r in requirements}


def test_every_declared_dependency_is_locked_with_hashes() -> None:
    assert _declared() - LOCKED.keys() == set()
    text = (ROOT / "packaging" / "requirements.lock").read_text(encoding="utf-8")
    pins = [line for line in text.splitlines() if re.match(r"^[A-Za-z0-9]", line)]
    assert len(pins) == sum(len(v) for v in LOCKED.values()) > 50
    assert text.count("--hash=sha256:") >= len(pins)
    assert "setuptools" in LOCKED  # the build backend too: installed without build isolation


def test_what_runs_the_tests_is_what_the_lock_pins() -> None:
    installed = {
        canonical(dist.metadata["Name"]): dist.version
        for dist in importlib.metadata.distributions()
        if canonical(dist.metadata["Name"]) in LOCKED
    }
    assert {"pyside6-essentials", "httpx", "sniffio", "pytest"} <= installed.keys()
    differs = drift(installed, LOCKED)
    assert differs == [], (
        "installed versions differ from packaging/requirements.lock (install as the README "
        f"says): {differs}"
    )


def test_drift_reports_a_moved_and_an_unlocked_package() -> None:
    locked = {"anyio": {"4.15.1"}, "httpx": {"0.29.0"}}
    installed = {"anyio": "4.16.0", "httpx": "0.29.0", "trio": "0.30", "zoom-onboard": "1"}
    assert drift(installed, locked) == [
        ("anyio", "4.15.1", "4.16.0"),
        ("trio", "(not locked)", "0.30"),
    ]
