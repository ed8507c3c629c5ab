"""Benchmarks of the Zoom onboarding wizard: prints the machine, then ONE markdown table.

    python bench/run.py            # the full run, about 2 minutes on 2 cores
    python bench/run.py --quick    # a smoke run with few repetitions, under 20 seconds
    xvfb-run -a python bench/run.py    # with DISPLAY set, Qt runs on xcb instead of offscreen

Every comparison is made inside one run, against a baseline measured in that same run,
alternating the two where they compete for the machine. Every wait is bounded (a stalled
peer costs BOUND seconds, never the run). Progress goes to stderr, the results to stdout.
Timing lives here only; the tests never assert a duration.

Rows: 1 launch to first window (vs a bare QWizard), 2 callback to result, 3 our listener vs
google-auth-oauthlib's run_local_server on four request sequences, 4 longest gap of a 5 ms
QTimer through a full wizard flow, 5 peak RSS through that flow, 6 the listener under load
(200 idle connections, 2,000 junk requests) vs a clean callback, 7 a soak: 300 accounts
onboarded one after another in one wizard window (RSS, descriptors, tasks, objects and the
reference count of None, after the first account and after the last), 8 `zoom-onboard
history` at 10,000 and 100,000 grants vs sqlite3's own CSV, 9 the headless self-test vs
`python -c "import httpx"`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import json
import multiprocessing
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BOUND = 5.0  # seconds: the longest any single wait may take
STATE = "bench-state-Xq9fTz2Lw0aB"
GRANT = "0b6f3c1e-5a7d-4e0b-9c2f-1d3e5f7a9b11"
GOOGLE_CODE = "GENUINE-CODE-4f2a"
SOAK_KIB_PER_ACCOUNT = 20  # the goal: a window open all day does not keep growing


@dataclass(frozen=True)
class Plan:
    launches: int
    callbacks: int
    peer_runs: int
    probes: int
    load_runs: int
    idle: int = 200
    junk: int = 2000
    soak: int = 300  # accounts onboarded one after another in one wizard process
    history_rows: tuple[int, ...] = (10_000, 100_000)
    cli_runs: int = 5
    grants: int = 10_000  # in the sandbox, for the Grants window
    grants_rounds: int = 5


FULL = Plan(launches=21, callbacks=200, peer_runs=5, probes=7, load_runs=15)
QUICK = Plan(
    launches=3,
    callbacks=20,
    peer_runs=1,
    probes=1,
    load_runs=2,
    idle=50,
    junk=300,
    soak=10,
    history_rows=(2_000,),
    cli_runs=1,
    grants_rounds=2,
)


@dataclass
class Row:
    number: str
    measure: str
    ours: str
    baseline: str
    result: str
    goal: str = "-"


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def median_ms(values_ns: Sequence[int]) -> float:
    return statistics.median(values_ns) / 1e6


def percentile_ms(values_ns: Sequence[int], p: float) -> float:
    ordered = sorted(values_ns)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index] / 1e6


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def qt_platform() -> str:
    return "xcb" if os.environ.get("DISPLAY") else "offscreen"


def qt_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "QT_QPA_PLATFORM": qt_platform(), **extra}
    # The children import this checkout (python bench/run.py from it), not an installed copy.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("ZOOM_ONBOARD_HOME", tempfile.mkdtemp(prefix="zoom-onboard-bench-"))
    return env


def bytecode_cached() -> None:
    """Children run from byte-compiled modules, as an installed or bundled app does: with
    PYTHONDONTWRITEBYTECODE set (this machine's environment has it) every launch compiled our
    modules from source again, about 25 ms of the launch. The cache lives outside the tree."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ.setdefault(
        "PYTHONPYCACHEPREFIX", str(Path(tempfile.gettempdir()) / "zoom-onboard-bench-pyc")
    )


# ---- machine ----


def machine() -> list[str]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1])
        memory = f", {kib / 1024 / 1024:.1f} GiB RAM"
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import qVersion

    def version(name: str) -> str:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return [
        f"- CPU: {cpu}; {os.cpu_count()} logical cores ({usable} usable){memory}",
        f"- OS: {platform.platform()}",
        f"- Python {platform.python_version()} ({platform.python_implementation()}); "
        f"PySide6 {pyside_version}, Qt {qVersion()}, platform plugin {qt_platform()}",
        f"- httpx {version('httpx')}, h11 {version('h11')}, qasync {version('qasync')}, "
        f"google-auth-oauthlib {version('google-auth-oauthlib')}, "
        f"trio {version('trio')} (httpcore imports it when present)",
        f"- children run byte-compiled modules (PYTHONPYCACHEPREFIX="
        f"{os.environ.get('PYTHONPYCACHEPREFIX', '')})",
        f"- load average at start: {', '.join(f'{x:.2f}' for x in load) if load else 'n/a'}",
    ]


# ---- 1. launch to first window, and to the first page usable ----


