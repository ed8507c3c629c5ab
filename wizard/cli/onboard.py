"""`zoom-onboard onboard`: one customer account, headless."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from wizard.cli.credentials import Credentials, read_credentials
from wizard.cli.reporting import Reporter, run_command
from wizard.cli.where import api_of, chosen_profile, saved_values, where
from wizard.defaults import (
    DEFAULT_GRANT_LIFETIME,
    DEFAULT_INTEGRATION_NAME,
    DEFAULT_TIMEOUT,
)
from wizard.flow import (
    CustomerAccount,
    IntegrationSpec,
    ZoomApp,
)
from wizard.flow.browser import no_browser, system_browser
from wizard.flow.factory import NylasCredentials, Prepared, prepare, redirect_uri_for
from wizard.listener.redirect_uri import LoopbackRedirectUri
from wizard.outcome import Outcome
from wizard.store.paths import AppPaths
from wizard.store.profiles import Profile
from wizard.target import Api, Target

log = logging.getLogger("wizard.cli")


def run_onboard(args: argparse.Namespace) -> int:
    return run_command(args, _run, "onboarding")


async def _run(args: argparse.Namespace, reporter: Reporter) -> int:
    paths = AppPaths.default()
    profile = chosen_profile(args, paths)
    api = api_of(args, profile)
    reporter.api = api
    # Validate everything the operator typed before touching the network.
    if api is Api.V3 and args.account_id:
        raise ValueError(
            "--account-id belongs to the Connect API (--api connect); with v3, name the "
            "customer with --customer and give their Zoom email with --login-hint."
        )
    if api is Api.V3 and args.expires_in is not None:
        raise ValueError("--expires-in belongs to the Connect API; v3 grants do not expire.")
    redirect_uri = redirect_uri_for(args.redirect_uri, profile)
    account = CustomerAccount(
        args.account_id,
        login_hint=args.login_hint,
        expires_in=args.expires_in,
        customer=args.customer,
    )
    try:
        account.require_for(api)
    except ValueError:
        flag = "--account-id" if api is Api.CONNECT else "--customer"
        raise ValueError(
            f"{flag} is required with --api {api.value}: "
            + (
                "the customer's Nylas account id."
                if api is Api.CONNECT
                else "a reference of yours for the history, for example 'Acme #123'."
            )
        ) from None
    timeout = args.timeout if args.timeout is not None else DEFAULT_TIMEOUT
    remote = args.remote
    # The company's landing page: the flag's, else the profile's (the wizard's setting).
    args.landing_page = args.landing_page or (profile.landing_page if profile else "") or None
    async with prepared_flow(
        args, reporter, profile, api, redirect_uri, listen=not remote
    ) as ready:
        try:
            if remote:
                from wizard.cli.remote_cmd import send_link

                return await send_link(ready, account, redirect_uri, args, reporter)
            result = await ready.flow.authorize(
                account, redirect_uri, timeout=timeout, recorder=ready.recorder
            )
        finally:
            for problem in ready.history.problems:
                reporter.warning(problem)
    reporter.result(result)
    return int(Outcome.OK)


@contextlib.asynccontextmanager
async def prepared_flow(
    args: argparse.Namespace,
    reporter: Reporter,
    profile: Profile | None,
    api: Api,
    redirect_uri: LoopbackRedirectUri,
    *,
    listen: bool = True,
) -> AsyncIterator[Prepared]:
    async with _api(args, profile, api) as (target, creds):
        spec = IntegrationSpec(
            zoom=ZoomApp(creds.zoom_client_id, creds.zoom_client_secret),
            redirect_uri=redirect_uri,
            name=args.integration_name
            or (profile.integration_name if profile else DEFAULT_INTEGRATION_NAME),
            expires_in=profile.grant_lifetime if profile else DEFAULT_GRANT_LIFETIME,
            replace_zoom_app=args.replace_zoom_app,
        )
        async with prepare(
            target,
            NylasCredentials(creds.nylas_secret, creds.nylas_client_id),
            spec,
            no_browser if args.no_browser else system_browser,
            paths=AppPaths.default(),
            profile=profile.name if profile else None,
            on_event=reporter.on_event,
            opens_browser=not args.no_browser,
            listen=listen,
        ) as ready:
            yield ready


@contextlib.asynccontextmanager
async def _api(
    args: argparse.Namespace, profile: Profile | None, api: Api, *, zoom: bool = True
) -> AsyncIterator[tuple[Target, Credentials]]:
    """The target and credentials; for the sandbox, one running in this process. `zoom`
    False: only Nylas's (the grants command asks Nylas, never Zoom)."""
    region, api_url = where(args, profile)
    if region == "sandbox":
        from wizard.sandbox import PRACTICE_OPTIONS, SandboxServer

        # With a worklist of practice grants (some invalid) for `grants --sandbox`.
        async with SandboxServer(PRACTICE_OPTIONS) as sandbox:
            demo = sandbox.credentials
            creds = read_credentials(
                api=api.value,
                fallback={
                    "NYLAS_CLIENT_ID": demo.nylas_client_id if api is Api.CONNECT else "",
                    "NYLAS_CLIENT_SECRET": demo.nylas_client_secret,
                    "NYLAS_API_KEY": demo.v3_api_key,
                    "ZOOM_CLIENT_ID": demo.zoom_client_id,
                    "ZOOM_CLIENT_SECRET": demo.zoom_client_secret,
                },
                interactive=False,
                zoom=zoom,
            )
            yield Target.of(api, "sandbox", sandbox.url), creds
        return
    target = Target.of(api, region, api_url)
    # The keyring may block (D-Bus): read it off the event loop.
    saved = await asyncio.to_thread(saved_values, profile, api)
    yield target, read_credentials(api=api.value, fallback=saved, zoom=zoom)
