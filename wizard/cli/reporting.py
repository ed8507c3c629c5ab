"""How every command speaks: events as plain lines for people or JSON Lines for programs, and
one way a command's body ends (each failure a message and an exit code, Ctrl+C too)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any, TextIO

from wizard.flow import (
    AnswerRejected,
    AuthUrlReady,
    BrowserSilent,
    FlowEvent,
    GrantCaptured,
    IntegrationReady,
    LateAnswer,
    OnboardingResult,
)
from wizard.flow.explain import Explanation, explain
from wizard.flow.queue_rules import late_answer_words
from wizard.listener.listener import PortInUse
from wizard.logs import SAID_ON_CONSOLE, setup_logging
from wizard.outcome import Outcome
from wizard.store.paths import AppPaths
from wizard.target import Api

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


def run_command(
    args: argparse.Namespace,
    body: Callable[[argparse.Namespace, Reporter], Coroutine[Any, Any, int]],
    what: str,
) -> int:
    """A command that speaks through a Reporter: the log set up, its body run, every failure
    and Ctrl+C ending as words and an exit code."""
    reporter = Reporter(args.json)
    setup_logging(AppPaths.default().log_file, verbose=args.verbose, console=True)
    said = (f"{what} cancelled with Ctrl+C", "Cancelled.")
    return run_reported(body(args, reporter), reporter, what=what, on_ctrl_c=said)


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