def spread_ms(values_ns: Sequence[int]) -> str:
    """Median and range, in ms (a tenth below 10 ms)."""
    digits = 1 if median_ms(values_ns) < 10 else 0
    return (
        f"{median_ms(values_ns):.{digits}f} ms (range {min(values_ns) / 1e6:.{digits}f}-"
        f"{max(values_ns) / 1e6:.{digits}f})"
    )


def child_maxrss_kib(output: str) -> int:
    """The peak RSS a child printed of itself (`maxrss_kib=N`, ru_maxrss of RUSAGE_SELF):
    `os.wait4`'s figure would count this process's RSS at the fork."""
    kib = int(next(x for x in output.splitlines() if x.startswith("maxrss_kib=")).partition("=")[2])
    return kib // 1024 if sys.platform == "darwin" else kib  # bytes on macOS


@dataclass
class Launch:
    shown_ns: int
    usable_ns: int
    maxrss_kib: int


def launch_once(command: list[str], env: dict[str, str]) -> Launch:
    """Spawn, read stdout to the end (the process quits once its first page is usable): the
    child's `shown` and `usable` marks on the system's monotonic clock, and its own peak RSS."""
    started = time.perf_counter_ns()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT
    )
    timer = threading.Timer(60, process.kill)  # a hung launch must not hang the benchmark
    timer.start()
    try:
        assert process.stdout is not None
        output = process.stdout.read()
        process.wait()
    finally:
        timer.cancel()
    marks = {
        name: int(value)
        for line in output.splitlines()
        for name, _, value in [line.partition(" perf_counter_ns=")]
        if value
    }
    if process.returncode != 0 or not {"shown", "usable"} <= marks.keys():
        raise RuntimeError(f"{command} exited {process.returncode} without its marks: {output}")
    return Launch(marks["shown"] - started, marks["usable"] - started, child_maxrss_kib(output))


@contextlib.contextmanager
def xvfb_display() -> Iterator[str | None]:
    """The X display to launch on: $DISPLAY, else a private Xvfb for the launch rows (None
    when Xvfb is not installed)."""
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"]
        return
    if shutil.which("Xvfb") is None:
        yield None
        return
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x1000x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    try:
        with os.fdopen(read) as answer:
            number = answer.readline().strip()  # written once the server accepts clients
        yield f":{number}" if number else None
    finally:
        server.terminate()
        server.wait(BOUND)


def bench_launch(
    plan: Plan, platform_name: str, display: str | None = None
) -> tuple[list[Row], dict[str, Any]]:
    app = [sys.executable, "-m", "wizard", "--sandbox"]
    bare = [sys.executable, str(BENCH / "bare_qwizard.py")]
    on = {"QT_QPA_PLATFORM": platform_name, **({"DISPLAY": display} if display else {})}
    app_env = qt_env(ZOOM_ONBOARD_BENCH_SHOWN="1", **on)
    bare_env = qt_env(**on)
    launch_once(app, app_env), launch_once(bare, bare_env)  # warm the file cache, not counted
    apps: list[Launch] = []
    bares: list[Launch] = []
    for i in range(plan.launches):
        # Alternate, and swap who goes first each round (ABBA), so drift hits both alike.
        pair = [(app, app_env, apps), (bare, bare_env, bares)]
        for command, env, into in pair if i % 2 == 0 else pair[::-1]:
            into.append(launch_once(command, env))
        progress(f"launch ({platform_name}) {i + 1}/{plan.launches}")
    suffix = "" if platform_name == "offscreen" else "x"
    where = "offscreen" if platform_name == "offscreen" else f"{platform_name} under Xvfb"
    rows = []
    for number, what, of, bare_has in (
        ("1", "first window", "shown_ns", ""),
        (
            "1u",
            "the first page usable (profiles loaded, the focus in its first field)",
            "usable_ns",
            " (its field focused)",
        ),
    ):
        ours = [getattr(x, of) for x in apps]
        theirs = [getattr(x, of) for x in bares]
        ratio = median_ms(ours) / median_ms(theirs)
        rows.append(
            Row(
                number + suffix,
                f"Launch to {what} (`python -m wizard --sandbox`, {where}), "
                f"median of {plan.launches}",
                spread_ms(ours),
                f"bare QWizard script{bare_has}: {spread_ms(theirs)}",
                f"ratio {ratio:.2f} {'✓' if ratio <= 1.25 else '✗'}",
                "ratio ≤ 1.25",
            )
        )
    extra = {
        "app_launch_rss_mib": statistics.median(x.maxrss_kib for x in apps) / 1024,
        "bare_rss_mib": statistics.median(x.maxrss_kib for x in bares) / 1024,
    }
    return rows, extra


# ---- 2. callback to result ----


