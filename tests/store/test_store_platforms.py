"""The store on Windows and macOS, imitated on Linux:

- Windows' append is a seek to the end, then a write (no atomic O_APPEND): processes hammering
  the fallback journal must never overwrite each other's line, with flock (POSIX) and with
  msvcrt.locking (imitated over POSIX record locks);
- Windows refuses os.replace while another process has profiles.json open;
- macOS needs F_FULLFSYNC to get a write past the drive's cache (the fcntl call is recorded);
- a history on a network share uses a rollback journal instead of WAL.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers.processes import race
from wizard.store import database, durable, filesystems
from wizard.store.history import History
from wizard.store.journal import Journal
from wizard.store.paths import AppPaths
from wizard.store.profiles import Profile, ProfileError, ProfileStore

# A child process that appends to a journal the way Windows does: the C runtime's emulated
# O_APPEND (lseek to the end, then write: another process can write in between), and with
# "windows" also Windows' lock (msvcrt.locking) imitated over POSIX record locks.
_HAMMER = textwrap.dedent("""
    import fcntl, os, sys, time, types
    from pathlib import Path
    import wizard.file_lock as file_lock
    import wizard.store.journal as journal_module

    journal_path, who, count, start, flavour = sys.argv[1:6]


    from tests.helpers.platforms import WindowsAppendOs
    journal_module.os = WindowsAppendOs()

    if flavour == "windows":
        def locking(fd, mode, nbytes):
            at = os.lseek(fd, 0, os.SEEK_CUR)
            if mode == LK_UNLCK:
                fcntl.lockf(fd, fcntl.LOCK_UN, nbytes, at)
                return
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, nbytes, at)
            except BlockingIOError:
                raise PermissionError(13, "Permission denied") from None
        LK_UNLCK, LK_NBLCK = 0, 2
        sys.modules["msvcrt"] = types.SimpleNamespace(
            locking=locking, LK_UNLCK=LK_UNLCK, LK_NBLCK=LK_NBLCK)
        file_lock.sys = types.SimpleNamespace(platform="win32")

    journal = journal_module.Journal(Path(journal_path))
    while time.time() < float(start):  # start together, so the appends really overlap
        time.sleep(0.001)
    for i in range(int(count)):
        journal.append({"type": "verification", "grant_id": f"{who}-{i}", "verified": True,
                        "email": "x" * 200})
""")


@pytest.mark.posix_only  # the children imitate Windows over fcntl
@pytest.mark.parametrize("flavour", ["posix", "windows"])
def test_processes_appending_with_windows_append_never_overwrite_a_line(
    tmp_path: Path, flavour: str
) -> None:
    path = tmp_path / "history-fallback.jsonl"
    processes, each = 3, 150
    race(_HAMMER, path, processes, each, flavour)
    contents = Journal(path).read()
    assert contents.bad_lines == []
    found = sorted(v.grant_id for v in contents.verifications)
    assert found == sorted(f"p{n}-{i}" for n in range(processes) for i in range(each))


# -- profiles.json while another process reads it (Windows) ----------------------------------


def _profile() -> Profile:
    return Profile(name="Support", region="us", nylas_client_id="c-1", zoom_client_id="z-1")


def _refusing_replace(monkeypatch: pytest.MonkeyPatch, times: int) -> list[int]:
    """os.replace failing as on Windows while another process has the target open."""
    calls: list[int] = []
    real = os.replace

    def replace(source: str | Path, target: str | Path) -> None:
        calls.append(1)
        if len(calls) <= times:
            raise PermissionError(errno.EACCES, "The process cannot access the file", str(target))
        real(source, target)

    monkeypatch.setattr(os, "replace", replace)
    return calls


def test_profiles_are_saved_when_another_process_reads_the_file_on_windows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(durable, "_REPLACE_PAUSE", 0)
    calls = _refusing_replace(monkeypatch, times=3)
    store = ProfileStore(tmp_path / "profiles.json")
    store.save(_profile())
    assert len(calls) == 4
    assert ProfileStore(tmp_path / "profiles.json").get("Support").nylas_client_id == "c-1"
    assert [p.name for p in tmp_path.iterdir()] == ["profiles.json"]  # no temp file left


def test_a_real_permission_error_is_not_retried_on_posix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    calls = _refusing_replace(monkeypatch, times=1)
    with pytest.raises(ProfileError, match="could not be saved"):
        ProfileStore(tmp_path / "profiles.json").save(_profile())
    assert len(calls) == 1


# -- macOS: F_FULLFSYNC ----------------------------------------------------------------------

F_FULLFSYNC = 51  # macOS's value; Linux's fcntl has no such command


@pytest.fixture
def macos_fsync(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """sys.platform says darwin; fcntl(fd, F_FULLFSYNC) is recorded (and fsyncs)."""
    import fcntl  # macOS has it; the tests using this are posix_only

    full: list[int] = []
    real = fcntl.fcntl

    def fake_fcntl(fd: int, cmd: int, arg: int = 0) -> int:
        if cmd == F_FULLFSYNC:
            full.append(fd)
            os.fsync(fd)
            return 0
        return real(fd, cmd, arg)

    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(fcntl, "F_FULLFSYNC", F_FULLFSYNC, raising=False)
    monkeypatch.setattr(fcntl, "fcntl", fake_fcntl)
    return full


@pytest.mark.posix_only  # fcntl
def test_on_macos_the_journal_and_profiles_are_written_with_full_fsync(
    tmp_path: Path, macos_fsync: list[int]
) -> None:
    Journal(tmp_path / "j.jsonl").append({"type": "verification", "grant_id": "g"})
    assert len(macos_fsync) == 1
    ProfileStore(tmp_path / "profiles.json").save(_profile())
    assert len(macos_fsync) >= 2  # the new file's data before it replaces the old one


def test_on_macos_sqlite_commits_with_full_fsync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    with database.connect(tmp_path / "h.sqlite3") as conn:
        assert conn.execute("PRAGMA fullfsync").fetchone()[0] == 1
        assert conn.execute("PRAGMA checkpoint_fullfsync").fetchone()[0] == 1


def test_elsewhere_sqlite_keeps_its_default_fsync(tmp_path: Path) -> None:
    with database.connect(tmp_path / "h.sqlite3") as conn:
        assert conn.execute("PRAGMA fullfsync").fetchone()[0] == 0


# -- a history on a network share --------------------------------------------------------------

MOUNTINFO = textwrap.dedent("""\
    22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
    40 22 0:40 / /mnt/team\\040share rw,relatime shared:20 - cifs //nas/team rw,vers=3.1.1
    41 22 0:41 / /srv/nfs rw,relatime shared:21 - nfs4 nas:/export rw
    42 22 0:42 / /home/me/remote rw,nosuid shared:22 - fuse.sshfs me@box: rw
