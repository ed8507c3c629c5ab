"""What today's newest dependencies would break: the suite on an install without the lock.

    python bench/drift.py                      # the fast tests on today's newest versions
    python bench/drift.py --all                # every test (Chromium, the bundle, ...)
    python bench/drift.py --python python3.13  # another interpreter

CI and releases install packaging/requirements.lock, so a new release of a dependency never
turns them red by itself (anyio 4.16 dropping sniffio did, before the lock). This script is the
early warning, run by hand or on a schedule, never as CI's gate: it makes a throwaway virtual
environment, installs the project with every dependency at the newest version pyproject.toml
allows, prints each version that differs from the lock, runs the tests, and exits 1 when any
failed. A red run says what to fix before `packaging/lock.sh --upgrade` moves the lock.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "packaging" / "requirements.lock"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
FAST = ["-m", "not slow and not browser"]


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_versions(lock: Path = LOCK) -> dict[str, set[str]]:
    """Name -> the versions the lock pins (one per marker branch, usually one)."""
    pins: dict[str, set[str]] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            pins.setdefault(canonical(match[1]), set()).add(match[2])
    return pins


def drift(installed: dict[str, str], locked: dict[str, set[str]]) -> list[tuple[str, str, str]]:
    """(name, locked, newest) for each package whose version differs from the lock's."""
    rows = []
    for name, version in sorted(installed.items()):
        pins = locked.get(name)
        if name == "zoom-onboard" or (pins is not None and version in pins):
            continue
        rows.append((name, " or ".join(sorted(pins)) if pins else "(not locked)", version))
    return rows


def run(
    command: list[str], *, capture: bool = False, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    print("$", " ".join(command), file=sys.stderr, flush=True)
    return subprocess.run(command, text=True, check=False, capture_output=capture, cwd=cwd)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=sys.executable, help="the interpreter to try")
    parser.add_argument("--all", action="store_true", help="run every test, not the fast ones")
    parser.add_argument("pytest_args", nargs="*", help="more arguments for pytest")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="zoom-onboard-drift-") as scratch:
        env_dir = Path(scratch) / "venv"
        if args.python == sys.executable:
            venv.create(env_dir, with_pip=True)
        elif run([args.python, "-m", "venv", str(env_dir)]).returncode:
            return 2
        python = str(env_dir / ("Scripts" if sys.platform == "win32" else "bin") / "python")
        install = [python, "-m", "pip", "install", "-q", "--upgrade", "--upgrade-strategy"]
        if (
            run([*install, "eager", "pip"]).returncode
            or run([*install, "eager", "-e", f"{ROOT}[test,bench,package]"]).returncode
        ):
            print("drift: today's newest versions do not even install together", file=sys.stderr)
            return 1
        listed = run([python, "-m", "pip", "list", "--format", "json"], capture=True)
        installed = {canonical(p["name"]): p["version"] for p in json.loads(listed.stdout)}
        moved = drift(installed, locked_versions())
        print(f"## Newest versions against {LOCK.relative_to(ROOT)}\n")
        print("| package | locked | newest |\n|---|---|---|")
        for name, locked, newest in moved:
            print(f"| {name} | {locked} | {newest} |")
        if not moved:
            print("| (none moved) | | |")
        tests = run(
            [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfE"]
            + ([] if args.all else FAST)
            + args.pytest_args,
            cwd=ROOT,
            capture=True,
        )
        lines = tests.stdout.splitlines()
        summary = [line for line in lines if line.startswith(("FAILED", "ERROR"))]
        print(f"\n## Tests on the newest versions: exit {tests.returncode}\n")
        print("\n".join(summary) or (lines[-1] if lines else tests.stderr[-2000:]))
        return 0 if tests.returncode == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