async def _callback_to_result(plan: Plan) -> tuple[list[int], list[int]]:
    import httpx
    from pydantic import SecretStr

    from wizard.flow import CustomerAccount, IntegrationSpec, ZoomApp
    from wizard.flow.factory import NylasCredentials, prepare
    from wizard.listener.redirect_uri import LoopbackRedirectUri
    from wizard.sandbox import SandboxServer

    # The sandbox's own scripted browser reads forms the same way; its parser is reused here
    # because this browser must follow redirects by hand to time the callback request.
    from wizard.sandbox.consent_bot import parse_page
    from wizard.store.paths import AppPaths
    from wizard.target import Target

    marks: dict[str, int] = {}

    async def follow(browser: httpx.AsyncClient, answer: httpx.Response, listener: str) -> Any:
        for _ in range(10):
            if not answer.is_redirect:
                return answer
            target = urljoin(str(answer.url), answer.headers["location"])
            if urlsplit(target).netloc == listener:
                marks["callback"] = time.perf_counter_ns()  # the browser's callback request
                answer = await browser.get(target)
                marks["page"] = time.perf_counter_ns()
                return answer
            answer = await browser.get(target)
        raise RuntimeError("too many redirects")

    async with SandboxServer() as sandbox:
        creds = sandbox.credentials
        uri = LoopbackRedirectUri.parse(f"http://127.0.0.1:{free_port()}/callback")

        async def browser_leg(url: str) -> bool:
            async with httpx.AsyncClient(trust_env=False, timeout=BOUND) as browser:
                page = await follow(browser, await browser.get(url), uri.netloc)
                forms = parse_page(page.text).forms
                form, allow = next((f, b) for f in forms if (b := f.button("allow")))
                data = form.pressing(allow)
                target = urljoin(str(page.url), form.action)
                if form.method.lower() == "post":
                    answer = await browser.post(target, data=data)
                else:
                    answer = await browser.get(target, params=data)
                await follow(browser, answer, uri.netloc)
            return True

        zoom = ZoomApp(creds.zoom_client_id, SecretStr(creds.zoom_client_secret))
        home = Path(tempfile.mkdtemp(prefix="zoom-onboard-bench-callback-"))
        async with prepare(  # as the wizard and the command line open one: with its recorder
            Target.of("connect", "sandbox", sandbox.url),
            NylasCredentials(SecretStr(creds.nylas_client_secret), creds.nylas_client_id),
            IntegrationSpec(zoom, uri),
            browser_leg,
            paths=AppPaths(home / "config", home / "data", home / "logs"),
            profile=None,
        ) as ready:
            to_result: list[int] = []
            to_page: list[int] = []
            warmup = 3
            for i in range(plan.callbacks + warmup):
                marks.clear()
                async with asyncio.timeout(BOUND * 4):
                    result = await ready.flow.authorize(
                        CustomerAccount(f"acct-{i}"), uri, timeout=BOUND, recorder=ready.recorder
                    )
                done = time.perf_counter_ns()
                if not result.verified:
                    raise RuntimeError(f"unverified result: {result}")
                if i >= warmup:
                    to_result.append(done - marks["callback"])
                    to_page.append(marks["page"] - marks["callback"])
            if ready.history.problems:
                raise RuntimeError(f"the history did not record: {ready.history.problems}")
            return to_result, to_page


def bench_callback(plan: Plan) -> Row:
    progress(f"callback to result x{plan.callbacks}")
    to_result, to_page = asyncio.run(_callback_to_result(plan))
    return Row(
        "2",
        f"Callback to result: browser's callback request → verified OnboardingResult, "
        f"recorded in the history, sandbox, runs: {plan.callbacks}",
        f"p50 {percentile_ms(to_result, 50):.1f} ms, p95 {percentile_ms(to_result, 95):.1f} ms",
        f"(no baseline) of which callback → success page in the browser: "
        f"p50 {percentile_ms(to_page, 50):.1f} ms",
        "-",
    )


# ---- 3. our listener vs google-auth-oauthlib ----


@dataclass
class Capture:
    captured: bool = False
    at_ns: int = 0
    note: str = ""
    done: threading.Event = field(default_factory=threading.Event)


class Peer:
    """A loopback receiver under test, served on a thread of its own until it captures one
    callback (or gives up)."""

    name = ""

    def __init__(self) -> None:
        self.capture = Capture()
        self.ready = threading.Event()
        self.thread: threading.Thread | None = None

    def _serve_on_a_thread(self, serve: Callable[[], object], what: str) -> None:
        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()
        if not self.ready.wait(BOUND):
            raise RuntimeError(f"{what} did not start")

    def stop(self) -> None:
        if self.thread is not None:
            self.thread.join(BOUND)


