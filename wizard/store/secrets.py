"""Client secrets in the OS keyring (Keychain, Windows Credential Manager, Secret Service).

When no usable keyring exists (headless Linux, a broken Secret Service) secrets are kept in
memory for this session only. There is deliberately no file fallback: a plaintext secret on disk
is worse than asking the operator again.

A refusal is not a failure: the operator's Deny in the Keychain's prompt, a keychain that is
locked and cannot ask (over SSH), a dismissed unlock prompt of the Secret Service. It affects that
one call, which says so (a read raises KeyringRefused, a write returns False and keeps the value
in memory), and the next call asks the keyring again. Only a real failure (the Secret Service
gone, an unsigned app's Keychain error) turns the keyring off for the rest of the session.

Every keyring call blocks (D-Bus on Linux, sometimes an unlock prompt): async callers must run
these methods with `asyncio.to_thread`.
"""

from __future__ import annotations

import logging
import threading

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.errors
from pydantic import SecretStr

from wizard.logs import redact, remember_secret
from wizard.store.secret_kinds import SECRET_KINDS

__all__ = ["NO_KEYRING_REASON", "SECRET_KINDS", "KeyringRefused", "SecretStore"]

log = logging.getLogger(__name__)


NO_KEYRING_REASON = (
    "No system keyring is available (e.g. headless Linux without Secret Service): secrets are "
    "kept for this session only and will be asked for again next time."
)


# What keyring's macOS backend raises for these is a KeyringLocked (a Deny, -128) or a plain
# KeyringError / PasswordSetError / PasswordDeleteError whose cause carries the Security
# framework's status (keyring/backends/macOS/api.py).
_MACOS_REFUSALS = {
    -128: "access was denied (Deny in the Keychain's prompt)",
    -25308: "the keychain is locked and cannot ask for its password here (e.g. over SSH)",
}


class KeyringRefused(Exception):
    """The keyring refused this one read; it was not turned off, the next call asks again."""


