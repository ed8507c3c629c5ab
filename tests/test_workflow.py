""".github/workflows/ci.yml (issue 20, item 17): what it promises, read from its text. (Its
syntax and expressions were checked with actionlint, which no registry this project installs
from ships: packaging/README.md records that run.)"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = (ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
APT_LIST = "grep -Ev '^\\s*(#|$)' .ci/apt-packages"


def job(name: str) -> str:
    """The text of one job: from its key to the next job's."""
    match = re.search(rf"^  {re.escape(name)}:\n(.*?)(?=^  \S|\Z)", WORKFLOW, re.M | re.S)
    assert match, f"no job {name}"
    return match[1]


def matrix_list(text: str, key: str) -> list[str]:
    match = re.search(rf"^\s+{key}: \[(.*)\]$", text, re.M)
    assert match, key
    return [item.strip().strip('"') for item in match[1].split(",")]


def test_the_tests_run_on_every_platform_and_every_supported_python() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    oldest = project["requires-python"].removeprefix(">=")
    pythons = ["3.11", "3.12", "3.13"]
    assert pythons[0] == oldest
    linux, others = job("tests-linux"), job("tests")
    assert matrix_list(linux, "python") == pythons
    assert matrix_list(others, "python") == pythons
    # Windows; macOS on arm64 (macos-14) and on Intel (macos-15-intel: macos-13 is retired).
    assert matrix_list(others, "os") == ["windows-2022", "macos-14", "macos-15-intel"]
    assert "runs-on: ubuntu-24.04" in linux
    assert "container: python:${{ matrix.python }}-bookworm" in linux  # Debian 12, as .ci/run
    for text in (linux, others):
        assert "--require-hashes -r packaging/requirements.lock" in text
        assert re.search(r"^\s+run: python -m pytest$", text, re.M)
    assert re.search(r'^  CI: "true"', WORKFLOW, re.M)  # a missing prerequisite fails, never skips


def test_each_platform_builds_and_smoke_tests_its_bundle() -> None:
    assert "PYTHON=python bash packaging/build.sh" in job("bundle-linux")
    macos = job("bundle-macos")
    assert "PYTHON=python bash packaging/build.sh" in macos
    assert re.findall(r"runner: (\S+)\n\s+arch: (\S+)", macos) == [
        ("macos-14", "arm64"),
        ("macos-15-intel", "x86_64"),
    ]
    assert 'test "$(uname -m)" = "${{ matrix.arch }}"' in macos  # per architecture, no universal2
    windows = job("bundle-windows")
    assert "runs-on: windows-2022" in windows
    assert "./packaging/smoke.ps1" in windows and "shell: pwsh" in windows


def test_ci_and_the_workflow_install_one_list_of_debian_packages() -> None:
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert APT_LIST in run
    for name in ("tests-linux", "bundle-linux"):
        assert APT_LIST in job(name)
    listed = [
        line.strip()
        for line in (ROOT / ".ci" / "apt-packages").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert {"chromium", "xvfb", "gnome-keyring", "binutils", "libxcb-cursor0"} <= set(listed)
    # No second list beside it: every apt-get install takes the file's packages.
    for text in (run, WORKFLOW):
        installs = re.findall(r"apt-get install .*", text)
        assert installs and all('"${packages[@]}"' in line for line in installs), installs


def test_actions_are_pinned_to_a_major_version_and_permissions_are_read_only() -> None:
    uses = re.findall(r"uses: (\S+)", WORKFLOW)
    assert uses
    assert all(re.fullmatch(r"actions/[a-z-]+@v\d+", action) for action in uses), uses
    assert "permissions:\n  contents: read" in WORKFLOW
    assert "secrets." not in WORKFLOW  # nothing to leak: signing and notarizing are done by hand
