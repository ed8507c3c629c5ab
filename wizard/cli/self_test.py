"""`zoom-onboard --self-test`: one whole onboarding against the in-process sandbox, headless.

The browser leg is the scripted consent browser, so it needs no display and no browser: it is
what the packaged bundle's smoke test runs to prove the frozen app works.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import json
import os
import sys
import threading
from collections.abc import Iterator
from typing import NoReturn


@contextlib.contextmanager
def _without_trio() -> Iterator[None]:
    """httpcore imports trio when it is installed, to tell trio from asyncio later: 40-90 ms of
    the self-test for a library it never runs on (the bundle leaves trio out, see
    packaging/zoom-onboard.spec). While httpcore loads, `import trio` fails as if it were not
    installed; after, trio imports as usual for anyone who wants it."""
    if "trio" in sys.modules:
        yield
        return
    sys.modules["trio"] = None  # type: ignore[assignment]  # None: "not installed"
    try:
        yield
    finally:
        if "trio" in sys.modules and sys.modules["trio"] is None:
            del sys.modules["trio"]


with _without_trio():
    import httpcore  # noqa: F401  (its async-library detection, see above)

from pydantic import SecretStr  # noqa: E402

from wizard.flow import CustomerAccount, IntegrationSpec, ZoomApp  # noqa: E402
from wizard.flow.factory import NylasCredentials, open_flow  # noqa: E402
from wizard.listener.redirect_uri import LoopbackRedirectUri  # noqa: E402
from wizard.outcome import Outcome  # noqa: E402
from wizard.sandbox import SandboxServer  # noqa: E402
from wizard.sandbox.consent_bot import ConsentBot  # noqa: E402
from wizard.target import Api, Target  # noqa: E402


async def self_test(api: Api) -> str:
    async with SandboxServer() as sandbox:
        creds = sandbox.credentials
        if api is Api.CONNECT:
            nylas = NylasCredentials(SecretStr(creds.nylas_client_secret), creds.nylas_client_id)
            account = CustomerAccount("self-test-account")
        else:
            nylas = NylasCredentials(SecretStr(creds.v3_api_key))
            account = CustomerAccount(customer="self-test")
        flow = open_flow(Target.of(api, "sandbox", sandbox.url), nylas, ConsentBot("allow"))
        try:
            spec = IntegrationSpec(
                zoom=ZoomApp(creds.zoom_client_id, SecretStr(creds.zoom_client_secret)),
                # Port 0 would not do: the redirect URI must be known before the listener binds.
                redirect_uri=LoopbackRedirectUri.parse(f"http://127.0.0.1:{_free_port()}/callback"),
            )
            result = await flow.run(spec, account, timeout=30)
        finally:
            await flow.aclose()
    if not result.verified:
        raise RuntimeError(f"grant {result.grant_id} was not verified: {result.verification_note}")
    return result.grant_id


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_self_test(args: argparse.Namespace) -> int:
    as_json = bool(getattr(args, "top_json", False))
    results: list[dict[str, object]] = []
    for api in (Api.V3, Api.CONNECT):
        try:
            grant_id = asyncio.run(self_test(api))
        except Exception as exc:
            from wizard.flow.explain import explain  # a failure's words: loaded when one comes

            words = explain(exc)
            results.append({"api": api.value, "ok": False, "error": words.text()})
            if not as_json:
                print(f"self-test FAILED ({api.label}): {words.text()}")
        else:
            results.append({"api": api.value, "ok": True, "grant_id": grant_id})
            if not as_json:
                print(
                    f"self-test OK ({api.label}): sandbox onboarding gave verified grant {grant_id}"
                )
    ok = all(r["ok"] for r in results)
    if as_json:
        print(json.dumps({"ok": ok, "results": results}))
    return int(Outcome.OK if ok else Outcome.FAILED)


def end_process(code: int) -> NoReturn:
    """Exit with `code` without the interpreter's teardown: freeing some 60,000 objects and 700
    modules took 60-110 ms after the result was printed, and wrote nothing. Called only when
    the self-test is the whole program, after run_self_test returned: its sandboxes, clients
    and listeners closed by their `async with` and aclose(), each event loop closed by
    asyncio.run with its default executor. What a normal exit does besides is done here: the
    exit handlers run (logging's flush and close among them) and standard output and error
    are flushed. A thread still running (none is expected) gets the normal exit instead,
    which waits for it."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # closed, or a broken pipe: as a normal exit
            stream.flush()
    if threading.active_count() > 1:
        sys.exit(code)
    os._exit(code)