class OurPeer(Peer):
    name = "CallbackListener"

    def start(self, port: int) -> None:
        self.port = port
        self._serve_on_a_thread(lambda: asyncio.run(self._serve()), "our listener")

    async def _serve(self) -> None:
        from wizard.listener.listener import CallbackListener
        from wizard.listener.redirect_uri import LoopbackRedirectUri

        listener = CallbackListener(LoopbackRedirectUri("127.0.0.1", self.port), STATE)
        try:
            await listener.start()
            self.ready.set()
            grant = await listener.wait(BOUND * 3)
            self.capture.at_ns = time.perf_counter_ns()
            self.capture.captured = grant.grant_id == GRANT
        except Exception as exc:
            self.capture.note = type(exc).__name__
        finally:
            self.ready.set()
            self.capture.done.set()

    def callback(self) -> bytes:
        query = f"success=true&provider=zoom&grant_id={GRANT}&state={STATE}"
        return request(self.port, f"/callback?{query}")


class GooglePeer(Peer):
    """InstalledAppFlow.run_local_server exactly as shipped, with two hooks: its server class
    reports when it listens, and fetch_token records what was captured instead of exchanging
    it (no token request is ever made)."""

    name = "google-auth-oauthlib"

    def start(self, port: int) -> None:
        import google_auth_oauthlib.flow as gflow

        self.port = port
        ready = self.ready
        capture = self.capture

        class ReadyServer(gflow._ExclusiveWSGIServer):  # type: ignore[misc]
            def server_activate(self) -> None:
                super().server_activate()
                ready.set()

        class Captured(Exception):
            pass

        class CaptureOnlyFlow(gflow.InstalledAppFlow):  # type: ignore[misc]
            def fetch_token(self, **kwargs: Any) -> None:
                capture.at_ns = time.perf_counter_ns()
                uri = str(kwargs.get("authorization_response", ""))
                capture.captured = f"code={GOOGLE_CODE}" in uri
                capture.note = urlsplit(uri).path
                raise Captured

        config = {
            "installed": {
                "client_id": "bench.apps.example",
                "client_secret": "bench-secret",
                # https, or oauthlib refuses to build the URL; never contacted.
                "auth_uri": "https://accounts.invalid/auth",
                "token_uri": "https://accounts.invalid/token",
            }
        }
        flow = CaptureOnlyFlow.from_client_config(config, scopes=["openid"])

        def serve() -> None:
            original = gflow._ExclusiveWSGIServer
            gflow._ExclusiveWSGIServer = ReadyServer
            try:
                flow.run_local_server(
                    host="127.0.0.1",
                    port=port,
                    open_browser=False,
                    authorization_prompt_message="",
                    timeout_seconds=BOUND * 3,
                )
            except Captured:
                pass
            except Exception as exc:
                capture.note = capture.note or type(exc).__name__
            finally:
                gflow._ExclusiveWSGIServer = original
                ready.set()
                capture.done.set()

        self._serve_on_a_thread(serve, "run_local_server")

    def callback(self) -> bytes:
        return request(self.port, f"/?state=bench&code={GOOGLE_CODE}&scope=openid")


def request(port: int, target: str) -> bytes:
    return (
        f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: bench\r\n"
        "Accept: text/html\r\nConnection: close\r\n\r\n"
    ).encode()


