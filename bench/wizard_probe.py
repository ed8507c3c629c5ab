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
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("ZOOM_ONBOARD_HOME", tempfile.mkdtemp(prefix="zoom-onboard-bench-"))

from PySide6.QtCore import QAbstractTableModel, QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QTableView

from wizard.log_files import newest_log
from wizard.logs import setup_logging
from wizard.sandbox.consent_bot import ConsentBot
from wizard.store.paths import AppPaths
from wizard.ui import event_loop
from wizard.ui.app import app, create_wizard, load_the_rest
from wizard.ui.grants_model import GrantsModel
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


Tick = tuple[int, int, int]  # wall, main-thread CPU, process CPU (ns)


def ticking() -> tuple[QTimer, list[Tick]]:
    """A 5 ms timer (not started) and the list its ticks go to. A long gap with little CPU is
    the OS not scheduling this process (a busy machine); with the main thread's CPU to match,
    work blocking the loop; with the process's only, another thread holding the GIL."""
    ticks: list[Tick] = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(
        lambda: ticks.append(
            (time.perf_counter_ns(), time.thread_time_ns(), time.process_time_ns())
        )
    )
    return timer, ticks


async def flow(api: str, accounts: int) -> dict[str, object]:
    timer, ticks = ticking()
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
        (
            (b[0] - a[0], b[1] - a[1], a[0], b[0], b[2] - a[2])
            for a, b in itertools.pairwise(during)
        ),
        reverse=True,
    )
    return {
        "api": api,
        "verified": True,
        "flow_ms": (finished - started) / 1e6,
        "ticks": len(during),
        "max_gap_ms": gaps[0][0] / 1e6 if gaps else None,
        "max_gap_cpu_ms": gaps[0][1] / 1e6 if gaps else None,
        # every thread's CPU in it: more than the main thread's is another thread holding the GIL
        "max_gap_process_cpu_ms": gaps[0][4] / 1e6 if gaps else None,
        "max_gap_step": steps_between(gaps[0][2], gaps[0][3]) if gaps else None,
        "top_gaps": [
            (round(g / 1e6, 1), round(c / 1e6, 1), round(p / 1e6, 1), steps_between(a, b))
            for g, c, a, b, p in gaps[:5]
        ],
        "maxrss_kib": max_rss_kib(),
        **soak,
    }


class FirstPaint(QObject):
    """The first Paint of a view's viewport with rows in its model, after `arm()`: what the
    operator sees. A filter on that one viewport, the same for both tables."""

    def __init__(self, table: QTableView) -> None:
        super().__init__(table)
        self.table = table
        self.at: int | None = None
        table.viewport().installEventFilter(self)

    def arm(self) -> None:
        self.at = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        model = self.table.model()
        if self.at is None and event.type() == QEvent.Type.Paint and model.rowCount() > 0:
            self.at = time.perf_counter_ns()
        return False


class PlainModel(QAbstractTableModel):
    """The baseline: the same rows as plain strings, all in memory, nothing fetched."""

    def __init__(self, rows: list[tuple[str, ...]], headers: tuple[str, ...]) -> None:
        super().__init__()
        self.rows, self.headers = rows, headers

    def rowCount(self, parent: Any = None) -> int:
        return len(self.rows)

    def columnCount(self, parent: Any = None) -> int:
        return len(self.headers)

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return self.rows[index.row()][index.column()]

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None


async def painted(paint: FirstPaint, what: str) -> int:
    await until(lambda: paint.at is not None, what)
    assert paint.at is not None
    return paint.at


async def to_the_end(table: QTableView, paint: FirstPaint, what: str) -> int:
    """Scroll to the last row and wait for it to be painted (when the view already stands
    there, the rows inserted below it are painted by asking, as a scroll would)."""
    bar = table.verticalScrollBar()
    paint.arm()
    if bar.value() == bar.maximum() and table.rowAt(table.viewport().height() - 1) in (
        -1,
        table.model().rowCount() - 1,
    ):
        table.viewport().update()
    table.scrollToBottom()
    return await painted(paint, what)


async def next_page(model: GrantsModel) -> None:
    """Until the page being read arrives (or fails)."""
    arrived: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def done(*_: object) -> None:
        if not arrived.done():
            arrived.set_result(None)

    model.loaded.connect(done)
    model.failed.connect(done)
    try:
        await asyncio.wait_for(arrived, STEP_TIMEOUT)
    finally:
        model.loaded.disconnect(done)
        model.failed.disconnect(done)


async def open_ours(wizard: OnboardingWizard, count: int) -> tuple[int, int, int]:
    """The Grants window from the wizard's button: to its first page painted, then scrolled
    to the last of `count` grants (read a page at a time as the view asks) and painted."""
    step("grants: open the window")
    started = time.perf_counter_ns()
    window = wizard.show_grants()
    paint = FirstPaint(window.table)
    first = await painted(paint, "the Grants window's first page")
    step("grants: scroll to the end")
    scrolling = time.perf_counter_ns()
    model, table = window.model, window.table
    while not model.complete:  # the view fetches the next page when it reaches the bottom
        table.scrollToBottom()
        if not model.busy:  # already at the bottom: the scroll bar did not move
            model.fetchMore()
        await next_page(model)
    if len(model.rows) != count:
        raise RuntimeError(f"the Grants window listed {len(model.rows)} of {count} grants")
    end = await to_the_end(table, paint, "the Grants window's last grants")
    table.viewport().removeEventFilter(paint)
    window.close()
    wizard.grants_window = None  # the next round opens a new one, as the first did
    window.deleteLater()
    return first - started, end - scrolling, scrolling - started