""")

MOUNT_OUTPUT = textwrap.dedent("""\
    /dev/disk3s1s1 on / (apfs, sealed, local, read-only, journaled)
    //me@nas._smb._tcp.local/Team on /Volumes/Team (smbfs, nodev, nosuid, mounted by me)
    nas:/export on /Volumes/nfs share (nfs, asynchronous)
""")


def test_network_mounts_are_read_from_linux_mountinfo_and_macos_mount() -> None:
    assert filesystems.mounts_from_mountinfo(MOUNTINFO) == (
        "/mnt/team share",
        "/srv/nfs",
        "/home/me/remote",
    )
    assert filesystems.mounts_from_mount_output(MOUNT_OUTPUT) == (
        "/Volumes/Team",
        "/Volumes/nfs share",
    )


def test_a_unc_path_is_a_network_folder_on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    # GetDriveTypeW: Z: is mapped to a share (DRIVE_REMOTE), C: is a fixed disk.
    monkeypatch.setattr(filesystems, "_drive_type", lambda root: 4 if root == "Z:\\" else 3)
    assert filesystems.is_network_folder(Path(r"Z:\zoom-onboard"))
    assert not filesystems.is_network_folder(Path(r"C:\Users\me\zoom-onboard"))
    assert filesystems.is_network_folder(Path(r"\\nas\team\zoom-onboard\data"))
    assert filesystems.is_network_folder(Path(r"\\?\UNC\nas\team\zoom-onboard"))
    assert not filesystems.is_network_folder(Path(r"\\?\C:\Users\me"))


def test_a_history_on_a_network_share_uses_a_rollback_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wizard.diagnostics import build_report

    monkeypatch.setenv("ZOOM_ONBOARD_HOME", str(tmp_path))
    paths = AppPaths.default()
    # Made on a local disk first (WAL), then the folder turns out to be a share.
    History(paths.history_db, paths.history_fallback).record_grant(
        profile="p", region="us", account_id="a", integration_id=None, grant_id="g-1"
    )
    assert _journal_mode(paths.history_db) == "wal"
    assert "Database journal: WAL" in build_report()
    filesystems.network_mounts.cache_clear()
    monkeypatch.setattr(filesystems, "network_mounts", lambda: (str(tmp_path),))
    history = History(paths.history_db, paths.history_fallback)
    history.record_grant(
        profile="p", region="us", account_id="a", integration_id=None, grant_id="g-2"
    )
    assert _journal_mode(paths.history_db) == "delete"
    assert not Path(f"{paths.history_db}-wal").exists()
    assert {r.grant_id for r in history.records()} == {"g-1", "g-2"}
    assert "Database journal: rollback (DELETE), because the history is on a network share" in (
        build_report()
    )


def _journal_mode(db: Path) -> str:
    # Closed here, not when collected: an open WAL connection would keep the switch away.
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
