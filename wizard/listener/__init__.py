"""Loopback listener that catches the browser's redirect after the Zoom consent."""

from wizard.listener.callback import ErrorCallback, GrantCallback, MalformedCallback, parse_callback
from wizard.listener.listener import (
    CallbackListener,
    CallbackRefused,
    CapturedGrant,
    ListenerTimeout,
    PortInUse,
)
from wizard.listener.redirect_uri import InvalidRedirectUri, LoopbackRedirectUri

__all__ = [
    "CallbackListener",
    "CallbackRefused",
    "CapturedGrant",
    "ErrorCallback",
    "GrantCallback",
    "InvalidRedirectUri",
    "ListenerTimeout",
    "LoopbackRedirectUri",
    "MalformedCallback",
    "PortInUse",
    "parse_callback",
]
