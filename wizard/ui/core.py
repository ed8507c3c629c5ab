"""The UI's one door to the core: the flow, the API clients, the listener, the stores and the
sandbox.

The window shows before any of the core is imported; the loader (ui/loader.py) imports it on its
own thread right after the first show (`preload`), so that nothing is imported on the Qt thread
afterwards. UI modules therefore never import the core: they name what they need here, at call
time (`core.explain(exc)`, `except core.PortInUse`), and an import contract in pyproject.toml
keeps it that way on paths no test drives. Types for annotations come from `TYPE_CHECKING`
imports, which the contract ignores.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # "X as X": named here for the UI (the contract ignores these)
    from pydantic import SecretStr as SecretStr

    from wizard.diagnostics import build_report as build_report
    from wizard.flow import (
        AnswerRejected as AnswerRejected,
        AuthUrlReady as AuthUrlReady,
        BrowserLaunched as BrowserLaunched,
        BrowserReached as BrowserReached,
        BrowserSilent as BrowserSilent,
        CustomerAccount as CustomerAccount,
        GrantCaptured as GrantCaptured,
        IntegrationSpec as IntegrationSpec,
        LateAnswer as LateAnswer,
        ZoomApp as ZoomApp,
    )
    from wizard.flow.backend import ZOOM_SCOPES as ZOOM_SCOPES
    from wizard.flow.browser import system_browser as system_browser
    from wizard.flow.explain import explain as explain
    from wizard.flow.factory import (
        NylasCredentials as NylasCredentials,
        history_recorder as history_recorder,
        open_flow as open_flow,
    )
    from wizard.flow.grants import (
        GrantWorklist as GrantWorklist,
        queue_reauthentication as queue_reauthentication,
    )
    from wizard.flow.inputs import account_for_entry as account_for_entry
    from wizard.flow.queue_rules import (
        EntryRecorder as EntryRecorder,
        entry_state_after as entry_state_after,
        finish_entry_late as finish_entry_late,
        late_answer_words as late_answer_words,
    )
    from wizard.flow.reconcile import reconcile_history as reconcile_history
    from wizard.flow.remote import (
        CODE_LIFETIME as CODE_LIFETIME,
        Finished as Finished,
        RemoteLinks as RemoteLinks,
        SentLink as SentLink,
    )
    from wizard.flow.v3_backend import ZoomAppMismatch as ZoomAppMismatch
    from wizard.listener.listener import (
        CallbackRefused as CallbackRefused,
        ListenerTimeout as ListenerTimeout,
        PortInUse as PortInUse,
    )
    from wizard.listener.pasted import LANDING_PREFIX as LANDING_PREFIX
    from wizard.listener.redirect_uri import LoopbackRedirectUri as LoopbackRedirectUri
    from wizard.nylas.errors import AuthenticationFailed as AuthenticationFailed
    from wizard.sandbox import (
        PRACTICE_OPTIONS as PRACTICE_OPTIONS,
        SandboxServer as SandboxServer,
    )
    from wizard.store.history import History as History
    from wizard.store.profile_service import ProfileService as ProfileService
    from wizard.store.profiles import (
        Profile as Profile,
        ProfileError as ProfileError,
        ProfileStore as ProfileStore,
    )
    from wizard.store.queue import (
        WorkQueue as WorkQueue,
        decode_import as decode_import,
        parse_entries as parse_entries,
        write_queue_csv as write_queue_csv,
    )
    from wizard.store.recorder import HistoryRecorder as HistoryRecorder
    from wizard.store.secrets import SecretStore as SecretStore

# Where each name lives. Read by `__getattr__` and by `preload`, which imports every module here.
_HOMES = {
    "SecretStr": "pydantic",
    "build_report": "wizard.diagnostics",
    **dict.fromkeys(
        (
            "AnswerRejected",
            "AuthUrlReady",
            "BrowserLaunched",
            "BrowserReached",
            "BrowserSilent",
            "CustomerAccount",
            "GrantCaptured",
            "IntegrationSpec",
            "LateAnswer",
            "ZoomApp",
        ),
        "wizard.flow",
    ),
    "ZOOM_SCOPES": "wizard.flow.backend",
    "system_browser": "wizard.flow.browser",
    "explain": "wizard.flow.explain",
    "NylasCredentials": "wizard.flow.factory",
    "open_flow": "wizard.flow.factory",
    "GrantWorklist": "wizard.flow.grants",
    "queue_reauthentication": "wizard.flow.grants",
    "account_for_entry": "wizard.flow.inputs",
    "history_recorder": "wizard.flow.factory",
    "EntryRecorder": "wizard.flow.queue_rules",
    "entry_state_after": "wizard.flow.queue_rules",
    "finish_entry_late": "wizard.flow.queue_rules",
    "late_answer_words": "wizard.flow.queue_rules",
    "reconcile_history": "wizard.flow.reconcile",
    "CODE_LIFETIME": "wizard.flow.remote",
    "Finished": "wizard.flow.remote",
    "RemoteLinks": "wizard.flow.remote",
    "SentLink": "wizard.flow.remote",
    "ZoomAppMismatch": "wizard.flow.v3_backend",
    "CallbackRefused": "wizard.listener.listener",
    "ListenerTimeout": "wizard.listener.listener",
    "PortInUse": "wizard.listener.listener",
    "LANDING_PREFIX": "wizard.listener.pasted",
    "LoopbackRedirectUri": "wizard.listener.redirect_uri",
    "AuthenticationFailed": "wizard.nylas.errors",
    "PRACTICE_OPTIONS": "wizard.sandbox",
    "SandboxServer": "wizard.sandbox",
    "History": "wizard.store.history",
    "HistoryRecorder": "wizard.store.recorder",
    "ProfileService": "wizard.store.profile_service",
    "Profile": "wizard.store.profiles",
    "ProfileError": "wizard.store.profiles",
    "ProfileStore": "wizard.store.profiles",
    "WorkQueue": "wizard.store.queue",
    "decode_import": "wizard.store.queue",
    "parse_entries": "wizard.store.queue",
    "write_queue_csv": "wizard.store.queue",
    "SecretStore": "wizard.store.secrets",
}

# What the core imports at call time itself (the two APIs' backends, chosen by the target).
_ALSO = ("wizard.flow.connect_backend", "wizard.flow.v3_backend")

# What httpcore imports at its first request when they are installed (its async-library
# detection): 14 modules, imported on the Qt thread during Check connection otherwise.
OPTIONAL_MODULES = ("sniffio", "anyio", "httpcore._backends.anyio")


def __getattr__(name: str) -> Any:
    try:
        home = _HOMES[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # the next use is a plain module attribute
    return value


def modules() -> tuple[str, ...]:
    """Every module the UI reaches through this door, in a stable order."""
    return tuple(dict.fromkeys((*_HOMES.values(), *_ALSO)))


# What the first page's profile bar needs, loaded ahead of the rest of the core: the profile
# store to list the names (the page is usable then), then the keyring for their secrets.
PROFILE_MODULES = ("wizard.store.profiles",)
KEYRING_MODULES = ("wizard.store.profile_service", "wizard.store.secrets")


@functools.cache
def preload_profiles() -> None:
    """Import what listing the profiles needs (on the loader thread, ahead of the preload)."""
    for name in PROFILE_MODULES:
        importlib.import_module(name)


@functools.cache
def preload_keyring() -> None:
    """Import what the profiles' secrets need (on the loader thread, ahead of the preload)."""
    for name in KEYRING_MODULES:
        importlib.import_module(name)


def _resolve_optional(name: str) -> None:
    with contextlib.suppress(ImportError):
        module = importlib.import_module(name)
        # anyio imports its parts at first attribute access (anyio.Event in httpcore's first
        # request): resolve them here, off the Qt thread.
        for attribute in dir(module):
            with contextlib.suppress(Exception):
                getattr(module, attribute)


def preload_steps() -> list[Callable[[], object]]:
    """`preload` in steps of one module each, for the loader's queue: a job asked for first
    (the profiles) waits for one module, not for the whole core."""
    return [
        *(functools.partial(importlib.import_module, name) for name in modules()),
        *(functools.partial(_resolve_optional, name) for name in OPTIONAL_MODULES),
    ]


@functools.cache  # once per process: later calls (every queue read, every check) are free
def preload() -> None:
    """Import the core (on the loader thread): afterwards no UI call imports anything."""
    preload_profiles()
    preload_keyring()
    for step in preload_steps():
        step()
