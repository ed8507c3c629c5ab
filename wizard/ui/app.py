"""Starting the wizard: QApplication, the qasync loop, logging, the crash handler."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QIcon, QWindow
from PySide6.QtWidgets import QApplication, QWizard

from wizard import __version__, memory
from wizard.logs import setup_logging
from wizard.store.paths import AppPaths
from wizard.ui import core, crash, event_loop, loader
from wizard.ui.ending import Ending
from wizard.ui.opener import desktop_browser
from wizard.ui.session import WizardSession
from wizard.ui.wizard import OnboardingWizard

if TYPE_CHECKING:
    from wizard.flow.onboarding import BrowserOpener

log = logging.getLogger(__name__)

BENCH_SHOWN_ENV = "ZOOM_ONBOARD_BENCH_SHOWN"
LOADING_SWITCH_INTERVAL = 0.0005  # seconds (sys.setswitchinterval) while the core loads


def create_wizard(
    opener: BrowserOpener = desktop_browser,
    *,
    sandbox: bool = False,
    browser_grace: float = 20.0,
    api: str | None = None,
) -> OnboardingWizard:
    """The window with its session; `sandbox` preselects the offline sandbox, `api` the Nylas
    API (default v3). After `browser_grace` seconds with no browser at the listener, the
    consent page says so."""
    session = WizardSession(opener, browser_grace=browser_grace)
    wizard = OnboardingWizard(session)
    if api is not None:
        wizard.connection_page.select_api(api)
    if sandbox:
        wizard.connection_page.select_region("sandbox")
    return wizard


def app() -> QApplication:
    """The one QApplication (created on first use): a widgets application, never a bare core."""
    existing = QApplication.instance()
    if existing is None:
        return QApplication(sys.argv)
    assert isinstance(existing, QApplication)
    return existing


def app_icon() -> QIcon:
    """resources/zoom-onboard.svg: beside the package in a checkout, at the top of a PyInstaller
    bundle (sys._MEIPASS); else the desktop theme's icon of that name (an installed .desktop)."""
    bundle = getattr(sys, "_MEIPASS", None)
    root = Path(bundle) if bundle else Path(__file__).resolve().parents[2]
    svg = root / "resources" / "zoom-onboard.svg"
    return QIcon(str(svg)) if svg.is_file() else QIcon.fromTheme("zoom-onboard")


class BenchMarks(QObject):
    """For bench/run.py (ZOOM_ONBOARD_BENCH_SHOWN=1): print time.perf_counter_ns() (the
    system's monotonic clock) at the window's first Expose ("shown"), then when its first page
    is usable ("usable": `ready()` and the window's focus in a field of that page), then close
    the window. It watches only the window's own QWindow and the focusChanged signal: a Python
    filter on the whole application runs for every event and slowed show() itself.
    bench/bare_qwizard.py marks its baseline the same way."""

    def __init__(self, window: QWizard, ready: Callable[[], bool]) -> None:
        super().__init__(window)
        self._window = window
        self._ready = ready
        self._shown = self._usable = False
        window.create()  # its QWindow now, so its first Expose can be watched
        handle = window.windowHandle()
        assert handle is not None
        handle.installEventFilter(self)
        app().focusChanged.connect(self.check)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            not self._shown
            and event.type() == QEvent.Type.Expose
            and isinstance(watched, QWindow)
            and watched.isExposed()
        ):
            self._shown = True
            print(f"shown perf_counter_ns={time.perf_counter_ns()}", flush=True)
            self.check()
        return False

    def check(self, *_: object) -> None:
        focus = self._window.focusWidget()  # active or not: Xvfb has no window manager
        page = self._window.currentPage()
        if (
            self._shown
            and not self._usable
            and self._ready()
            and focus is not None
            and page is not None
            and page.isAncestorOf(focus)
        ):
            self._usable = True
            print(f"usable perf_counter_ns={time.perf_counter_ns()}", flush=True)
            QTimer.singleShot(0, self._window, self._window.close)


def _bench_marks(wizard: OnboardingWizard) -> None:
    """Usable once the profile bar's first task (listing the profiles) has ended and its
    result is in the list: the task says it has ended just before its result is handed on."""
    loads = wizard.connection_page.profile_bar.task
    finished: list[bool] = []
    marks = BenchMarks(wizard, lambda: bool(finished))

    def listed() -> None:
        finished.append(True)
        marks.check()

    def changed(running: bool) -> None:
        if not running and not finished:
            QTimer.singleShot(0, marks, listed)

    loads.runningChanged.connect(changed)


def load_the_rest() -> asyncio.Future[None]:
    """Once the window is up: the rest of the app loads off the Qt thread before anyone clicks,
    one module a job (the profile bar's jobs go first: loader.first_on_loader); then what
    start-up made is kept out of the collector's sight (wizard/memory.py)."""
    loader.once(core.preload_profiles)  # what the first page lists, before all the rest
    for step in core.preload_steps():
        loader.submit(step)
    preload = asyncio.wrap_future(loader.submit(core.preload))
    # While the loader imports (about 300 ms of Python holding the GIL), the Qt thread gets it
    # back within 0.5 ms instead of 5: the first page lists its profiles ~50 ms sooner.
    switch = sys.getswitchinterval()
    sys.setswitchinterval(LOADING_SWITCH_INTERVAL)

    def loaded(_: object) -> None:
        sys.setswitchinterval(switch)
        memory.freeze()

    preload.add_done_callback(loaded)
    return preload


async def _run(args: argparse.Namespace) -> int:
    loop = asyncio.get_running_loop()
    crash.install(loop)
    wizard = create_wizard(sandbox=args.sandbox)
    closed = asyncio.Event()
    wizard.finished.connect(lambda _code: closed.set())
    if os.environ.get(BENCH_SHOWN_ENV) == "1":
        _bench_marks(wizard)
    # Quit (Cmd+Q, Dock, logout, a Windows session end) and Ctrl+C close the window; only
    # this coroutine ends the loop, after the session is closed.
    ending = Ending(wizard, loop)
    try:
        wizard.show()
        preload = load_the_rest()
        await closed.wait()
        await preload
    finally:
        ending.remove()
        await wizard.session.aclose()
    return 0


def run_app(args: argparse.Namespace) -> int:
    setup_logging(AppPaths.default().log_file, verbose=args.verbose)
    application = app()
    application.setApplicationName("Zoom onboarding")
    application.setApplicationVersion(__version__)
    application.setDesktopFileName("zoom-onboard")
    icon = app_icon()
    application.setWindowIcon(icon)
    log.debug("window icon %s", "not found" if icon.pixmap(32, 32).isNull() else "loaded")
    # The loop ends when the wizard closes and the session is tidied up, not before.
    application.setQuitOnLastWindowClosed(False)
    crash.install()
    code = int(event_loop.run(_run(args)))
    if os.environ.get(BENCH_SHOWN_ENV) == "1":  # this process's own peak, for bench/run.py
        import resource  # Unix only, as the bench

        print(f"maxrss_kib={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", flush=True)
    return code
