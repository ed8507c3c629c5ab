"""Full wizard flows for bench/run.py, in their own process; prints one JSON line.

Offscreen (or whatever QT_QPA_PLATFORM says), in-process sandbox, ConsentBot as the browser:
connection (checked on its own in sandbox mode), Zoom app, integration, then one account after
another through "Onboard another account", as an operator's day goes. A 5 ms QTimer runs from the
first show to the first done page; the longest gap between its ticks says how long the event loop
was blocked. Peak RSS (ru_maxrss) is read at the end. With --accounts N (a soak), the process's
RSS, file descriptors, asyncio tasks, Python objects and the reference count of None are read
after the first account and after the last.

    QT_QPA_PLATFORM=offscreen python bench/wizard_probe.py [--api v3|connect] [--accounts 300]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import json
import os
import resource
import socket
import sys
import tempfile
import time
from collections.abc import Callable

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("ZOOM_ONBOARD_HOME", tempfile.mkdtemp(prefix="zoom-onboard-bench-"))

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel

from wizard.log_files import newest_log
from wizard.logs import setup_logging
from wizard.sandbox.consent_bot import ConsentBot
from wizard.store.paths import AppPaths
from wizard.ui import event_loop
from wizard.ui.app import app, create_wizard, load_the_rest
from wizard.ui.page_ids import PageId
from wizard.ui.wizard import OnboardingWizard

STEP_TIMEOUT = 20.0  # seconds per step: a stuck flow ends the probe, not the benchmark
SAMPLE_EVERY = 25  # accounts between RSS samples in a soak


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


STEPS: list[tuple[int, str]] = []  # (perf_counter_ns, step) as the probe moves on


def step(name: str) -> None:
    STEPS.append((time.perf_counter_ns(), name))


def step_at(t: int) -> str:
    names = [name for start, name in STEPS if start <= t]
    return names[-1] if names else "start"


def steps_between(start: int, end: int) -> str:
    """The step a gap fell in, or both when the probe moved on during it."""
    first, last = step_at(start), step_at(end)
    return first if first == last else f"{first} → {last}"


def on_screen() -> str:
    """What the operator would read: every visible label of every visible window."""
    texts = [
        label.text()
        for window in QApplication.topLevelWidgets()
        if window.isVisible()
        for label in window.findChildren(QLabel)
        if label.isVisible() and label.text()
    ]
    return " | ".join(texts)


async def until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + STEP_TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the wizard did not reach: {what}; it shows: {on_screen()}")
        await asyncio.sleep(0.005)


def max_rss_kib() -> int:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss // 1024 if sys.platform == "darwin" else rss  # bytes on macOS, KiB elsewhere


def rss_kib() -> int:
    """Resident memory now (Linux /proc); peak RSS elsewhere."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except OSError:
        return max_rss_kib()


def open_fds() -> int | None:
    for where in ("/proc/self/fd", "/dev/fd"):
        with contextlib.suppress(OSError):
            return len(os.listdir(where))
    return None


def resources() -> dict[str, int | None]:
    gc.collect()
    return {
        "rss_kib": rss_kib(),
        "fds": open_fds(),
        "tasks": len(asyncio.all_tasks()),
        "objects": len(gc.get_objects()) + gc.get_freeze_count(),  # frozen ones too
        "none_refs": sys.getrefcount(None),  # falls without end under a leaky PySide6 (3.11)
    }


async def one_account(wizard: OnboardingWizard, api: str, n: int) -> None:
    if api == "v3":
        await until(lambda: wizard.currentId() == PageId.ACCOUNT_V3, "the v3 account page")
        page = wizard.v3_account_page
        page.login_hint.setText(f"zoom.user{n}@example.com")  # a new Zoom user: a new grant
        page.customer.setText(f"Bench customer #{n}")
    else:
        await until(lambda: wizard.currentId() == PageId.ACCOUNT, "the account page")
        wizard.account_page.account_id.setText(f"acct-bench-{n}")
    step("authorize (browser leg, callback, verification)")
    wizard.next()
    await until(lambda: wizard.currentId() == PageId.DONE, f"done page (account {n})")
    result = wizard.session.result
    if not (result and result.verified):
        raise RuntimeError(f"account {n} ended without a verified grant")


