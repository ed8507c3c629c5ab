"""Whether a folder is on a network share: SQLite's WAL needs memory shared between the
processes that use a database, which a network filesystem cannot give (sqlite.org/wal.html),
so a history on a share (ZOOM_ONBOARD_HOME pointing at one) uses a rollback journal.

What is detected: on Windows a UNC path (\\\\server\\share) or a drive letter mapped to a share;
on Linux a mount of a network filesystem type (NFS, SMB/CIFS, sshfs, ...) in
/proc/self/mountinfo; on macOS the same from `mount`'s list. What is not: anything else that
imitates a local disk (an iSCSI volume, a synced folder), which WAL handles like a local one.
"""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from pathlib import Path, PurePath, PureWindowsPath

__all__ = ["NETWORK_TYPES", "is_network_folder", "network_mounts"]

NETWORK_TYPES = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb",
        "smb2",
        "smb3",
        "smbfs",
        "afpfs",
        "webdav",
        "davfs",
        "fuse.sshfs",
        "sshfs",
        "9p",
        "afs",
        "ceph",
        "glusterfs",
        "fuse.glusterfs",
        "lustre",
    }
)

_DRIVE_REMOTE = 4  # GetDriveTypeW


def is_network_folder(folder: Path) -> bool:
    """True when `folder` (or the folder it will be made in) is on a network share."""
    if sys.platform == "win32":
        return _windows_network(str(folder))
    return _under_a_mount(str(_existing(folder)), network_mounts())


def _windows_network(text: str) -> bool:
    path = PureWindowsPath(text)
    if path.drive.startswith(("\\\\", "//")) and not path.drive.startswith(("\\\\?\\", "\\\\.\\")):
        return True  # \\server\share\...
    if path.drive.upper().startswith("\\\\?\\UNC"):
        return True
    drive = path.drive[-2:] if path.drive.endswith(":") else ""
    return bool(drive) and _drive_type(drive + "\\") == _DRIVE_REMOTE  # a mapped drive


def _drive_type(root: str) -> int:
    if sys.platform != "win32":
        return 0  # DRIVE_UNKNOWN
    import ctypes

    return int(ctypes.windll.kernel32.GetDriveTypeW(root))


def _existing(folder: Path) -> Path:
    """The folder, or its nearest existing parent (the home may not be made yet)."""
    path = folder.absolute()
    while not path.exists() and path.parent != path:
        path = path.parent
    return path.resolve()


def _under_a_mount(path: str, mounts: tuple[str, ...]) -> bool:
    pure = PurePath(path)
    return any(pure == PurePath(m) or PurePath(m) in pure.parents for m in mounts)


@functools.cache
def network_mounts() -> tuple[str, ...]:
    """The mount points of network filesystems on this computer (read once per process)."""
    if sys.platform.startswith("linux"):
        try:
            text = Path("/proc/self/mountinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ()
        return mounts_from_mountinfo(text)
    if sys.platform == "darwin":
        try:
            text = subprocess.run(
                ["/sbin/mount"], capture_output=True, text=True, timeout=5, check=False
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return ()
        return mounts_from_mount_output(text)
    return ()


def mounts_from_mountinfo(text: str) -> tuple[str, ...]:
    """Linux's /proc/self/mountinfo: `id parent major:minor root mountpoint options... - type
    source superoptions`, with spaces in paths written as \\040."""
    found = []
    for line in text.splitlines():
        fields, _, rest = line.partition(" - ")
        parts, kind = fields.split(), rest.split()[:1]
        if len(parts) >= 5 and kind and kind[0].lower() in NETWORK_TYPES:
            found.append(_unescape(parts[4]))
    return tuple(found)


_MOUNT_LINE = re.compile(r"^.+? on (?P<point>.+) \((?P<type>[^,)]+)")


def mounts_from_mount_output(text: str) -> tuple[str, ...]:
    """macOS's `mount`: `//user@server/share on /Volumes/share (smbfs, nodev, nosuid, ...)`."""
    found = []
    for line in text.splitlines():
        match = _MOUNT_LINE.match(line)
        if match and match["type"].strip().lower() in NETWORK_TYPES:
            found.append(match["point"])
    return tuple(found)


def _unescape(field: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), field)
