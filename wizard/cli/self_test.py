"""`zoom-onboard --self-test`: one whole onboarding against the in-process sandbox, headless.

The browser leg is the scripted consent browser, so it needs no display and no browser: it is
what the packaged bundle's smoke test runs to prove the frozen app works.
"""

from __future__ import annotations

import argparse
import asyncio
import json

from pydantic import SecretStr

from wizard.flow import CustomerAccount, IntegrationSpec, ZoomApp
from wizard.flow.explain import explain
from wizard.flow.factory import NylasCredentials, open_flow
from wizard.listener.redirect_uri import LoopbackRedirectUri
from wizard.outcome import Outcome
from wizard.sandbox import SandboxServer
from wizard.sandbox.consent_bot import ConsentBot
from wizard.target import Api, Target


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