class SecretStore:
    def __init__(self, service: str = "zoom-onboard") -> None:
        self.service = service
        self.backend_name = "none"
        self.available = False
        self.unavailable_reason = ""
        self.refused = ""  # the words of the last refusal of one call (a Deny, a locked keychain)
        # keyring key -> value; used only when the keyring cannot take the value.
        self._session: dict[str, SecretStr] = {}
        self._lock = threading.Lock()  # methods run on worker threads (asyncio.to_thread)
        self._backend: keyring.backend.KeyringBackend | None = None
        try:
            backend = keyring.get_keyring()
            priority = float(backend.priority)
        except Exception as exc:  # backend discovery runs third-party code; any failure = none
            log.warning("no keyring backend: %s: %s", type(exc).__name__, exc)
            self.unavailable_reason = NO_KEYRING_REASON
            return
        self.backend_name = _backend_name(backend)
        # Priority below 1 means "not recommended": the fail and null backends, and
        # keyrings.alt's plaintext file backends, which would defeat the point.
        if isinstance(backend, keyring.backends.fail.Keyring) or priority < 1:
            self.unavailable_reason = NO_KEYRING_REASON
            return
        self._backend = backend
        self.available = True

    # -- public API ------------------------------------------------------------------------

    def get(self, profile: str, kind: str) -> SecretStr | None:
        return self._get(_key(profile, kind))

    def set(self, profile: str, kind: str, value: SecretStr) -> bool:
        """True: kept in the OS keyring. False: kept in memory for this session only."""
        return self._set(_key(profile, kind), value)

    def delete_profile(self, profile: str) -> None:
        for kind in SECRET_KINDS:
            self._forget(_key(profile, kind))

    def rename_profile(self, old: str, new: str) -> None:
        if old == new:
            return
        # Read both first: a failed write drops the keyring for the session, and a read after
        # it would miss the second secret. A refused read leaves that secret under the old name.
        values = {kind: self._readable(old, kind) for kind in SECRET_KINDS}
        for kind, value in values.items():
            if value is None:
                continue
            if self.set(new, kind, value):
                self._forget(_key(old, kind))
            else:
                # The new name is in memory only: keep the old keyring entry rather than lose
                # the persistent copy; drop only the session copy under the old name.
                with self._lock:
                    self._session.pop(_key(old, kind), None)

    # -- a link sent to a customer elsewhere (flow/remote.py) -----------------------------

    def keep_link_secret(self, state_sha256: str, value: SecretStr) -> bool:
        """The PKCE verifier of a sent link, until its answer comes or it expires. True: in the
        OS keyring (it survives a restart); False: for this session only."""
        return self._set(_link_key(state_sha256), value)

    def link_secret(self, state_sha256: str) -> SecretStr | None:
        return self._get(_link_key(state_sha256))

    def drop_link_secret(self, state_sha256: str) -> None:
        self._forget(_link_key(state_sha256))

    # -- helpers ---------------------------------------------------------------------------

    def _readable(self, profile: str, kind: str) -> SecretStr | None:
        try:
            return self.get(profile, kind)
        except KeyringRefused:
            return None

    def _get(self, key: str) -> SecretStr | None:
        with self._lock:
            value = self._session.get(key)
        if value is not None:
            return value
        backend = self._backend
        if backend is None:
            return None
        try:
            text = backend.get_password(self.service, key)
        except Exception as exc:  # backends raise their own types (D-Bus, Win32, locked)
            if self._was_refused(exc, "read"):
                raise KeyringRefused(
                    f"The system keyring did not give the saved secret: {self.refused}. Allow "
                    "access when it asks (or unlock it first), then try again; nothing was "
                    "changed."
                ) from None
            self._lost(exc)
            return None
        if text is None:
            return None
        remember_secret(text)
        return SecretStr(text)

    def _set(self, key: str, value: SecretStr) -> bool:
        plain = value.get_secret_value()
        remember_secret(plain)
        backend = self._backend
        if backend is not None:
            try:
                backend.set_password(self.service, key, plain)
            except Exception as exc:  # see _get()
                if not self._was_refused(exc, "write"):
                    self._lost(exc)
            else:
                with self._lock:
                    self._session.pop(key, None)  # the keyring is now the truth
                return True
        with self._lock:
            self._session[key] = value
        return False

    def _forget(self, key: str) -> None:
        with self._lock:
            self._session.pop(key, None)
        self._delete(key)

    def _delete(self, key: str) -> None:
        backend = self._backend
        if backend is None:
            return
        try:
            backend.delete_password(self.service, key)
        except Exception as exc:  # see get()
            if self._was_refused(exc, "delete"):
                return  # the entry stays; the log says so
            if not isinstance(exc, keyring.errors.PasswordDeleteError):
                self._lost(exc)
            # else nothing stored under that name: already in the wanted state

    def _was_refused(self, exc: Exception, doing: str) -> bool:
        """A refusal of this one call (logged, kept in `refused`), or False for a failure."""
        why = _refusal(exc)
        if why is None:
            return False
        self.refused = f"the {self.backend_name} keyring refused to {doing}: {why}"
        log.warning("%s; the next use asks again", self.refused)
        return True

    def _lost(self, exc: Exception) -> None:
        """The keyring failed in use: stop using it for the rest of the session."""
        detail = redact(f"{type(exc).__name__}: {exc}")[:200]
        log.warning("keyring %s failed, keeping secrets in memory: %s", self.backend_name, detail)
        self._backend = None
        self.available = False
        self.unavailable_reason = (
            f"The system keyring ({self.backend_name}) failed ({detail}): secrets are kept for "
            "this session only and will be asked for again next time."
        )


def _refusal(exc: BaseException) -> str | None:
    """Why the keyring refused this call, or None when it failed."""
    cause = exc.__cause__ or exc.__context__
    status = cause.args[0] if cause is not None and cause.args else None
    if isinstance(status, int) and status in _MACOS_REFUSALS:
        return _MACOS_REFUSALS[status]
    if isinstance(exc, keyring.errors.KeyringLocked):
        detail = redact(str(exc))[:200]
        return f"it is locked and was not unlocked ({detail})"
    return None


def _key(profile: str, kind: str) -> str:
    if kind not in SECRET_KINDS:
        raise ValueError(f"unknown secret kind {kind!r}; expected one of {SECRET_KINDS}")
    return f"{profile}:{kind}"


def _link_key(state_sha256: str) -> str:
    if len(state_sha256) != 64 or not all(c in "0123456789abcdef" for c in state_sha256):
        raise ValueError("a link's secret is kept under the SHA-256 (hex) of its state")
    return f"link:{state_sha256}"  # a profile key ends in a kind, never in 64 hex digits


def _backend_name(backend: keyring.backend.KeyringBackend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"