def exchange(port: int, data: bytes, timeout: float = BOUND, *, half_close: bool = False) -> bytes:
    """One connection, bounded: send (then EOF if asked, as a port probe does), read until the
    server closes or the timeout."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)


JUNK = [
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(32)),  # https:// typed
    b"GET / HTTP/1.0\r\n\r\n",  # a port scanner
    b"OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    b"\r\n\r\n",
    b"GET /callback HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
    b"SSH-2.0-OpenSSH_9.6\r\n",
    b"HEAD /favicon.ico HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    bytes(range(256)),
]


def sequence_clean(port: int, peer: Any) -> Callable[[], None]:
    return lambda: None


def sequence_favicon(port: int, peer: Any) -> Callable[[], None]:
    with contextlib.suppress(OSError):
        exchange(port, request(port, "/favicon.ico"), timeout=1)
    return lambda: None


def sequence_idle(port: int, peer: Any) -> Callable[[], None]:
    idle = socket.create_connection(("127.0.0.1", port), timeout=BOUND)
    time.sleep(0.05)  # let the server accept it before the callback comes
    return idle.close


def sequence_junk(port: int, peer: Any) -> Callable[[], None]:
    for i in range(100):
        with contextlib.suppress(OSError):
            exchange(port, JUNK[i % len(JUNK)], timeout=1, half_close=True)
    return lambda: None


SEQUENCES = {
    "clean": sequence_clean,
    "favicon first": sequence_favicon,
    "an idle socket first": sequence_idle,
    "100 junk requests first": sequence_junk,
}


def peer_run(make_peer: Callable[[], Any], sequence: Callable[..., Callable[[], None]]) -> Capture:
    port = free_port()
    peer = make_peer()
    peer.start(port)
    cleanup = sequence(port, peer)
    sender = threading.Thread(target=_send_quietly, args=(port, peer.callback()), daemon=True)
    started = time.perf_counter_ns()
    sender.start()
    peer.capture.done.wait(BOUND)
    capture = peer.capture
    if capture.captured:
        capture.at_ns -= started
    elif not capture.done.is_set():
        capture.note = f"stalled: no capture within {BOUND:g} s"
    cleanup()
    sender.join(BOUND)
    peer.stop()
    result: Capture = capture
    return result


def _send_quietly(port: int, data: bytes) -> None:
    with contextlib.suppress(OSError):
        exchange(port, data)


def describe(captures: list[Capture]) -> str:
    won = [c for c in captures if c.captured]
    text = f"captured {len(won)}/{len(captures)}"
    if won:
        text += f", {median_ms([c.at_ns for c in won]):.1f} ms"
    notes = sorted({c.note for c in captures if not c.captured and c.note})
    if notes:
        text += " (" + "; ".join(_explain(n) for n in notes) + ")"
    return text


def _explain(note: str) -> str:
    if note.startswith("/"):
        return f"took {note} as the redirect and stopped listening"
    if note == "WSGITimeoutError":
        return "stopped after the first request, which was not the callback"
    return note


def _mark(captures: list[Capture]) -> str:
    return "✓" if all(c.captured for c in captures) else "✗"


def bench_peers(plan: Plan) -> list[Row]:
    rows = []
    for index, (name, sequence) in enumerate(SEQUENCES.items()):
        ours: list[Capture] = []
        google: list[Capture] = []
        for _ in range(plan.peer_runs):
            ours.append(peer_run(OurPeer, sequence))
            google.append(peer_run(GooglePeer, sequence))
        progress(f"peers: {name}")
        rows.append(
            Row(
                f"3{'abcd'[index]}",
                f"Capture, {name}: CallbackListener vs `InstalledAppFlow.run_local_server`, "
                f"runs: {plan.peer_runs} each",
                describe(ours),
                f"google-auth-oauthlib: {describe(google)}",
                f"ours {_mark(ours)}, google-auth-oauthlib {_mark(google)}",
                "captured every time",
            )
        )
    return rows


# ---- 4 and 5. the full wizard flow ----


def run_probe(*args: str, timeout: float = 120) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(BENCH / "wizard_probe.py"), *args],
        env=qt_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise RuntimeError(f"wizard_probe {' '.join(args)} failed: {done.stderr[-2000:]}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def bench_probe(plan: Plan, launch: dict[str, Any]) -> list[Row]:
    reports = []
    for i in range(plan.probes):
        # Alternate the two APIs: the flow is shared, the backends are not.
        reports.append(run_probe("--api", "v3" if i % 2 == 0 else "connect"))
        progress(f"wizard flow {i + 1}/{plan.probes}")
    worst = max(reports, key=lambda r: r["max_gap_ms"])
    gaps = [r["max_gap_ms"] for r in reports]
    flow_ms = statistics.median(r["flow_ms"] for r in reports)
    rss = statistics.median(r["maxrss_kib"] for r in reports) / 1024
    return [
        Row(
            "4",
            f"Longest gap of a 5 ms QTimer through a full wizard flow ({qt_platform()}, "
            f"in-process sandbox, ConsentBot; flow {flow_ms:.0f} ms), runs: {plan.probes}",
            f"worst {worst['max_gap_ms']:.1f} ms (main thread busy {worst['max_gap_cpu_ms']:.1f}"
            f" ms of it, the process {worst['max_gap_process_cpu_ms']:.1f} ms; in: "
            f"{worst['max_gap_step']}); median {statistics.median(gaps):.1f} ms (range "
            f"{min(gaps):.1f}-{max(gaps):.1f})",
            "timer period: 5 ms",
            "✓" if worst["max_gap_ms"] < 50 else "✗",
            "< 50 ms",
        ),
        Row(
            "5",
            f"Peak resident memory (ru_maxrss) of the wizard process through that flow, "
            f"median of {plan.probes}",
            f"{rss:.0f} MiB",
            f"bare QWizard shown and closed: {launch['bare_rss_mib']:.0f} MiB; wizard shown and "
            f"closed: {launch['app_launch_rss_mib']:.0f} MiB",
            f"{rss / launch['bare_rss_mib']:.1f}× the bare QWizard",
        ),
    ]


# ---- 7. a day in one window ----


def bench_soak(plan: Plan) -> Row:
    report = run_probe("--accounts", str(plan.soak), timeout=60 + plan.soak * 2)
    progress(f"soak of {plan.soak} accounts")
    first, last = report["after_first"], report["after_last"]
    later = max(plan.soak - 1, 1)
    rss_per = (last["rss_kib"] - first["rss_kib"]) / later
    # The goal is judged on the steady slope: the first accounts fill one-time caches (about
    # 5 MiB at the second), the later third says whether memory keeps growing.
    steady = [(n, kib) for n, kib in report["rss_samples"] if n >= plan.soak / 3]
    slope = None
    if len(steady) >= 3:
        slope = statistics.linear_regression([n for n, _ in steady], [k for _, k in steady]).slope
    flat = last["fds"] <= first["fds"] and last["tasks"] <= first["tasks"]
    none_kept = last["none_refs"] >= first["none_refs"]  # a falling count is the 6.12.0 crash
    level = slope is not None and slope <= SOAK_KIB_PER_ACCOUNT
    return Row(
        "7",
        f"Soak: {plan.soak} accounts onboarded one after another in one wizard window (v3, "
        f"sandbox, ConsentBot; {report['soak_s']:.0f} s), after the first account → after the last",
        f"RSS {first['rss_kib'] / 1024:.0f} → {last['rss_kib'] / 1024:.0f} MiB "
        f"({rss_per:+.0f} KiB/account; steady "
        + (f"{slope:+.0f} KiB/account" if slope is not None else "not measured")
        + f" from account {steady[0][0] if steady else '-'}, least squares); fds {first['fds']} → "
        f"{last['fds']}; tasks {first['tasks']} → {last['tasks']}; gc objects "
        f"{first['objects']} → {last['objects']} "
        f"({(last['objects'] - first['objects']) / later:+.0f}/account); refcount(None) "
        f"{first['none_refs']} → {last['none_refs']}",
        "the same window after its first account",
        "✓" if flat and none_kept and level else "✗",
        f"steady RSS ≤ {SOAK_KIB_PER_ACCOUNT} KiB/account; fds and tasks flat; refcount(None) "
        "never falls",
    )


# ---- 8 and 9. the headless command ----


def _timed(command: list[str], env: dict[str, str]) -> float:
    """Start to exit of `command`, to the waitpid. Not subprocess.run(timeout=...): with a
    timeout Python polls the child with sleeps growing to 50 ms, which rounded every time up to
    its next step (32, 64, 114, 164 ms...); a timer kills a stuck child instead."""
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stuck = threading.Timer(120, child.kill)
    stuck.start()
    try:
        code = child.wait()
    finally:
        stuck.cancel()
    elapsed = time.perf_counter() - started
    if code != 0:
        raise subprocess.CalledProcessError(code, command)
    return elapsed


def _cli_env(**extra: str) -> dict[str, str]:
    """The children run this checkout's wizard, wherever the bench is started from and
    whichever copy is installed (`python -m wizard` otherwise finds the current folder's)."""
    paths = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths), **extra}


