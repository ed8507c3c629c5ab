"""The macOS Keychain's refusals, imitated with exactly what keyring's macOS backend raises
(keyring/backends/macOS/__init__.py, api.py): the Security framework's status in an api.Error,
wrapped in KeyringLocked for a Deny (-128) on a read or write, in KeyringError /
PasswordSetError / PasswordDeleteError otherwise (a locked keychain that cannot ask over SSH is
-25308). A refusal affects its one call and says so; only a real failure turns the keyring off."""

from __future__ import annotations

from collections.abc import Iterator

import keyring.errors
import pytest
from pydantic import SecretStr

from tests.helpers.store import MemoryKeyring, install_keyring
from wizard.flow.explain import explain
from wizard.store.paths import AppPaths
from wizard.store.profile_service import ProfileService
from wizard.store.profiles import Profile, ProfileStore
from wizard.store.secrets import KeyringRefused, SecretStore

DENIED, INTERACTION_NOT_ALLOWED, PLIST_MISSING = -128, -25308, -67030
NYLAS = "nylas_client_secret"


class SecurityError(Exception):
    """keyring.backends.macOS.api.Error: args are (status, words)."""


def _macos_error(status: str, doing: str) -> Exception:
    """What the backend raises for `status` while `doing` get / set / delete."""
    code = {"denied": DENIED, "locked": INTERACTION_NOT_ALLOWED, "unsigned": PLIST_MISSING}[status]
    cause = SecurityError(code, "Keychain Access Denied" if code == DENIED else "Unknown Error")
    if doing == "delete":
        wrapper: type[Exception] = keyring.errors.PasswordDeleteError
    elif code == DENIED:
        wrapper = keyring.errors.KeyringLocked
    else:
        wrapper = keyring.errors.PasswordSetError if doing == "set" else keyring.errors.KeyringError
    try:
        raise wrapper(f"Can't {doing} password on keychain: {cause}") from cause
    except Exception as exc:
        return exc


class Keychain(MemoryKeyring):
    """A Keychain whose next calls are refused (or fail) as told, then answer."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[str] = []  # "denied", "locked", "unsigned"; empty: allowed

    def _maybe(self, doing: str) -> None:
        if self.answers:
            raise _macos_error(self.answers.pop(0), doing)

    def get_password(self, service: str, username: str) -> str | None:
        self._maybe("get")
        return super().get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self._maybe("set")
        super().set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        self._maybe("delete")
        super().delete_password(service, username)


@pytest.fixture
def keychain() -> Iterator[Keychain]:
    backend = Keychain()
    with install_keyring(backend):
        yield backend


@pytest.mark.parametrize("refusal", ["denied", "locked"])
def test_a_refused_read_says_so_and_the_next_read_asks_again(
    keychain: Keychain, refusal: str
) -> None:
    keychain.entries[("zoom-onboard", f"acme:{NYLAS}")] = "saved-secret-1"
    store = SecretStore()
    keychain.answers = [refusal]
    with pytest.raises(KeyringRefused, match="did not give the saved secret") as caught:
        store.get("acme", NYLAS)
    assert store.available and store.unavailable_reason == ""
    assert explain(caught.value).type == "keyring_refused"
    value = store.get("acme", NYLAS)  # allowed this time
    assert value is not None and value.get_secret_value() == "saved-secret-1"


@pytest.mark.parametrize("refusal", ["denied", "locked"])
def test_a_refused_write_is_kept_for_the_session_and_the_next_write_reaches_the_keychain(
    keychain: Keychain, refusal: str
) -> None:
    store = SecretStore()
    keychain.answers = [refusal]
    assert store.set("acme", NYLAS, SecretStr("first-try")) is False
    assert "refused" in store.refused and store.available
    value = store.get("acme", NYLAS)  # this session still has it
    assert value is not None and value.get_secret_value() == "first-try"
    assert store.set("acme", "zoom_client_secret", SecretStr("second-try")) is True
    assert keychain.entries == {("zoom-onboard", "acme:zoom_client_secret"): "second-try"}


def test_a_refused_delete_leaves_the_entry_and_the_keyring_on(keychain: Keychain) -> None:
    store = SecretStore()
    store.set("acme", NYLAS, SecretStr("kept-secret"))
    keychain.answers = ["denied"]
    store.delete_profile("acme")
    assert store.available
    assert ("zoom-onboard", f"acme:{NYLAS}") in keychain.entries
    store.delete_profile("acme")  # allowed: gone
    assert keychain.entries == {}


def test_a_real_failure_still_turns_the_keyring_off_for_the_session(keychain: Keychain) -> None:
    store = SecretStore()
    keychain.answers = ["unsigned"]  # an app the Keychain will never serve
    assert store.set("acme", NYLAS, SecretStr("in-memory")) is False
    assert not store.available and "session only" in store.unavailable_reason
    assert store.set("acme", NYLAS, SecretStr("in-memory-2")) is False  # not asked again
    assert keychain.entries == {}


def test_a_profile_opened_after_a_deny_says_so_and_opens_with_them_next_time(
    keychain: Keychain, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZOOM_ONBOARD_HOME", str(tmp_path))
    service = ProfileService(ProfileStore(AppPaths.default().profiles_file), SecretStore())
    assert service.save(Profile(name="acme", region="us"), {NYLAS: "saved-secret-2"})
    keychain.answers = ["denied"]
    opened = service.open("acme", (NYLAS,))
    assert opened.secrets == {NYLAS: None}
    assert "access was denied" in opened.refused
    again = service.open("acme", (NYLAS,))
    assert again.refused == ""
    secret = again.secrets[NYLAS]
    assert secret is not None and secret.get_secret_value() == "saved-secret-2"
