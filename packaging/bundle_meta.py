"""What packaging/zoom-onboard.spec writes into the bundles besides code: macOS's Info.plist
(with the lowest macOS that every bundled binary wheel runs on) and Windows' version resource.

Plain Python, no PyInstaller or Qt: tests/test_bundle_meta.py checks it on any platform.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import sysconfig
from collections.abc import Callable, Iterable
from pathlib import Path

__all__ = [
    "BUNDLE_ID",
    "DISPLAY_NAME",
    "bundled_macos_minimum",
    "info_plist",
    "macos_minimum_of_tags",
    "version_info_text",
    "version_tuple",
]

# The macOS bundle identifier. Never change it: the login Keychain lets the app read the
# secrets it saved without asking because of its signed identity (this identifier and the
# signing team), and macOS keys the app's settings and privacy answers on it too. A new
# identifier is a new app that must be allowed again, for every secret, by every user.
BUNDLE_ID = "com.zoom-onboard.wizard"
DISPLAY_NAME = "Zoom onboarding"
COMPANY = "Zoom onboarding"  # Windows' "Company" field: who made the program

_MACOS_TAG = re.compile(r"macosx_(\d+)_(\d+)_(\w+)")
# Which wheel architectures run on a machine of each kind.
_RUNS_ON = {
    "arm64": {"arm64", "universal2"},
    "x86_64": {"x86_64", "intel", "universal", "universal2", "fat64", "fat3"},
}


def macos_minimum_of_tags(tags: Iterable[str], arch: str) -> tuple[int, int] | None:
    """The lowest macOS a wheel with these tags (`cp310-abi3-macosx_13_0_universal2`, or a
    compressed `...-macosx_11_0_arm64.macosx_10_13_x86_64`) runs on as `arch`; None when no tag
    is for macOS on that architecture (a pure-Python or a Linux wheel)."""
    found = []
    for tag in tags:
        for platform in tag.strip().rsplit("-", 1)[-1].split("."):
            match = _MACOS_TAG.fullmatch(platform)
            if match and match[3] in _RUNS_ON[arch]:
                found.append((int(match[1]), int(match[2])))
    return min(found) if found else None


def _wheel_tags(dist: importlib.metadata.Distribution) -> list[str]:
    text = dist.read_text("WHEEL") or ""
    return [line.split(":", 1)[1] for line in text.splitlines() if line.startswith("Tag:")]


# The seam tests replace: the installed distributions the bundle may take binaries from.
installed: Callable[[], Iterable[importlib.metadata.Distribution]] = (
    importlib.metadata.distributions
)


def _python_minimum() -> tuple[int, int]:
    """The macOS this Python was built for (python.org's: 10.13 for 3.11 to 3.13)."""
    target = str(sysconfig.get_config_var("MACOSX_DEPLOYMENT_TARGET") or "10.13")
    major, _, minor = target.partition(".")
    return int(major), int(minor or 0)


def bundled_macos_minimum(binary_sources: Iterable[str], arch: str) -> tuple[str, dict[str, str]]:
    """LSMinimumSystemVersion for a bundle of these binaries (Analysis' a.binaries sources):
    the highest of what Python and each installed wheel with a binary among them need
    (PySide6's Qt 6.11 wheel says macosx_13_0). Also why: {"wheel version": "13.0", ...}."""
    bundled = {os.path.realpath(path) for path in binary_sources}
    needs = {"Python": _python_minimum()}
    for dist in installed():
        minimum = macos_minimum_of_tags(_wheel_tags(dist), arch)
        if minimum is None:
            continue
        files = dist.files or []
        # PyInstaller's bootloader is the app's executable, in no a.binaries entry.
        bootloader = dist.metadata["Name"].lower() == "pyinstaller"
        if bootloader or any(
            os.path.realpath(Path(str(dist.locate_file(f)))) in bundled for f in files
        ):
            needs[f"{dist.metadata['Name']} {dist.version}"] = minimum
    highest = max(needs.values())
    return f"{highest[0]}.{highest[1]}", {k: f"{v[0]}.{v[1]}" for k, v in needs.items()}


def info_plist(version: str, minimum_macos: str) -> dict[str, object]:
    """The Info.plist keys the spec gives BUNDLE (which adds the executable, identifier and
    icon itself)."""
    return {
        "CFBundleName": DISPLAY_NAME,
        "CFBundleDisplayName": DISPLAY_NAME,
        "CFBundleShortVersionString": version,
        "CFBundleVersion": version,
        "LSMinimumSystemVersion": minimum_macos,
        "LSApplicationCategoryType": "public.app-category.business",
        "NSHighResolutionCapable": True,
        # Dark mode follows the system (Qt draws it); without this macOS forces the light look.
        "NSRequiresAquaSystemAppearance": False,
    }


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """ "0.2.0" -> (0, 2, 0, 0): Windows' version resource holds four 16-bit numbers."""
    numbers = [int(part) for part in re.findall(r"\d+", version.split("+")[0])[:4]]
    numbers += [0] * (4 - len(numbers))
    if any(n > 0xFFFF for n in numbers):
        raise ValueError(f"{version!r} does not fit a Windows version resource")
    return numbers[0], numbers[1], numbers[2], numbers[3]


def version_info_text(version: str, exe_name: str, description: str) -> str:
    """Windows' version resource (Explorer's Details tab, SmartScreen, installers) in the text
    form PyInstaller's EXE(version=FILE) reads with its VSVersionInfo classes."""
    numbers = version_tuple(version)
    strings = {
        "CompanyName": COMPANY,
        "FileDescription": description,
        "FileVersion": version,
        "InternalName": exe_name,
        "LegalCopyright": f"(c) {COMPANY}",
        "OriginalFilename": f"{exe_name}.exe",
        "ProductName": DISPLAY_NAME,
        "ProductVersion": version,
    }
    structs = ",\n        ".join(f"StringStruct({k!r}, {v!r})" for k, v in strings.items())
    return f"""# UTF-8
VSVersionInfo(
  ffi=FixedFileInfo(
    filevers={numbers},
    prodvers={numbers},
    mask=0x3f,
    flags=0x0,
    OS=0x40004,
    fileType=0x1,
    subtype=0x0,
    date=(0, 0)
  ),
  kids=[
    StringFileInfo([
      StringTable('040904B0', [
        {structs}
      ])
    ]),
    VarFileInfo([VarStruct('Translation', [0x0409, 1200])])
  ]
)
"""
