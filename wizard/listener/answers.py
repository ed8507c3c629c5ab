"""What the browser is answered, by what became of its callback: the pages (wizard/listener/
pages.py) with their status and headers, and the log line that says why.

A 400 answer turns one callback away and the wait goes on; a final answer (connected, refused,
failed, already done) closes the connection, so the wait knows when the page is out.
"""

from __future__ import annotations

import logging

from wizard.http.server import Response
from wizard.listener import pages
from wizard.listener.callback import Callback, CodeCallback, ErrorCallback
from wizard.listener.verdict import Verdict

__all__ = [
    "already_done",
    "connected",
    "could_not_complete",
    "not_this_request",
    "page",
    "refused",
    "too_many_stateless",
    "turned_away",
]

log = logging.getLogger("wizard.listener")


def page(status: int, html: str, *, final: bool = False) -> Response:
    response = Response.html(status, html)
    response.headers.extend(pages.SECURITY_HEADERS)
    if final:
        # Close after the final page, so `wait` knows when the bytes are out.
        response.headers.append(("connection", "close"))
    return response


# The customer of a link sent from this computer's tool (flow/remote.py) who opened it here.
SENT_LINK_HINT = (
    "If someone sent you this link to connect your Zoom account, copy this page's whole "
    "address from the address bar and send it back to them."
)


def not_this_request(reason: str | None = None) -> Response:
    return page(400, pages.not_for_this_request_page(reason))


def turned_away(verdict: Verdict, callback: Callback, expected_provider: str) -> Response:
    """The answer to a callback the verdict refuses without asking anyone: the wait goes on."""
    match verdict:
        case Verdict.FOREIGN_STATE:
            log.info("callback with a state of another request refused")
            if isinstance(callback, CodeCallback):  # perhaps a link sent to a customer elsewhere
                return not_this_request(SENT_LINK_HINT)
            return not_this_request()
        case Verdict.STATELESS_ERROR:
            # Anyone who can reach this port could send it: it must not end the wait.
            assert isinstance(callback, ErrorCallback)
            log.warning(
                "an error callback without state was ignored (%s): still waiting", callback.error
            )
            return page(400, pages.stateless_error_ignored_page())
        case Verdict.WRONG_PROVIDER:
            log.info("callback for another provider refused (expected %r)", expected_provider)
            return not_this_request(
                "It is for another kind of account than the one being connected."
            )
        case Verdict.UNCHECKABLE:
            log.info("a callback without state cannot be verified here: refused")
            return not_this_request("The answer could not be checked against this request.")
    raise ValueError(f"{verdict} is not an answer that turns a callback away")


def too_many_stateless() -> Response:
    return not_this_request(
        "Too many answers without a sign of this request arrived; this one was not checked."
    )


def refused(callback: ErrorCallback) -> Response:
    log.warning(
        "the provider refused the connection: %s (code %s): %r",
        callback.error,
        callback.error_code,
        callback.description,
    )
    return page(
        200,
        pages.refused_page(callback.description, callback.error, callback.error_code),
        final=True,
    )


def connected() -> Response:
    return page(200, pages.success_page(), final=True)


def could_not_complete() -> Response:
    return page(200, pages.failed_page(), final=True)


def already_done() -> Response:
    log.info("callback after the connection was finished: answered 'already done'")
    return page(409, pages.already_done_page(), final=True)
