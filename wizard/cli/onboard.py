"""`zoom-onboard onboard`: one customer account, headless."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
import time
from collections.abc import AsyncIterator, Coroutine
from typing import Any, TextIO

from wizard.cli.credentials import Credentials, read_credentials
from wizard.cli.where import api_of, chosen_profile, saved_values, where
from wizard.defaults import (
    DEFAULT_GRANT_LIFETIME,
    DEFAULT_INTEGRATION_NAME,
    DEFAULT_TIMEOUT,
)
from wizard.flow import (
    AnswerRejected,
    AuthUrlReady,
    BrowserSilent,
    CustomerAccount,
    FlowEvent,
    GrantCaptured,
    IntegrationReady,
    IntegrationSpec,
    LateAnswer,
    OnboardingResult,
    ZoomApp,
)
from wizard.flow.browser import no_browser, system_browser
from wizard.flow.explain import Explanation, explain
from wizard.flow.factory import NylasCredentials, Prepared, prepare, redirect_uri_for
from wizard.flow.queue_rules import late_answer_words
from wizard.listener.listener import PortInUse
from wizard.listener.redirect_uri import LoopbackRedirectUri
from wizard.logs import SAID_ON_CONSOLE, setup_logging
from wizard.outcome import Outcome
from wizard.store.paths import AppPaths
from wizard.store.profiles import Profile
from wizard.target import Api, Target

log = logging.getLogger("wizard.cli")


class Reporter:
    """Prints flow events: JSON Lines for programs, plain lines for people."""

    def __init__(
        self,
        as_json: bool,
        out: TextIO = sys.stdout,
        err: TextIO = sys.stderr,
        api: Api = Api.CONNECT,
    ) -> None:
        self.as_json = as_json
        self.api = api
        self.out = out
        self.err = err

    def emit(self, event: str, text: str, **fields: Any) -> None:
        if self.as_json:
            print(json.dumps({"event": event, **fields}), file=self.out, flush=True)
        else:
            print(text, file=self.out, flush=True)

    def on_event(self, event: FlowEvent) -> None:
        match event:
            case IntegrationReady():
                self._integration_ready(event)
            case AuthUrlReady():
                self._auth_url_ready(event)
            case BrowserSilent(url, waited):
                self.emit(
                    "browser_silent",
                    f"No browser has opened the link after {waited:.0f} s. If none "
                    "started, open the link above in a browser on this computer.",
                    url=url,
                )
            case AnswerRejected(reason):
                self.emit(
                    "answer_rejected",
                    f"An answer came back but was not accepted: {reason} Still waiting.",
                    reason=reason,
                )
            case LateAnswer():
                self._late_answer(event)
            case GrantCaptured(grant_id):
                self.emit(
                    "grant_captured",
                    f"Grant received: {grant_id} (verifying...)",
                    grant_id=grant_id,
                )
            case _:
                pass

    def _integration_ready(self, event: IntegrationReady) -> None:
        integration, action = event.integration, event.action
        word = integration.api.connector_word.capitalize()
        self.emit(
            "integration",
            f"{word} {integration.name!r}: {action.describe(integration.api, done=True)}",
            api=integration.api.value,
            action=action.value,
            description=action.describe(integration.api, done=True),
            id=integration.id,
            name=integration.name,
            provider=integration.provider,
            redirect_uris=integration.redirect_uris,
        )

    def _auth_url_ready(self, event: AuthUrlReady) -> None:
        left = max(0, int(event.expires_at - time.time()))
        self.emit(
            "auth_url",
            f"Sign-in link (valid for {left // 60} min; it works only in a browser on "
            "this computer; use a private window if your own Zoom account is signed "
            f"in):\n  {event.url}",
            url=event.url,
            expires_at=event.expires_at,
            id=event.auth_request_id,
            launch_url=event.launch_url,
        )

    def _late_answer(self, event: LateAnswer) -> None:
        account, result, error = event.account, event.result, event.error
        self.emit(
            "late_answer",
            late_answer_words(event),
            entry=event.tag if isinstance(event.tag, int) else None,
            customer=account.customer,
            login_hint=account.login_hint,
            account_id=account.account_id,
            grant_id=result.grant_id if result else None,
            email=result.email if result else None,
            verified=result.verified if result else None,
            error=explain(error).type if error is not None else None,
        )

    def result(self, result: OnboardingResult) -> None:
        renewed = " (this Zoom user's existing grant was renewed)" if result.renewed else ""
        if result.verified:
            text = (
                f"Done. grant_id {result.grant_id} for Zoom user {result.email} "
                f"(status {result.grant_status or 'not reported'}){renewed}."
            )
        else:
            text = (
                f"Done. grant_id {result.grant_id}{renewed}, NOT verified: "
                f"{result.verification_note}"
            )
        if result.missing_scopes:
            text += (
                f" The consent did not grant {', '.join(result.missing_scopes)}: add them to the "
                "Zoom app's scopes, then let the customer consent again."
            )
        self.emit(
            "grant",
            text,
            grant_id=result.grant_id,
            provider=result.provider,
            email=result.email,
            grant_status=result.grant_status,
            verified=result.verified,
            missing_scopes=list(result.missing_scopes),
            account_id=result.account_id,
            customer=result.customer,
            api=result.api,
            renewed=result.renewed,
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
    return run_reported(
        _run(args, reporter),
        reporter,
        what="onboarding",
        on_ctrl_c=("onboarding cancelled with Ctrl+C", "Cancelled."),
    )


def run_reported(
    main: Coroutine[Any, Any, int],
    reporter: Reporter,
    *,
    what: str,
    on_ctrl_c: tuple[str, str],
) -> int:
    """Run a command's body: every failure ends as a message and an exit code; Ctrl+C too
    (`on_ctrl_c`: what the log says, what the operator is told)."""
    try:
        return asyncio.run(main)
    except Exception as exc:
        explanation = explain_for_cli(exc)
        # WARNING, so the diagnostics report of an engineer shows every failure an operator saw.
        log.warning(
            "%s failed (%s): %s",
            what,
            explanation.type,
            explanation.text(),
            extra=SAID_ON_CONSOLE,
        )
        reporter.error(explanation)
        return int(explanation.outcome)
    except KeyboardInterrupt:
        logged, said = on_ctrl_c
        log.warning(logged)
        reporter.error(Explanation("cancelled", said, "", Outcome.TIMEOUT))
        return int(Outcome.TIMEOUT)


def explain_for_cli(exc: BaseException) -> Explanation:
    explanation = explain(exc)
    if isinstance(exc, PortInUse):
        # The command's words for "choose another port".
        return Explanation(
            explanation.type,
            explanation.message,
            "Pass another one with --redirect-uri.",
            explanation.outcome,
        )
    return explanation


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
