"""Make resources/zoom-onboard.ico (Windows) and resources/zoom-onboard.icns (macOS) from
resources/zoom-onboard.svg, with Qt's own SVG renderer (no Pillow: it is not in the lock).

    python packaging/make_icons.py        (after changing the SVG; commit the two files)

Both files hold PNG images: an .ico's entries may be PNG since Windows Vista, and an .icns's
ic07..ic14 entries are PNG (macOS 10.7+). The files are committed rather than made at build
time so a Windows or macOS build needs nothing but PyInstaller, and what is reviewed is what is
shipped; tests/test_icons.py parses them and checks they still match the SVG.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize
from PySide6.QtGui import QGuiApplication, QImage, QImageReader

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "zoom-onboard.svg"
ICO = ROOT / "resources" / "zoom-onboard.ico"
ICNS = ROOT / "resources" / "zoom-onboard.icns"

# Windows asks for 16..256 (Explorer's views, the taskbar, Alt+Tab at 100-200 % scaling).
ICO_SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)
# macOS: type -> pixels (ic11..ic14 are the @2x of 16, 32, 128 and 256 points).
ICNS_TYPES = {
    "ic07": 128,
    "ic08": 256,
    "ic09": 512,
    "ic10": 1024,
    "ic11": 32,
    "ic12": 64,
    "ic13": 256,
    "ic14": 512,
}


def render(size: int, svg: Path = SVG) -> QImage:
    """The SVG drawn at size x size (not a scaled bitmap: small sizes stay sharp)."""
    reader = QImageReader(str(svg))
    reader.setScaledSize(QSize(size, size))
    image = reader.read()
    if image.isNull():
        raise RuntimeError(f"cannot render {svg}: {reader.errorString()}")
    return image.convertToFormat(QImage.Format.Format_ARGB32)


def png(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):  # type: ignore[call-overload]  # (the stub says bytes; Qt takes str)
        raise RuntimeError("Qt could not encode a PNG")
    buffer.close()
    return bytes(data.data())


def ico(images: dict[int, bytes]) -> bytes:
    """ICONDIR, then one 16-byte ICONDIRENTRY per image (0 means 256), then the PNGs."""
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries, blobs = b"", b""
    for size, data in sorted(images.items()):
        side = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset)
        blobs += data
        offset += len(data)
    return header + entries + blobs


def icns(images: dict[str, bytes]) -> bytes:
    """'icns', the file's length, then (type, length with its 8-byte header, PNG) per image,
    all big-endian."""
    body = b"".join(
        kind.encode("ascii") + struct.pack(">I", 8 + len(data)) + data
        for kind, data in images.items()
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def make(svg: Path = SVG) -> tuple[bytes, bytes]:
    """The .ico's and the .icns's bytes."""
    rendered = {size: png(render(size, svg)) for size in {*ICO_SIZES, *ICNS_TYPES.values()}}
    return (
        ico({size: rendered[size] for size in ICO_SIZES}),
        icns({kind: rendered[size] for kind, size in ICNS_TYPES.items()}),
    )


def main() -> int:
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    ico_bytes, icns_bytes = make()
    ICO.write_bytes(ico_bytes)
    ICNS.write_bytes(icns_bytes)
    for path, data in ((ICO, ico_bytes), (ICNS, icns_bytes)):
        print(f"{path.relative_to(ROOT)}: {len(data)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
