"""Long fuzz run: the properties of tests/*/test_*_fuzz.py, random seed, 10,000+ cases each.

    python bench/fuzz.py                      # every fuzzer, 10,000 cases each
    python bench/fuzz.py --cases 500 --only client --seed 1234

Strategies and properties come from tests/helpers/fuzz.py (no copy). Each fuzzer runs on one
event loop (asyncio.Runner) with one target reused across cases, like anyio does in the tests.
Prints one markdown table: fuzzer, cases run, failures found, time, seed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `tests` as a package

from hypothesis import HealthCheck, given, seed as hypothesis_seed, settings
from hypothesis.strategies import SearchStrategy

from tests.helpers import fuzz as fz


@dataclass
class Report:
    name: str
    cases: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)


def _settings(cases: int) -> settings:
    return settings(
        max_examples=cases,
        derandomize=False,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=True,
        print_blob=True,
    )


def _failures(exc: BaseException) -> list[str]:
    """One line per distinct failure hypothesis reports, then its falsifying example."""
    inner = exc.exceptions if isinstance(exc, BaseExceptionGroup) else [exc]
    found = []
    for error in inner:
        last = traceback.extract_tb(error.__traceback__)[-1]
        text = str(error).splitlines()[0][:300] if str(error) else ""
        notes = "\n    ".join(getattr(error, "__notes__", []))
        found.append(
            f"{type(error).__name__} at {Path(last.filename).name}:{last.lineno}: {text}"
            + (f"\n    {notes[:4000]}" if notes else "")
        )
    return found


def run_sync(
    report: Report,
    cases: int,
    seed: int,
    strategies: dict[str, SearchStrategy[Any]],
    prop: Callable[..., str],
) -> Report:
    @hypothesis_seed(seed)
    @_settings(cases)
    @given(**strategies)
    def fuzz(**kwargs: Any) -> None:
        report.cases += 1
        report.outcomes[prop(**kwargs)] += 1

    started = time.perf_counter()
    try:
        fuzz()
    except Exception as exc:
        report.failures += _failures(exc)
    report.seconds = time.perf_counter() - started
    return report


def run_async(
    report: Report,
    cases: int,
    seed: int,
    make_target: Callable[[], Any],
    strategies: dict[str, SearchStrategy[Any]],
    prop: Callable[..., Coroutine[Any, Any, str]],
) -> Report:
    started = time.perf_counter()
    with asyncio.Runner() as runner:
        target = make_target()
        runner.run(target.start())

        @hypothesis_seed(seed)
        @_settings(cases)
        @given(**strategies)
        def fuzz(**kwargs: Any) -> None:
            report.cases += 1
            report.outcomes[runner.run(prop(target, **kwargs))] += 1

        try:
            fuzz()
        except Exception as exc:
            report.failures += _failures(exc)
        try:
            runner.run(target.finish())  # the genuine callback still works, ports are free
        except Exception as exc:
            report.failures += [f"after the run: {f}" for f in _failures(exc)]
    report.seconds = time.perf_counter() - started
    return report


def fuzz_callback(cases: int, seed: int) -> Report:
    def prop(built: tuple[str, list[fz.QueryPart] | None, str]) -> str:
        return fz.check_parse_callback(*built)

    return run_sync(Report("parse_callback"), cases, seed, {"built": fz.callback_queries()}, prop)


def fuzz_redirect_uri(cases: int, seed: int) -> Report:
    return run_sync(
        Report("LoopbackRedirectUri.parse"),
        cases,
        seed,
        {"text": fz.typed_redirect_uris()},
        fz.check_redirect_uri_parse,
    )


def fuzz_listener_requests(cases: int, seed: int, host: str = "127.0.0.1") -> Report:
    return run_async(
        Report(f"listener on {host}: requests"),
        cases,
        seed,
        lambda: fz.ListenerTarget(host),
        {"requests": fz.PIPELINES, "junk": fz.JUNK_TAILS},
        fz.check_request_pipeline,
    )


def fuzz_listener_localhost(cases: int, seed: int) -> Report:
    return fuzz_listener_requests(cases, seed, "localhost")


def fuzz_listener_raw(cases: int, seed: int) -> Report:
    async def prop(target: fz.ListenerTarget, raw: tuple[bytes, bytes, bytes]) -> str:
        return await fz.check_raw_bytes(target, *raw)

    return run_async(
        Report("listener: raw bytes"),
        cases,
        seed,
        fz.ListenerTarget,
        {"raw": fz.RAW_BYTES},
        prop,
    )


def fuzz_client(cases: int, seed: int) -> Report:
    async def prop(target: fz.ClientTarget, case: tuple[str, int, bytes]) -> str:
        return f"{case[0]}: {await fz.check_client_call(target, *case)}"

    return run_async(
        Report("API client"), cases, seed, fz.ClientTarget, {"case": fz.CLIENT_CASES}, prop
    )


FUZZERS = {
    "callback": fuzz_callback,
    "redirect-uri": fuzz_redirect_uri,
    "listener-requests": fuzz_listener_requests,
    "listener-localhost": fuzz_listener_localhost,
    "listener-raw": fuzz_listener_raw,
    "client": fuzz_client,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=10_000, help="examples per fuzzer")
    parser.add_argument("--only", choices=sorted(FUZZERS), action="append")
    parser.add_argument("--seed", type=int, default=None, help="default: a random one")
    parser.add_argument("--outcomes", action="store_true", help="also print outcome counts")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    reports = [FUZZERS[name](args.cases, seed) for name in (args.only or FUZZERS)]

    print(f"Fuzz run: {args.cases} cases per fuzzer, seed {seed} (rerun with --seed {seed})\n")
    print("| Fuzzer | Cases run | Failures found | Time |")
    print("|---|---:|---:|---:|")
    for r in reports:
        print(f"| {r.name} | {r.cases:,} | {len(r.failures)} | {r.seconds:.1f} s |")
    for r in reports:
        for failure in r.failures:
            print(f"\n{r.name}: {failure}")
        if args.outcomes:
            by_kind: Counter[str] = Counter()
            for outcome, count in r.outcomes.items():
                by_kind[outcome.rpartition(": ")[2]] += count  # "call: result" -> result
            shown = by_kind if len(by_kind) < len(r.outcomes) else r.outcomes
            print(f"\n{r.name} outcomes: " + ", ".join(f"{k} {v}" for k, v in shown.most_common()))
    return 1 if any(r.failures for r in reports) else 0


if __name__ == "__main__":
    raise SystemExit(main())
