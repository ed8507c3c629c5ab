"""Where a command works: the saved profile, the API, the region and the credentials, from
the flags, then the profile, then the defaults (shared by `onboard` and `history --reconcile`)."""

from __future__ import annotations

import argparse
import os

from wizard.defaults import DEFAULT_API
from wizard.store.paths import AppPaths
from wizard.store.profile_service import ProfileService
from wizard.store.profiles import Profile, ProfileStore
from wizard.store.secret_kinds import NYLAS_SECRET, ZOOM_SECRET
from wizard.store.secrets import SecretStore
from wizard.target import Api


def api_of(args: argparse.Namespace, profile: Profile | None) -> Api:
    if args.api:
        return Api(args.api)
    saved = getattr(profile, "api", None)
    return Api(saved) if saved else Api(DEFAULT_API)


def chosen_profile(args: argparse.Namespace, paths: AppPaths) -> Profile | None:
    name = getattr(args, "profile", None)
    if not name:
        return None
    store = ProfileStore(paths.profiles_file)
    profile = store.get(name)  # ProfileError (a ValueError) names the saved ones
    store.set_last_used(profile.name)
    return profile


def where(args: argparse.Namespace, profile: Profile | None) -> tuple[str, str | None]:
    """The region ("us", "eu", "sandbox", "custom") and, for custom, the API URL: flags win
    over the profile, which wins over the default (US)."""
    if getattr(args, "sandbox", False):
        return "sandbox", None
    if args.api_url:
        return "custom", args.api_url
    if args.region:
        return args.region, None
    if profile is not None:
        return profile.region, profile.api_url
    return "us", None


# A profile's Nylas secret is its API's: the client secret for Connect, the API key for v3.
SECRET_KINDS_BY_API = {
    "connect": ((NYLAS_SECRET, "NYLAS_CLIENT_SECRET"),),
    "v3": ((NYLAS_SECRET, "NYLAS_API_KEY"),),
}


def saved_values(profile: Profile | None, api: Api) -> dict[str, str]:
    """The profile's ids, and from the keyring only the secrets the environment lacks (each
    keyring read may ask the desktop to unlock it)."""
    if profile is None:
        return {}
    values = {"NYLAS_CLIENT_ID": profile.nylas_client_id, "ZOOM_CLIENT_ID": profile.zoom_client_id}
    kinds = (*SECRET_KINDS_BY_API[api.value], (ZOOM_SECRET, "ZOOM_CLIENT_SECRET"))
    wanted = [(kind, name) for kind, name in kinds if not os.environ.get(name, "").strip()]
    if not wanted:
        return values  # the keyring is not even opened
    service = ProfileService(ProfileStore(AppPaths.default().profiles_file), SecretStore())
    found = service.secrets_of(profile.name, tuple(kind for kind, _name in wanted))
    for kind, name in wanted:
        secret = found[kind]
        if secret is not None:
            values[name] = secret.get_secret_value()
    return values
