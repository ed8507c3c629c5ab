"""Starting the wizard: first make sure there is a display, so nobody meets Qt's raw plugin
error."""

from __future__ import annotations

import argparse
import os
import sys

from wizard.outcome import Outcome


def display_problem(env: dict[str, str] | None = None, platform: str = sys.platform) -> str | None:
    env = dict(os.environ) if env is None else env
    if env.get("QT_QPA_PLATFORM"):
        return None  # chosen explicitly (offscreen, xcb under Xvfb, wayland...)
    if platform.startswith("linux") and not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        return (
            "No display: the wizard needs a desktop session. Run it under Xvfb "
            "(xvfb-run zoom-onboard --sandbox) or with QT_QPA_PLATFORM=offscreen, or use the "
            "headless command: zoom-onboard onboard --help"
        )
    return None


def run_gui(args: argparse.Namespace) -> int:
    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return int(Outcome.BAD_INPUT)
    from wizard.ui.app import run_app

    return run_app(args)
