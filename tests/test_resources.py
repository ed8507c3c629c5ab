"""wizard/resources.py: the shipped files are found in a checkout, in the PyInstaller bundle and in
an installed wheel (the bundle itself: tests/test_bundle.py, which build.sh checks)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

import wizard.resources
from wizard.resources import LANDING_PAGE, landing_page_path, resource_path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "resources" / "landing" / "zoom-onboard-answer.html"


def test_in_a_checkout_they_are_beside_the_package() -> None:
    assert landing_page_path() == SHIPPED
    assert resource_path("zoom-onboard.svg") == ROOT / "resources" / "zoom-onboard.svg"
    assert resource_path("landing/no-such-page.html") is None


def test_in_the_bundle_they_are_under_meipass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundled = tmp_path / "resources" / "landing" / "zoom-onboard-answer.html"
    bundled.parent.mkdir(parents=True)
    bundled.write_text("bundled")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert landing_page_path() == bundled


def test_nowhere_says_where_it_looked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wizard.resources, "_roots", list)
    monkeypatch.setattr(wizard.resources, "_DISTRIBUTION", "no-such-distribution-installed")
    assert resource_path(LANDING_PAGE) is None
    with pytest.raises(FileNotFoundError, match=r"resources/landing/zoom-onboard-answer\.html"):
        landing_page_path()


@pytest.mark.slow
def test_an_installed_wheel_finds_it_in_its_data(tmp_path: Path) -> None:
    """Build the wheel from a copy of the sources, install it under a prefix, and ask a Python
    that sees only that installation (no site, no checkout) where the page is."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for folder in ("wizard", "resources"):
        shutil.copytree(
            ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    build = [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(source)]
    subprocess.run(build, check=True, capture_output=True, timeout=300)
    (wheel,) = wheels.glob("zoom_onboard-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        data = [n for n in archive.namelist() if n.endswith("/landing/zoom-onboard-answer.html")]
    assert len(data) == 1 and ".data/data/share/zoom-onboard/" in data[0], data

    prefix = tmp_path / "prefix"
    # --ignore-installed: never uninstall the copy this suite runs from (pip would, to "upgrade").
    install = [*pip, "install", "--no-deps", "--no-index", "--ignore-installed"]
    install += ["--prefix", str(prefix), str(wheel)]
    subprocess.run(install, check=True, capture_output=True, timeout=300)
    purelib = sysconfig.get_path("purelib", vars={"base": str(prefix), "platbase": str(prefix)})
    ask = "from wizard.resources import landing_page_path; print(landing_page_path())"
    found = subprocess.run(
        [sys.executable, "-S", "-c", ask],
        cwd="/",
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": purelib},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert found.returncode == 0, found.stderr
    installed = Path(found.stdout.strip())
    assert installed == prefix / "share" / "zoom-onboard" / "landing" / "zoom-onboard-answer.html"
    assert installed.read_bytes() == SHIPPED.read_bytes()
    # The copy the suite runs from is still installed (pip once uninstalled it to "upgrade").
    intact = subprocess.run(
        [sys.executable, "-c", "import wizard.resources"], cwd="/", capture_output=True, timeout=60
    )
    assert intact.returncode == 0, intact.stderr
