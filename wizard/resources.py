"""The files the product ships beside its code (resources/ in the checkout): where they are at
run time.

- a checkout or an editable install: resources/ beside the wizard package;
- the PyInstaller bundle: sys._MEIPASS/resources (packaging/zoom-onboard.spec puts them there);
- an installed wheel: <prefix>/share/zoom-onboard/ (pyproject.toml's data-files), found through
  the distribution's own record of its files, so a venv, --user or system install all work.

It imports nothing of the product: the sandbox and the production code both use it.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["LANDING_PAGE", "landing_page_path", "resource_path"]

# The static page a company hosts on its https site as the second callback URI (consent by
# link): it shows the customer the line to send back.
LANDING_PAGE = "landing/zoom-onboard-answer.html"

_DISTRIBUTION = "zoom-onboard"
_WHEEL_DATA = "share/zoom-onboard"  # where pyproject.toml's data-files put resources/


def resource_path(name: str) -> Path | None:
    """resources/`name` (a relative path with "/"), wherever this copy of the product keeps
    it; None when it is not installed."""
    relative = Path(*name.split("/"))
    for root in _roots():
        candidate = root / relative
        if candidate.is_file():
            return candidate
    return _in_distribution(name)


def landing_page_path() -> Path:
    """The landing page's file; FileNotFoundError saying where it was looked for."""
    found = resource_path(LANDING_PAGE)
    if found is None:
        raise FileNotFoundError(
            f"resources/{LANDING_PAGE} is not installed with zoom-onboard (looked beside the "
            f"program and in {_WHEEL_DATA}/ of its installation)"
        )
    return found


def _roots() -> list[Path]:
    roots = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        roots.append(Path(bundle) / "resources")
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "pyproject.toml").is_file():  # not site-packages, where resources/ is not ours
        roots.append(checkout / "resources")
    return roots


def _in_distribution(name: str) -> Path | None:
    from importlib import metadata

    try:
        files = metadata.distribution(_DISTRIBUTION).files or []
    except metadata.PackageNotFoundError:
        return None
    wanted = f"{_WHEEL_DATA}/{name}"
    for file in files:
        path = file.as_posix()
        if path == wanted or path.endswith(f"/{wanted}"):
            located = Path(str(file.locate())).resolve()
            if located.is_file():
                return located
    return None