def _interleaved(
    commands: dict[str, list[str]], env: dict[str, str], runs: int
) -> dict[str, list[float]]:
    """Each command `runs` times, taking turns: the first of each round rotates and every
    other round runs backwards, so that none always runs first or after the same one."""
    names = list(commands)
    times: dict[str, list[float]] = {name: [] for name in names}
    for i in range(runs):
        order = names[i % len(names) :] + names[: i % len(names)]
        for name in reversed(order) if i % 2 else order:
            times[name].append(_timed(commands[name], env))
    return times


def _spread(values: list[float]) -> str:
    return (
        f"median {statistics.median(values) * 1000:.0f} ms (range {min(values) * 1000:.0f}-"
        f"{max(values) * 1000:.0f})"
    )


def _fill_history(home: Path, rows: int) -> Path:
    import sqlite3

    from wizard.store.history import History

    data = home / "data"
    history = History(data / "history.sqlite3", data / "history-fallback.jsonl")
    history.record_grant(
        profile="p", region="us", account_id="acct", integration_id="int", grant_id="g"
    )
    with sqlite3.connect(data / "history.sqlite3") as conn:
        conn.executemany(
            "INSERT INTO grants (created_at, profile, region, account_id, integration_id, "
            "grant_id, email, grant_status, verified, operator, api, customer, practice) "
            "VALUES (?, 'p', 'us', ?, 'int', ?, ?, 'valid', 1, 'op', 'v3', ?, 0)",
            [
                (
                    f"2026-12-{1 + n % 28:02d}T{n % 24:02d}:00:00.{n % 1000000:06d}+00:00",
                    f"acct-{n}",
                    f"grant-{n}",
                    f"u{n}@example.com",
                    f"Customer {n}",
                )
                for n in range(rows - 1)
            ],
        )
    return data / "history.sqlite3"


SQLITE_CSV = "SELECT * FROM grants ORDER BY created_at DESC"


def bench_history_cli(plan: Plan) -> list[Row]:
    rows: list[Row] = []
    for count in plan.history_rows:
        home = Path(tempfile.mkdtemp(prefix="zoom-onboard-bench-history-"))
        db = _fill_history(home, count)
        commands = {
            "ours": [sys.executable, "-m", "wizard", "history"],
            "sqlite3": ["sqlite3", "-csv", str(db), SQLITE_CSV],
            # the floor under ours: the interpreter starting and stopping
            "python": [sys.executable, "-c", "pass"],
        }
        times = _interleaved(commands, _cli_env(ZOOM_ONBOARD_HOME=str(home)), plan.cli_runs)
        progress(f"history command at {count:,} rows")
        ours, base = times["ours"], times["sqlite3"]
        ratio = statistics.median(ours) / statistics.median(base)
        rows.append(
            Row(
                "8",
                f"`zoom-onboard history` (table) of {count:,} grants, runs: {plan.cli_runs}",
                _spread(ours),
                f"`sqlite3 -csv` of the same table: {_spread(base)}; the interpreter alone "
                f"(`python -c pass`): {_spread(times['python'])}",
                f"ratio {ratio:.2f} {'✓' if ratio <= 1.5 else '✗'}",
                "ratio ≤ 1.5",
            )
        )
    return rows


