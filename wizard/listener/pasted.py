"""What a customer on another computer sends back, pasted by the operator: the address their
browser ended on, or the line the landing page showed (`ZOOM-ONBOARD <query>`), or the bare
query, possibly inside the rest of an email.

Only the query string is taken from it; the API's own callback parser (callback.py, the same
one the listener uses) reads it. Untrusted input: bounded, and every refusal says what to ask
the customer for, never quoting the values (a code is a credential until it is exchanged).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["LANDING_PREFIX", "MAX_PASTE", "NotAnAnswer", "PastedAnswer", "read_pasted"]

LANDING_PREFIX = "ZOOM-ONBOARD"
MAX_PASTE = 16_384  # an address is a few hundred characters; a whole email reply fits too
_LINE_RE = re.compile(rf"{LANDING_PREFIX}\s+(\S+)")
_URL_RE = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_QUERY_RE = re.compile(r"(?:^|[\s<(\"'?])((?:[\w.~-]+=[^\s&<>\"']*&)*state=[^\s<>\"']+)")
_TRAILING = ".,;:!?)]}>\"'"
WHAT_TO_SEND = (
    "Ask the customer for the whole address their browser showed at the end (it contains "
    f"'state='), or the line the landing page showed (it starts with {LANDING_PREFIX})."
)


class NotAnAnswer(ValueError):
    """What was pasted holds no answer; the message says what to ask for."""


@dataclass(frozen=True)
class PastedAnswer:
    query: str  # for the API's callback parser
    address: str | None  # scheme://host[:port]/path it came to (None: a line or bare query)


def read_pasted(text: str) -> PastedAnswer:
    if len(text) > MAX_PASTE:
        raise NotAnAnswer(
            f"What was pasted is {len(text):,} characters long, far more than an answer. "
            + WHAT_TO_SEND
        )
    text = text.replace("&amp;", "&")  # a mail client's HTML escaping of the address
    line = _LINE_RE.search(text)
    if line is not None:
        return PastedAnswer(_strip(line.group(1)), None)
    for match in _URL_RE.finditer(text):
        url = _strip(match.group(0))
        parts = urlsplit(url)
        if "state=" in parts.query:
            where = f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path}"
            return PastedAnswer(parts.query, where)
    if _URL_RE.search(text):
        raise NotAnAnswer(
            "The address pasted has no answer in it (no 'state=' after a '?'): the customer "
            "may have copied it before Zoom sent them back. " + WHAT_TO_SEND
        )
    bare = _QUERY_RE.search(text.strip())
    if bare is not None:
        return PastedAnswer(_strip(bare.group(1)), None)
    raise NotAnAnswer("There is no answer in what was pasted. " + WHAT_TO_SEND)


def _strip(found: str) -> str:
    found = found.rstrip(_TRAILING)
    return found[1:] if found.startswith("?") else found
