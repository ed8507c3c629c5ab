"""Profiles with their secrets: what the wizard's profile bar and the command line do with a
saved profile, in one Qt-free place. The profile (ids, region, URLs) goes to profiles.json, its
secrets only to the keyring (store/secrets.py); renaming or deleting moves both together.

Every method blocks on disk and keyring I/O: async callers run them with `asyncio.to_thread`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import SecretStr

from wizard.store.profiles import Profile, ProfileStore, validate_name
from wizard.store.secret_kinds import SECRET_KINDS
from wizard.store.secrets import KeyringRefused, SecretStore

__all__ = ["OpenedProfile", "ProfileService"]


@dataclass(frozen=True)
class OpenedProfile:
    profile: Profile
    secrets: dict[str, SecretStr | None]  # by kind; None: not on this computer, or refused
    # Why the keyring refused to give some of them (a Deny, a locked keychain), or "": choosing
    # the profile again asks again.
    refused: str = ""

    @property
    def missing(self) -> list[str]:
        return [kind for kind, value in self.secrets.items() if value is None]


class ProfileService:
    def __init__(self, profiles: ProfileStore, secrets: SecretStore) -> None:
        self.profiles = profiles
        self.secrets = secrets

    def names(self) -> tuple[list[str], str | None]:
        """The saved profiles' names, and the one used last."""
        return self.profiles.names()

    def open(self, name: str, kinds: tuple[str, ...] = SECRET_KINDS) -> OpenedProfile:
        """The profile and its secrets (only `kinds`: each keyring read may ask the desktop
        to unlock it); it becomes the last used."""
        profile = self.profiles.get(name)  # ProfileError names the saved ones
        self.profiles.set_last_used(profile.name)
        refused: list[str] = []
        secrets = self.secrets_of(profile.name, kinds, refused=refused)
        return OpenedProfile(profile, secrets, refused[0] if refused else "")

    def secrets_of(
        self, name: str, kinds: tuple[str, ...], *, refused: list[str] | None = None
    ) -> dict[str, SecretStr | None]:
        """The profile's secrets of these kinds, from the keyring (None: not there, or the
        keyring refused this read: its words are added to `refused`)."""
        found: dict[str, SecretStr | None] = {}
        for kind in kinds:
            try:
                found[kind] = self.secrets.get(name, kind)
            except KeyringRefused as exc:
                found[kind] = None
                if refused is not None:
                    refused.append(str(exc))
        return found

    def save(self, profile: Profile, secrets: Mapping[str, str]) -> bool:
        """Keep the profile and its non-empty secrets; False when the keyring could not take
        them (they are then kept for this session only, never in a file)."""
        self.profiles.save(profile)
        self.profiles.set_last_used(profile.name)
        kept = True
        for kind, value in secrets.items():
            if value:
                kept &= self.secrets.set(profile.name, kind, SecretStr(value))
        return kept

    def rename(self, old: str, new: str) -> str:
        self.profiles.rename(old, new)
        name = validate_name(new)
        if name != old:
            self.secrets.rename_profile(old, name)
        return name

    def delete(self, name: str) -> None:
        self.profiles.delete(name)
        self.secrets.delete_profile(name)
