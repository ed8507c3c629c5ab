"""`zoom-onboard onboard`: one customer account, headless."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from collections.abc import AsyncIterator
from typing import Any, TextIO

from wizard.cli.credentials import Credentials, read_credentials
from wizard.flow import (
    AuthUrlReady,
    BrowserSilent,
    CustomerAccount,
    FlowEvent,
    GrantCaptured,
    IntegrationReady,
    IntegrationSpec,
    OnboardingFlow,
    OnboardingResult,
    ZoomApp,
)
from wizard.flow.browser import no_browser, system_browser
from wizard.flow.explain import Explanation, Outcome, explain
from wizard.flow.inputs import DEFAULT_INTEGRATION_NAME, DEFAULT_REDIRECT_URI
from wizard.listener.redirect_uri import LoopbackRedirectUri
from wizard.logs import setup_logging
from wizard.nylas.client import NylasConnectClient
from wizard.nylas.models import DEFAULT_GRANT_LIFETIME
from wizard.nylas.regions import Region
from wizard.store.paths import AppPaths


class Reporter:
    """Prints flow events: JSON Lines for programs, plain lines for people."""

    def __init__(self, as_json: bool, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> None:
        self.as_json = as_json
        self.out = out
        self.err = err

    def emit(self, event: str, text: str, **fields: Any) -> None:
        if self.as_json:
            print(json.dumps({"event": event, **fields}), file=self.out, flush=True)
        else:
            print(text, file=self.out, flush=True)

    def on_event(self, event: FlowEvent) -> None:
        match event:
            case IntegrationReady(integration, action):
                self.emit(
                    "integration",
                    f"Integration {integration.name!r}: {action.describe()}",
                    action=action.value,
                    id=integration.id,
                    name=integration.name,
                    provider=integration.provider,
                    redirect_uris=integration.redirect_uris,
                )
            case AuthUrlReady(url, expires_at, auth_id):
                left = max(0, int(expires_at - time.time()))
                self.emit(
                    "auth_url",
                    f"Open this link in the browser where the customer signs in to Zoom "
                    f"(valid for {left // 60} min; use a private window if your own Zoom "
                    f"account is signed in):\n  {url}",
                    url=url,
                    expires_at=expires_at,
                    id=auth_id,
                )
            case BrowserSilent(url, waited):
                self.emit(
                    "browser_silent",
                    f"No browser has reached this computer after {waited:.0f} s. If no "
                    f"browser opened, open the link above by hand.",
                    url=url,
                )
            case GrantCaptured(grant_id):
                self.emit(
                    "grant_captured",
                    f"Grant received: {grant_id} (verifying...)",
                    grant_id=grant_id,
                )
            case _:
                pass

    def result(self, result: OnboardingResult) -> None:
        if result.verified:
            text = (
                f"Done. grant_id {result.grant_id} for Zoom user {result.email} "
                f"(status {result.grant_status})."
            )
        else:
            text = f"Done. grant_id {result.grant_id}, NOT verified: {result.verification_note}"
        self.emit(
            "grant",
            text,
            grant_id=result.grant_id,
            provider=result.provider,
            email=result.email,
            grant_status=result.grant_status,
            verified=result.verified,
            account_id=result.account_id,
            note=result.verification_note,
        )

    def error(self, explanation: Explanation) -> None:
        if self.as_json:
            self.emit(
                "error",
                "",
                type=explanation.type,
                message=explanation.text(),
                exit_code=int(explanation.outcome),
            )
        else:
            print(f"Error: {explanation.text()}", file=self.err, flush=True)


def run_onboard(args: argparse.Namespace) -> int:
    reporter = Reporter(args.json)
    setup_logging(AppPaths.default().log_file, verbose=args.verbose, console=True)
    try:
        return asyncio.run(_run(args, reporter))
    except Exception as exc:  # every failure ends as a message and an exit code
        explanation = explain(exc)
        reporter.error(explanation)
        return int(explanation.outcome)
    except KeyboardInterrupt:
        reporter.error(Explanation("cancelled", "Cancelled.", "", Outcome.TIMEOUT))
        return int(Outcome.TIMEOUT)


async def _run(args: argparse.Namespace, reporter: Reporter) -> int:
    # Validate everything the operator typed before touching the network.
    redirect_uri = LoopbackRedirectUri.parse(args.redirect_uri or DEFAULT_REDIRECT_URI)
    account = CustomerAccount(
        args.account_id, login_hint=args.login_hint, expires_in=args.expires_in
    )
    async with _api(args) as (base_url, creds):
        spec = IntegrationSpec(
            zoom=ZoomApp(creds.zoom_client_id, creds.zoom_client_secret),
            redirect_uri=redirect_uri,
            name=args.integration_name or DEFAULT_INTEGRATION_NAME,
            expires_in=DEFAULT_GRANT_LIFETIME,
        )
        async with NylasConnectClient(
            base_url, creds.nylas_client_id, creds.nylas_client_secret
        ) as client:
            flow = OnboardingFlow(
                client,
                no_browser if args.no_browser else system_browser,
                on_event=reporter.on_event,
            )
            result = await flow.run(spec, account, timeout=args.timeout)
    reporter.result(result)
    return int(Outcome.OK)


@contextlib.asynccontextmanager
async def _api(args: argparse.Namespace) -> AsyncIterator[tuple[str, Credentials]]:
    """The API base URL and credentials; with --sandbox, a sandbox running in this process."""
    if getattr(args, "sandbox", False):
        from wizard.sandbox import SandboxServer

        async with SandboxServer() as sandbox:
            demo = sandbox.credentials
            creds = read_credentials(
                fallback={
                    "NYLAS_CLIENT_ID": demo.nylas_client_id,
                    "NYLAS_CLIENT_SECRET": demo.nylas_client_secret,
                    "ZOOM_CLIENT_ID": demo.zoom_client_id,
                    "ZOOM_CLIENT_SECRET": demo.zoom_client_secret,
                },
                interactive=False,
            )
            yield sandbox.url, creds
        return
    base_url = args.api_url or Region(args.region or "us").base_url
    yield base_url, read_credentials()