async def open_plain(rows: list[tuple[str, ...]], headers: tuple[str, ...]) -> tuple[int, int]:
    """The baseline: a QTableView over a plain model of the same rows, shown, then scrolled to
    the end."""
    started = time.perf_counter_ns()
    table = QTableView()
    table.setModel(PlainModel(rows, headers))
    table.resize(1100, 480)
    paint = FirstPaint(table)
    table.show()
    first = await painted(paint, "the plain table's first rows")
    scrolling = time.perf_counter_ns()
    end = await to_the_end(table, paint, "the plain table's last rows")
    table.viewport().removeEventFilter(paint)
    table.close()
    table.deleteLater()
    return first - started, end - scrolling


async def baseline_rows(wizard: OnboardingWizard, count: int) -> list[tuple[str, ...]]:
    """Every row as the Grants window shows it (read once through its own model, untimed)."""
    from wizard.store.grant_listing import cells

    window = wizard.show_grants()  # also imports the window's modules before any timing
    model = window.model
    await until(lambda: model.pages_read > 0, "the first page, for the baseline")
    while not model.complete:
        model.fetchMore()
        await next_page(model)
    rows = [cells(grant, model.clock) for grant in model.rows]
    if len(rows) != count:
        raise RuntimeError(f"read {len(rows)} of {count} grants for the baseline")
    window.close()
    wizard.grants_window = None
    window.deleteLater()
    return rows


async def grants(count: int, rounds: int) -> dict[str, object]:
    """The Grants window with `count` sandbox grants against a plain table of the same rows,
    alternated (ABBA), with the longest 5 ms-timer gap while ours opens and scrolls."""
    from wizard.sandbox import SandboxOptions, SandboxServer
    from wizard.store.grant_listing import HEADERS

    wizard = create_wizard(ConsentBot("allow"), sandbox=False, api="v3")
    await load_the_rest()  # as after a launch: the core is in (and frozen) before the data
    await wizard.session.loaded()
    sandbox = SandboxServer(SandboxOptions(seed_grants=count, seed_invalid=count // 100))
    await sandbox.start()
    wizard.session.sandbox = sandbox  # the connection page starts this one, not its 12 grants
    wizard.connection_page.select_region("sandbox")
    wizard.show()
    page = wizard.connection_page
    await until(lambda: page.api_url.text().startswith("http://127.0.0.1"), "sandbox used")
    await until(page.isComplete, "connection checked")
    timer, ticks = ticking()
    ours: list[tuple[int, int, int]] = []
    plain: list[tuple[int, int]] = []
    spans: list[tuple[int, int]] = []
    rows = await baseline_rows(wizard, count)
    for i in range(rounds):
        for side in ("ours", "plain") if i % 2 == 0 else ("plain", "ours"):
            if side == "ours":
                timer.start()
                began = time.perf_counter_ns()
                ours.append(await open_ours(wizard, count))
                spans.append((began, time.perf_counter_ns()))
                timer.stop()
            else:
                plain.append(await open_plain(rows, HEADERS))
    wizard.close()
    await wizard.session.aclose()
    gaps = [
        (b[0] - a[0], b[1] - a[1], b[2] - a[2], a[0], b[0])
        for start, end in spans
        for a, b in itertools.pairwise(t for t in ticks if start <= t[0] <= end)
    ]
    worst = max(gaps, default=(0, 0, 0, 0, 0))
    top = sorted(gaps, reverse=True)[:5]
    return {
        "grants": count,
        "rows_listed": len(rows),
        "ours_first_ms": [x[0] / 1e6 for x in ours],
        "ours_end_ms": [x[1] / 1e6 for x in ours],
        "plain_first_ms": [x[0] / 1e6 for x in plain],
        "plain_end_ms": [x[1] / 1e6 for x in plain],
        "max_gap_ms": worst[0] / 1e6,
        "max_gap_cpu_ms": worst[1] / 1e6,
        "max_gap_process_cpu_ms": worst[2] / 1e6,  # every thread: the GIL's other holders
        "max_gap_step": steps_between(worst[3], worst[4]),
        "top_gaps": [
            (round(g / 1e6, 1), round(c / 1e6, 1), round(p / 1e6, 1), steps_between(a, b))
            for g, c, p, a, b in top
        ],
        "maxrss_kib": max_rss_kib(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--api", choices=("v3", "connect"), default="v3")
    parser.add_argument("--accounts", type=int, default=1, help="accounts in one window (soak)")
    parser.add_argument("--grants", type=int, default=0, help="the Grants window with N grants")
    parser.add_argument("--rounds", type=int, default=3, help="with --grants: rounds of each")
    args = parser.parse_args(argv)
    log_file = AppPaths.default().log_file
    setup_logging(log_file)  # as the app does: a failure's traceback is in it
    app().setQuitOnLastWindowClosed(False)
    try:
        if args.grants:
            report = event_loop.run(grants(args.grants, args.rounds))
        else:
            report = event_loop.run(flow(args.api, max(1, args.accounts)))
    except TimeoutError:
        written = newest_log(log_file)  # one file per day
        if written.is_file():
            print(f"--- the wizard's log ({written}) ---", file=sys.stderr)
            print(written.read_text(encoding="utf-8")[-4000:], file=sys.stderr)
        raise
    print(json.dumps(report), flush=True)
    return 0 if report.get("verified", True) else 1


if __name__ == "__main__":
    raise SystemExit(main())
