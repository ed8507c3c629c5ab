"""`zoom-onboard onboard`: one customer account, headless."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from typing import Any, TextIO

from wizard.cli.credentials import Credentials, read_credentials
from wizard.defaults import DEFAULT_GRANT_LIFETIME, DEFAULT_INTEGRATION_NAME, DEFAULT_REDIRECT_URI
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
from wizard.flow.explain import Explanation, explain
from wizard.listener.redirect_uri import LoopbackRedirectUri
from wizard.logs import setup_logging
from wizard.nylas.client import NylasConnectClient
from wizard.nylas.regions import Region
from wizard.outcome import Outcome
from wizard.store.history import History, HistoryRecorder
from wizard.store.paths import AppPaths
from wizard.store.profiles import Profile, ProfileStore
from wizard.store.secrets import SecretStore


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
            case AuthUrlReady(url, expires_at, auth_id, launch_url):
                left = max(0, int(expires_at - time.time()))
                self.emit(
                    "auth_url",
                    f"Sign-in link (valid for {left // 60} min; it works only in a browser on "
                    "this computer; use a private window if your own Zoom account is signed "
                    f"in):\n  {url}",
                    url=url,
                    expires_at=expires_at,
                    id=auth_id,
                    launch_url=launch_url,
                )
            case BrowserSilent(url, waited):
                self.emit(
                    "browser_silent",
                    f"No browser has opened the link after {waited:.0f} s. If none "
                    "started, open the link above in a browser on this computer.",
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

    def warning(self, message: str) -> None:
        if self.as_json:
            self.emit("warning", "", message=message)
        else:
            print(f"Warning: {message}", file=self.err, flush=True)

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
    paths = AppPaths.default()
    profile = _profile(args, paths)
    # Validate everything the operator typed before touching the network.
    redirect_uri = LoopbackRedirectUri.parse(
        args.redirect_uri or (profile.redirect_uri if profile else DEFAULT_REDIRECT_URI)
    )
    account = CustomerAccount(
        args.account_id, login_hint=args.login_hint, expires_in=args.expires_in
    )
    history = History(paths.history_db, paths.history_fallback)
    async with _api(args, profile) as (region, base_url, creds):
        spec = IntegrationSpec(
            zoom=ZoomApp(creds.zoom_client_id, creds.zoom_client_secret),
            redirect_uri=redirect_uri,
            name=args.integration_name
            or (profile.integration_name if profile else DEFAULT_INTEGRATION_NAME),
            expires_in=profile.grant_lifetime if profile else DEFAULT_GRANT_LIFETIME,
        )
        async with NylasConnectClient(
            base_url, creds.nylas_client_id, creds.nylas_client_secret
        ) as client:
            flow = OnboardingFlow(
                client,
                no_browser if args.no_browser else system_browser,
                on_event=reporter.on_event,
            )
            outcome = await flow.ensure_integration(spec)
            recorder = HistoryRecorder(
                history,
                profile=profile.name if profile else "",
                region=region,
                integration_id=outcome.integration.id,
            )
            try:
                result = await flow.authorize(
                    account, redirect_uri, timeout=args.timeout, recorder=recorder
                )
            finally:
                for problem in history.problems:
                    reporter.warning(problem)
    reporter.result(result)
    return int(Outcome.OK)


def _profile(args: argparse.Namespace, paths: AppPaths) -> Profile | None:
    name = getattr(args, "profile", None)
    if not name:
        return None
    store = ProfileStore(paths.profiles_file)
    profile = store.get(name)  # ProfileError (a ValueError) names the saved ones
    store.set_last_used(profile.name)
    return profile


def _where(args: argparse.Namespace, profile: Profile | None) -> tuple[str, str | None]:
    """The region ("us", "eu", "sandbox", "custom") and, for custom, the API URL: flags win
    over the profile, which wins over the default (US)."""
    if getattr(args, "sandbox", False):
        return "sandbox", None
    if args.api_url:
        return "custom", args.api_url
    if args.region:
        return args.region, None
    if profile is not None:
        return profile.region, profile.api_url
    return "us", None


def _saved_values(profile: Profile | None) -> dict[str, str]:
    """The profile's ids, and from the keyring only the secrets the environment lacks (each
    keyring read may ask the desktop to unlock it)."""
    if profile is None:
        return {}
    values = {"NYLAS_CLIENT_ID": profile.nylas_client_id, "ZOOM_CLIENT_ID": profile.zoom_client_id}
    wanted = [
        (kind, name)
        for kind, name in (
            ("nylas_client_secret", "NYLAS_CLIENT_SECRET"),
            ("zoom_client_secret", "ZOOM_CLIENT_SECRET"),
        )
        if not os.environ.get(name, "").strip()
    ]
    secrets = SecretStore() if wanted else None
    for kind, name in wanted:
        assert secrets is not None
        secret = secrets.get(profile.name, kind)
        if secret is not None:
            values[name] = secret.get_secret_value()
    return values


@contextlib.asynccontextmanager
async def _api(
    args: argparse.Namespace, profile: Profile | None
) -> AsyncIterator[tuple[str, str, Credentials]]:
    """Region, API base URL and credentials; for the sandbox, one running in this process."""
    region, api_url = _where(args, profile)
    if region == "sandbox":
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
            yield region, sandbox.url, creds
        return
    base_url = api_url if region == "custom" and api_url else Region(region).base_url
    # The keyring may block (D-Bus): read it off the event loop.
    saved = await asyncio.to_thread(_saved_values, profile)
    yield region, base_url, read_credentials(fallback=saved)