async def flow(api: str, accounts: int) -> dict[str, object]:
    # (wall, main-thread CPU) per tick: a long gap with little CPU is the OS not scheduling
    # this process (a busy machine), one with CPU to match is work blocking the loop.
    ticks: list[tuple[int, int]] = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append((time.perf_counter_ns(), time.thread_time_ns())))
    step("create the window")
    bot = ConsentBot("allow")
    wizard = create_wizard(bot, sandbox=True, api=api)
    started = time.perf_counter_ns()
    timer.start()
    step("show, start the sandbox, check the connection")
    wizard.show()
    loaded = load_the_rest()  # as the app does

    page = wizard.connection_page
    await until(lambda: page.api_url.text().startswith("http://127.0.0.1"), "sandbox started")
    await until(page.isComplete, "connection checked")
    step("to the Zoom app page")
    wizard.next()
    wizard.zoom_app_page.port.setValue(free_port())
    await until(wizard.zoom_app_page.isComplete, "Zoom app page complete")
    step("plan and set up the integration")
    wizard.next()
    await until(wizard.integration_page.isComplete, "integration ready")
    step("to the account page")
    wizard.next()
    await one_account(wizard, api, 1)
    finished = time.perf_counter_ns()
    timer.stop()
    await loaded

    soak: dict[str, object] = {}
    if accounts > 1:
        first = resources()
        soak_started = time.perf_counter()
        samples: list[tuple[int, int | None]] = [(1, first["rss_kib"])]
        for n in range(2, accounts + 1):
            wizard.done_page.another.click()
            await one_account(wizard, api, n)
            if n % SAMPLE_EVERY == 0 or n == accounts:
                samples.append((n, rss_kib()))  # for the steady slope, past the warm-up
        soak_s = time.perf_counter() - soak_started
        last = resources()
        soak = {
            "accounts": accounts,
            "soak_s": soak_s,
            "after_first": first,
            "after_last": last,
            "rss_samples": samples,
            "browser_visits": bot.visit_count,
        }

    wizard.close()
    await wizard.session.aclose()
    during = [t for t in ticks if started <= t[0] <= finished]
    gaps = sorted(
        ((b[0] - a[0], b[1] - a[1], a[0], b[0]) for a, b in itertools.pairwise(during)),
        reverse=True,
    )
    return {
        "api": api,
        "verified": True,
        "flow_ms": (finished - started) / 1e6,
        "ticks": len(during),
        "max_gap_ms": gaps[0][0] / 1e6 if gaps else None,
        "max_gap_cpu_ms": gaps[0][1] / 1e6 if gaps else None,
        "max_gap_step": steps_between(gaps[0][2], gaps[0][3]) if gaps else None,
        "top_gaps": [
            (round(g / 1e6, 1), round(c / 1e6, 1), steps_between(a, b)) for g, c, a, b in gaps[:5]
        ],
        "maxrss_kib": max_rss_kib(),
        **soak,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--api", choices=("v3", "connect"), default="v3")
    parser.add_argument("--accounts", type=int, default=1, help="accounts in one window (soak)")
    args = parser.parse_args(argv)
    log_file = AppPaths.default().log_file
    setup_logging(log_file)  # as the app does: a failure's traceback is in it
    app().setQuitOnLastWindowClosed(False)
    try:
        report = event_loop.run(flow(args.api, max(1, args.accounts)))
    except TimeoutError:
        written = newest_log(log_file)  # one file per day
        if written.is_file():
            print(f"--- the wizard's log ({written}) ---", file=sys.stderr)
            print(written.read_text(encoding="utf-8")[-4000:], file=sys.stderr)
        raise
    print(json.dumps(report), flush=True)
    return 0 if report["verified"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