def bench_headless(plan: Plan) -> Row:
    home = tempfile.mkdtemp(prefix="zoom-onboard-bench-headless-")
    commands = {
        "ours": [sys.executable, "-m", "wizard", "--self-test"],
        "httpx": [sys.executable, "-c", "import httpx"],
    }
    times = _interleaved(commands, _cli_env(ZOOM_ONBOARD_HOME=home), plan.cli_runs)
    progress("headless self-test")
    ours, base = times["ours"], times["httpx"]
    ratio = statistics.median(ours) / statistics.median(base)
    return Row(
        "9",
        f"Headless: `zoom-onboard --self-test` (both APIs, in-process sandbox, start to exit), "
        f"runs: {plan.cli_runs}",
        _spread(ours),
        f'`python -c "import httpx"`: {_spread(base)}',
        f"ratio {ratio:.2f} {'✓' if ratio <= 2 else '✗'}",
        "ratio ≤ 2",
    )


# ---- 6. the listener under load ----


def load_generator(
    port: int, idle: int, junk: int, idle_open: Any, halfway: Any, results: Any
) -> None:
    """In its own process: `idle` silent connections, then `junk` junk requests, 32 at a time."""

    async def main() -> None:
        sockets = []
        for _ in range(idle):
            with contextlib.suppress(OSError):
                sockets.append(await asyncio.open_connection("127.0.0.1", port))
        idle_open.set()
        sent = answered = refused = reset = timed_out = 0
        started = time.perf_counter()
        queue = list(range(junk))

        async def worker() -> None:
            nonlocal sent, answered, refused, reset, timed_out
            while queue:
                i = queue.pop()
                try:
                    async with asyncio.timeout(2):
                        reader, writer = await asyncio.open_connection("127.0.0.1", port)
                        writer.write(JUNK[i % len(JUNK)])
                        await writer.drain()
                        with contextlib.suppress(OSError):
                            writer.write_eof()
                        if await reader.read():
                            answered += 1
                        writer.close()
                except ConnectionRefusedError:
                    refused += 1  # the listener captured the callback and closed its port
                except TimeoutError:
                    timed_out += 1
                except OSError:
                    reset += 1  # in flight when the listener closed
                sent += 1
                if sent == junk // 2:
                    halfway.set()

        await asyncio.gather(*(worker() for _ in range(32)))
        elapsed = time.perf_counter() - started
        for _, writer in sockets:
            writer.close()
        results.put(
            {
                "idle": len(sockets),
                "sent": sent,
                "answered": answered,
                "refused": refused,
                "reset": reset,
                "timed_out": timed_out,
                "s": elapsed,
            }
        )

    asyncio.run(main())


def bench_load(plan: Plan) -> Row:
    context = multiprocessing.get_context("spawn")
    clean: list[int] = []
    loaded: list[int] = []
    stats: list[dict[str, Any]] = []
    for i in range(plan.load_runs):
        for under_load in (False, True) if i % 2 == 0 else (True, False):
            port = free_port()
            peer = OurPeer()
            peer.start(port)
            generator = None
            if under_load:
                idle_open, halfway, results = context.Event(), context.Event(), context.Queue()
                generator = context.Process(
                    target=load_generator,
                    args=(port, plan.idle, plan.junk, idle_open, halfway, results),
                    daemon=True,
                )
                generator.start()
                if not (idle_open.wait(BOUND * 2) and halfway.wait(BOUND * 2)):
                    raise RuntimeError("the load generator did not get going")
            started = time.perf_counter_ns()
            sender = threading.Thread(target=_send_quietly, args=(port, peer.callback()))
            sender.start()
            peer.capture.done.wait(BOUND)
            if not peer.capture.captured:
                raise RuntimeError(f"no capture under load={under_load}: {peer.capture.note}")
            (loaded if under_load else clean).append(peer.capture.at_ns - started)
            sender.join(BOUND)
            peer.stop()
            if generator is not None:
                with contextlib.suppress(Exception):
                    stats.append(results.get(timeout=BOUND * 4))
                generator.join(BOUND)
                if generator.is_alive():
                    generator.kill()
        progress(f"load {i + 1}/{plan.load_runs}")
    clean_ms, loaded_ms = median_ms(clean), median_ms(loaded)
    rate = statistics.median(s["sent"] / s["s"] for s in stats) if stats else 0.0
    sent = sum(s["sent"] for s in stats)
    answered = sum(s["answered"] for s in stats)
    refused = sum(s["refused"] for s in stats)
    reset = sum(s["reset"] for s in stats)
    timed_out = sum(s["timed_out"] for s in stats)
    idle_held = min((s["idle"] for s in stats), default=0)
    return Row(
        "6",
        f"Listener under load: callback captured while {plan.idle} idle connections are open "
        f"and {plan.junk:,} junk requests arrive (32 at a time, another process), "
        f"median of {plan.load_runs}",
        f"{loaded_ms:.1f} ms (p95 {percentile_ms(loaded, 95):.1f} ms); junk at {rate:,.0f} "
        f"req/s: of {sent:,}, {answered:,} answered, {refused:,} refused and {reset:,} reset "
        f"(after the capture the listener closes), {timed_out:,} timed out (2 s); "
        f"at least {idle_held} idle connections held open",
        f"clean callback, same run: {clean_ms:.1f} ms",
        f"{loaded_ms / clean_ms:.1f}× clean",
    )


