"""macOS starts programs with a soft limit of 256 open files, fewer than the 512 connections the
listener used to serve before shedding: a flood of local sockets ran it out of descriptors
(the real callback waited, every failed accept was a crash report). Imitated with
setrlimit(RLIMIT_NOFILE) in a process of its own (tests/helpers/child.py), flooded from here."""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.helpers.ci import ROOT
from tests.helpers.listener import GRANT, PATH, genuine_query, request_bytes
from wizard.http.limits import connection_cap

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="no RLIMIT_NOFILE on Windows")

FLOOD = 300  # more than 256


def child(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.child", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def json_line(process: subprocess.Popen[str]) -> dict[str, object]:
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("{"):
            return json.loads(line)  # type: ignore[no-any-return]
    raise AssertionError(f"the child ended ({process.wait()}) without saying")


def flood(port: int) -> Iterator[socket.socket]:
    for _ in range(FLOOD):
        yield socket.create_connection(("127.0.0.1", port))


def callback(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(request_bytes(port, f"{PATH}?{genuine_query()}"))
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def hard_limit() -> int:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return 1 << 20 if hard == resource.RLIM_INFINITY else hard


@pytest.mark.parametrize(
    ("nofile", "soft_after"),
    [
        ("256", min(4096, hard_limit())),  # macOS's default: raised at start
        ("256:256", 256),  # a hard limit of 256: it stays, and the cap fits under it
    ],
)
def test_a_flood_of_local_sockets_under_macos_limit(nofile: str, soft_after: int) -> None:
    process = child("--nofile", nofile, "flood-target")
    try:
        ready = json_line(process)
        assert ready["soft"] == soft_after
        assert ready["cap"] == connection_cap(soft_after)
        port = ready["port"]
        assert isinstance(port, int)
        crowd = list(flood(port))
        try:
            answer = callback(port)
        finally:
            for sock in crowd:
                sock.close()
        assert process.stdin is not None
        process.stdin.write("done\n")
        process.stdin.flush()
        report = json_line(process)
    except BaseException:
        process.kill()
        raise
    finally:
        code = process.wait()
    assert code == 0
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert report["grant"] == GRANT
    assert report["handler"] == []  # in the wizard each would be a crash dialog
    log = report["log"]
    assert isinstance(log, list)
    assert not [m for m in log if "descriptor" in m or "accept" in m]


def test_the_cap_is_sized_from_the_limit() -> None:
    assert connection_cap(256) < 256 - 64  # room for everything else the app opens
    assert connection_cap(4096) == 512
    assert connection_cap(None) <= 512
    assert connection_cap(20) == 16
