"""SecretStore: the OS keyring when there is one, this session's memory when not; never a file."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.errors
import pytest
from pydantic import SecretStr

from tests.helpers.store import MemoryKeyring, install_keyring
from wizard.logs import redact
from wizard.store.paths import AppPaths
from wizard.store.secrets import NO_KEYRING_REASON, SECRET_KINDS, SecretStore


class BrokenKeyring(MemoryKeyring):
    """Looks usable, then fails in use (a Secret Service that went away)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringError("org.freedesktop.DBus.Error.ServiceUnknown")


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppPaths:
    monkeypatch.setenv("ZOOM_ONBOARD_HOME", str(tmp_path))
    return AppPaths.default()


def _files_containing(root: Path, needle: str) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and needle.encode() in path.read_bytes():
            found.append(path)
    return found


def test_round_trip_in_the_keyring(memory_keyring: MemoryKeyring) -> None:
    store = SecretStore()
    assert store.available
    assert store.unavailable_reason == ""
    assert store.get("acme", "nylas_client_secret") is None
    assert store.set("acme", "nylas_client_secret", SecretStr("nylas-secret-1234"))
    assert store.set("acme", "zoom_client_secret", SecretStr("zoom-secret-5678"))
    assert memory_keyring.entries == {
        ("zoom-onboard", "acme:nylas_client_secret"): "nylas-secret-1234",
        ("zoom-onboard", "acme:zoom_client_secret"): "zoom-secret-5678",
    }
    fresh = SecretStore()  # nothing cached: the value comes back from the keyring
    value = fresh.get("acme", "zoom_client_secret")
    assert value is not None
    assert value.get_secret_value() == "zoom-secret-5678"


def test_values_read_are_redacted_from_logs(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.entries[("zoom-onboard", "p:nylas_client_secret")] = "read-from-keyring-77"
    SecretStore().get("p", "nylas_client_secret")
    assert "read-from-keyring-77" not in redact("oops: read-from-keyring-77")


def test_rename_moves_both_secrets(memory_keyring: MemoryKeyring) -> None:
    store = SecretStore()
    store.set("old", "nylas_client_secret", SecretStr("n-secret-1"))
    store.set("old", "zoom_client_secret", SecretStr("z-secret-2"))
    store.rename_profile("old", "new")
    assert {user for _, user in memory_keyring.entries} == {
        "new:nylas_client_secret",
        "new:zoom_client_secret",
    }
    assert store.get("old", "nylas_client_secret") is None
    moved = store.get("new", "zoom_client_secret")
    assert moved is not None
    assert moved.get_secret_value() == "z-secret-2"


def test_rename_with_only_one_secret(memory_keyring: MemoryKeyring) -> None:
    store = SecretStore()
    store.set("old", "zoom_client_secret", SecretStr("z-only-3"))
    store.rename_profile("old", "new")
    assert set(memory_keyring.entries) == {("zoom-onboard", "new:zoom_client_secret")}


def test_delete_removes_both_and_tolerates_missing(memory_keyring: MemoryKeyring) -> None:
    store = SecretStore()
    store.set("p", "nylas_client_secret", SecretStr("n-secret-4"))
    store.set("other", "nylas_client_secret", SecretStr("n-secret-5"))
    store.delete_profile("p")  # the zoom secret was never set: not an error
    assert set(memory_keyring.entries) == {("zoom-onboard", "other:nylas_client_secret")}
    store.delete_profile("p")


def test_unknown_kind_is_a_programming_error(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(ValueError, match="unknown secret kind"):
        SecretStore().get("p", "password")


def test_without_a_keyring_secrets_live_in_memory_only(no_keyring: None, tmp_path: Path) -> None:
    store = SecretStore()
    assert not store.available
    assert store.unavailable_reason == NO_KEYRING_REASON
    assert "session only" in store.unavailable_reason

    secret = "session-only-" + secrets.token_hex(8)  # random: not even this file contains it
    assert store.set("p", "nylas_client_secret", SecretStr(secret)) is False
    value = store.get("p", "nylas_client_secret")
    assert value is not None
    assert value.get_secret_value() == secret
    store.rename_profile("p", "q")
    renamed = store.get("q", "nylas_client_secret")
    assert renamed is not None
    assert renamed.get_secret_value() == secret
    assert store.get("p", "nylas_client_secret") is None

    assert _files_containing(tmp_path, secret) == []
    assert SecretStore().get("q", "nylas_client_secret") is None  # gone with the session
    store.delete_profile("q")
    assert store.get("q", "nylas_client_secret") is None


def test_low_priority_backends_are_not_used(tmp_path: Path) -> None:
    class PlaintextLike(MemoryKeyring):
        priority = 0.5  # type: ignore[assignment]  # like keyrings.alt's file backends

    backend = PlaintextLike()
    with install_keyring(backend):
        store = SecretStore()
        assert not store.available
        assert store.set("p", "zoom_client_secret", SecretStr("low-prio-secret")) is False
        assert backend.entries == {}


def test_keyring_failing_in_use_falls_back_to_memory(tmp_path: Path) -> None:
    with install_keyring(BrokenKeyring()):
        store = SecretStore()
        assert store.available
        assert store.set("p", "zoom_client_secret", SecretStr("locked-out-secret")) is False
        assert not store.available
        assert "session only" in store.unavailable_reason
        assert "KeyringError" in store.unavailable_reason
        value = store.get("p", "zoom_client_secret")
        assert value is not None
        assert value.get_secret_value() == "locked-out-secret"
        assert _files_containing(tmp_path, "locked-out-secret") == []


def test_kinds() -> None:
    assert SECRET_KINDS == ("nylas_client_secret", "zoom_client_secret")
    assert os.sep not in "".join(SECRET_KINDS)


def test_rename_carries_both_secrets_when_the_keyring_fails_on_the_first_write() -> None:
    backend = MemoryKeyring()
    with install_keyring(backend):
        store = SecretStore()
        store.set("old", "nylas_client_secret", SecretStr("n-secret"))
        store.set("old", "zoom_client_secret", SecretStr("z-secret"))

        def locked(service: str, username: str, password: str) -> None:
            raise keyring.errors.KeyringLocked("the collection is locked")

        backend.set_password = locked  # type: ignore[method-assign]
        store.rename_profile("old", "new")
        for kind, expected in (
            ("nylas_client_secret", "n-secret"),
            ("zoom_client_secret", "z-secret"),
        ):
            value = store.get("new", kind)
            assert value is not None and value.get_secret_value() == expected, kind