# ---- 10. the Grants window ----


def bench_grants_window(plan: Plan) -> list[Row]:
    """The Grants window with the sandbox's practice grants, against a QTableView over a plain
    model of the same rows, alternated in one wizard process (bench/wizard_probe.py --grants)."""
    report = run_probe(
        "--grants", str(plan.grants), "--rounds", str(plan.grants_rounds), timeout=300
    )
    progress(f"the Grants window with {plan.grants:,} grants")
    ns = {
        key: [int(ms * 1e6) for ms in report[key]]
        for key in report
        if key.endswith("_ms") and isinstance(report[key], list)
    }
    where = (
        f"{qt_platform()}, in-process sandbox, {plan.grants:,} grants, runs: {plan.grants_rounds}"
    )
    return [
        Row(
            "10",
            f"Grants window: open to its first page painted ({where})",
            spread_ms(ns["ours_first_ms"]),
            f"QTableView over a plain model of the same rows: {spread_ms(ns['plain_first_ms'])}",
            f"ratio {median_ms(ns['ours_first_ms']) / median_ms(ns['plain_first_ms']):.1f}",
        ),
        Row(
            "10",
            f"Grants window: scrolled to the last grant, painted (pages of 200 read as the view "
            f"asks, from a sandbox serving on the same loop; {where})",
            spread_ms(ns["ours_end_ms"]),
            f"the plain table, every row already in: {spread_ms(ns['plain_end_ms'])}",
            f"longest 5 ms-timer gap while ours opened and scrolled: "
            f"{report['max_gap_ms']:.1f} ms (main thread busy {report['max_gap_cpu_ms']:.1f} ms "
            f"of it) {'✓' if report['max_gap_ms'] < 50 else '✗'}",
            "gap < 50 ms",
        ),
    ]


# ---- main ----

GROUPS = ("launch", "callback", "peers", "probe", "load", "soak", "history", "headless", "grants")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="few repetitions: a smoke run")
    parser.add_argument("--only", help=f"comma-separated groups of rows: {','.join(GROUPS)}")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    only = set(args.only.split(",")) if args.only else set(GROUPS)
    if only - set(GROUPS):
        parser.error(f"--only: unknown {', '.join(sorted(only - set(GROUPS)))}")
    sys.path.insert(0, str(ROOT))
    bytecode_cached()
    started = time.monotonic()
    description = machine()
    rows: list[Row] = []
    launch: dict[str, Any] = {}
    if "launch" in only or "probe" in only:
        launch_rows, launch = bench_launch(plan, "offscreen")
        rows += launch_rows if "launch" in only else []
    if "launch" in only:
        with xvfb_display() as display:
            if display is None:
                progress("no Xvfb: no launch rows on a real X display")
            else:
                rows += bench_launch(plan, "xcb", display)[0]
    if "callback" in only:
        rows.append(bench_callback(plan))
    if "peers" in only:
        rows += bench_peers(plan)
    if "probe" in only:
        rows += bench_probe(plan, launch)
    if "load" in only:
        rows.append(bench_load(plan))
    if "soak" in only:
        rows.append(bench_soak(plan))
    if "history" in only:
        rows += bench_history_cli(plan)
    if "headless" in only:
        rows.append(bench_headless(plan))
    if "grants" in only:
        rows += bench_grants_window(plan)
    load = os.getloadavg() if hasattr(os, "getloadavg") else None

    print(f"## Benchmarks ({'quick' if args.quick else 'full'} run)\n")
    print("\n".join(description))
    if load:
        print(f"- load average at end: {', '.join(f'{x:.2f}' for x in load)}")
    print(f"- total time: {time.monotonic() - started:.0f} s\n")
    print("| # | Measure | Ours | Baseline (same run) | Result | Goal |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r.number} | {r.measure} | {r.ours} | {r.baseline} | {r.result} | {r.goal} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
