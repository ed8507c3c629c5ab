"""Profiles with their keyring secrets, Qt-free: what the profile bar and the CLI share."""

from __future__ import annotations

from pathlib import Path

import pytest

from wizard.store.profile_service import ProfileService
from wizard.store.profiles import Profile, ProfileError, ProfileStore
from wizard.store.secret_kinds import NYLAS_SECRET, ZOOM_SECRET
from wizard.store.secrets import SecretStore


@pytest.fixture
def service(tmp_path: Path, memory_keyring: object) -> ProfileService:
    return ProfileService(ProfileStore(tmp_path / "profiles.json"), SecretStore())


def test_save_open_rename_delete_move_the_secrets_with_the_profile(
    service: ProfileService,
) -> None:
    profile = Profile(name="acme", region="eu", nylas_client_id="n-id", zoom_client_id="z-id")
    assert service.save(profile, {NYLAS_SECRET: "nyk_secret", ZOOM_SECRET: ""})
    assert service.names() == (["acme"], "acme")
    opened = service.open("acme")
    assert opened.profile == profile
    saved = opened.secrets[NYLAS_SECRET]
    assert saved is not None and saved.get_secret_value() == "nyk_secret"
    assert opened.missing == [ZOOM_SECRET]  # an empty one is not saved
    assert service.rename("acme", "  acme-eu ") == "acme-eu"
    assert service.names() == (["acme-eu"], "acme-eu")
    moved = service.open("acme-eu").secrets[NYLAS_SECRET]
    assert moved is not None and moved.get_secret_value() == "nyk_secret"
    assert service.secrets_of("acme", (NYLAS_SECRET,)) == {NYLAS_SECRET: None}
    service.delete("acme-eu")
    assert service.names() == ([], None)
    assert service.secrets_of("acme-eu", (NYLAS_SECRET,)) == {NYLAS_SECRET: None}
    with pytest.raises(ProfileError, match="acme-eu"):
        service.open("acme-eu")


def test_without_a_keyring_save_says_the_secrets_were_not_kept(
    tmp_path: Path, no_keyring: None
) -> None:
    service = ProfileService(ProfileStore(tmp_path / "profiles.json"), SecretStore())
    kept = service.save(Profile(name="p", region="us"), {NYLAS_SECRET: "nyk_x"})
    assert not kept
    assert not (tmp_path / "profiles.json").read_text().count("nyk_x")  # never in a file
