"""Saved profiles: the non-secret settings of one Nylas application, kept in a JSON file.

The file is meant to be read by people (indent=2, sorted) and never holds a secret: those live in
the OS keyring (`wizard.store.secrets`). Renaming or deleting a profile here does not touch its
secrets; callers do both (`SecretStore.rename_profile` / `delete_profile`).

Every operation re-reads the file and writes it back atomically, so the wizard and the CLI can
run side by side; two saves at the very same moment are resolved as "last one wins", which is
acceptable for a file a person edits a few times a month.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

from wizard.defaults import DEFAULT_GRANT_LIFETIME, DEFAULT_INTEGRATION_NAME, DEFAULT_REDIRECT_URI
from wizard.listener.redirect_uri import InvalidRedirectUri, LoopbackRedirectUri
from wizard.store.durable import full_fsync, replace_retrying
from wizard.validation import validate_landing_page, validate_lifetime

__all__ = ["FILE_VERSION", "MAX_NAME_LENGTH", "REGIONS", "Profile", "ProfileError", "ProfileStore"]

FILE_VERSION = 1
REGIONS = ("us", "eu", "sandbox", "custom")
APIS = ("v3", "connect")
MAX_NAME_LENGTH = 64


class ProfileError(ValueError):
    """A profile or the profiles file is not usable; the message says what to do."""


@dataclass(frozen=True)
class Profile:
    name: str
    region: str
    api_url: str | None = None
    nylas_client_id: str = ""
    zoom_client_id: str = ""
    integration_name: str = DEFAULT_INTEGRATION_NAME
    redirect_uri: str = DEFAULT_REDIRECT_URI
    grant_lifetime: int = DEFAULT_GRANT_LIFETIME  # seconds
    # Profiles saved before v3 existed were for the Connect API; new ones name theirs.
    api: str = "connect"
    # A company's copy of resources/landing/ for customers elsewhere ("": none).
    landing_page: str = ""

    def __post_init__(self) -> None:
        if self.api not in APIS:
            raise ProfileError(f"Unknown API {self.api!r}: choose one of {', '.join(APIS)}.")
        # Frozen: normalised values are set through object.__setattr__.
        object.__setattr__(self, "name", validate_name(self.name))
        region = self.region.strip().lower()
        if region not in REGIONS:
            raise ProfileError(
                f"Unknown region {self.region!r}: choose one of {', '.join(REGIONS)}."
            )
        object.__setattr__(self, "region", region)
        api_url = (self.api_url or "").strip() or None
        if region == "custom":
            if api_url is None:
                raise ProfileError(
                    "The custom region needs an API URL: enter the Nylas Connect API base URL, "
                    "for example https://nylas.example.com."
                )
            api_url = _validate_api_url(api_url)
        elif api_url is not None:
            raise ProfileError(
                f"An API URL is only used with the custom region, not {region!r}: "
                "clear the API URL or choose the custom region."
            )
        object.__setattr__(self, "api_url", api_url)
        object.__setattr__(self, "nylas_client_id", self.nylas_client_id.strip())
        object.__setattr__(self, "zoom_client_id", self.zoom_client_id.strip())
        integration_name = self.integration_name.strip()
        if not integration_name:
            raise ProfileError("Enter a name for the integration, for example 'Zoom'.")
        object.__setattr__(self, "integration_name", integration_name)
        try:
            LoopbackRedirectUri.parse(self.redirect_uri)
        except InvalidRedirectUri as exc:
            raise ProfileError(f"The redirect URI is not usable: {exc}.") from None
        object.__setattr__(self, "redirect_uri", self.redirect_uri.strip())
        # bool is an int in Python; a JSON `true` must not pass as a lifetime of 1 second.
        if isinstance(self.grant_lifetime, bool) or not isinstance(self.grant_lifetime, int):
            raise ProfileError("The grant lifetime must be a whole number of seconds.")
        try:
            validate_lifetime(self.grant_lifetime)
            landing = self.landing_page.strip()
            object.__setattr__(self, "landing_page", landing and validate_landing_page(landing))
        except ValueError as exc:
            raise ProfileError(str(exc)) from None


def validate_name(name: str) -> str:
    """The trimmed name, or ProfileError saying what to change."""
    trimmed = name.strip()
    if not trimmed:
        raise ProfileError("Enter a profile name, for example 'Acme production'.")
    if len(trimmed) > MAX_NAME_LENGTH:
        raise ProfileError(
            f"A profile name can have at most {MAX_NAME_LENGTH} characters; "
            f"this one has {len(trimmed)}. Choose a shorter name."
        )
    if "/" in trimmed or "\\" in trimmed:
        raise ProfileError(f"A profile name cannot contain / or \\ ({trimmed!r}): remove them.")
    # isprintable() is False for control, format and separator characters other than space.
    if not all(ch.isprintable() for ch in trimmed):
        raise ProfileError(
            f"The profile name {trimmed!r} contains invisible or control characters: retype it."
        )
    return trimmed


def _validate_api_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ProfileError(
            f"The API URL {url!r} is not a web address: enter one starting with https://, "
            "for example https://nylas.example.com."
        )
    if parts.query or parts.fragment or any(ch.isspace() for ch in url):
        raise ProfileError(
            f"The API URL {url!r} must be a plain base URL without spaces, ? or #: "
            "remove everything after the host name and path."
        )
    try:
        _ = parts.port  # raises for a non-numeric or out-of-range port
    except ValueError:
        raise ProfileError(f"The API URL {url!r} has an invalid port number.") from None
    return url.rstrip("/")


_FIELD_NAMES = tuple(f.name for f in fields(Profile))


def _profile_from_json(entry: object) -> Profile:
    if not isinstance(entry, dict):
        raise ProfileError("a profile entry is not a JSON object")
    # Unknown keys (written by a later version) are ignored rather than failing the whole file.
    values = {key: entry[key] for key in _FIELD_NAMES if key in entry}
    for key in ("name", "region"):
        if key not in values:
            raise ProfileError(f"a profile entry has no {key!r}")
    for key, value in values.items():
        expected: tuple[type, ...]
        if key == "grant_lifetime":
            expected = (int,)
        elif key == "api_url":
            expected = (str, type(None))
        else:
            expected = (str,)
        if not isinstance(value, expected) or (key == "grant_lifetime" and isinstance(value, bool)):
            raise ProfileError(f"the profile field {key!r} has the wrong type")
    return Profile(**values)


class ProfileStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    # -- reading ---------------------------------------------------------------------------

    def list(self) -> builtins.list[Profile]:
        """All profiles, sorted by name (case-insensitive)."""
        profiles, _ = self._load()
        return _sorted(profiles)

    def names(self) -> tuple[builtins.list[str], str | None]:
        """The saved profiles' names, in list order, and the one used last (one read)."""
        profiles, last = self._load()
        return [p.name for p in _sorted(profiles)], last if last in profiles else None

    def get(self, name: str) -> Profile:
        profiles, _ = self._load()
        return self._require(profiles, name)

    @property
    def last_used(self) -> str | None:
        """The profile used last, if it still exists."""
        profiles, last = self._load()
        return last if last in profiles else None

    # -- changing --------------------------------------------------------------------------

    def save(self, profile: Profile) -> None:
        """Create or replace the profile with this name."""
        profiles, last = self._load()
        profiles[profile.name] = profile
        self._write(profiles, last)

    def rename(self, old: str, new: str) -> None:
        profiles, last = self._load()
        current = self._require(profiles, old)
        new_name = validate_name(new)
        if new_name == current.name:
            return
        if new_name in profiles:
            raise ProfileError(
                f"A profile named {new_name!r} already exists: choose another name, "
                "or delete that profile first."
            )
        del profiles[current.name]
        profiles[new_name] = replace(current, name=new_name)
        self._write(profiles, new_name if last == current.name else last)

    def delete(self, name: str) -> None:
        profiles, last = self._load()
        current = self._require(profiles, name)
        del profiles[current.name]
        self._write(profiles, None if last == current.name else last)

    def set_last_used(self, name: str) -> None:
        profiles, _ = self._load()
        current = self._require(profiles, name)
        self._write(profiles, current.name)

    # -- the file --------------------------------------------------------------------------

    def _require(self, profiles: dict[str, Profile], name: str) -> Profile:
        found = profiles.get(name.strip())
        if found is None:
            saved = sorted(profiles, key=lambda n: (n.casefold(), n))
            listing = f"Saved profiles: {', '.join(saved)}." if saved else "No profiles are saved."
            raise ProfileError(f"No profile named {name.strip()!r}. {listing}")
        return found

    def _load(self) -> tuple[dict[str, Profile], str | None]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}, None
        except IsADirectoryError as exc:  # not a profiles file at all: make room for one
            self._keep_aside(f"it could not be read ({exc.strerror or exc})")
        except OSError as exc:
            # A real file that cannot be read now (permissions, another program's lock) is not
            # corrupt: leave it where it is.
            raise ProfileError(
                f"The profiles file {self.path} could not be read ({exc.strerror or exc}). "
                "Check its permissions and close other programs that may hold it, then try "
                "again."
            ) from None
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            self._keep_aside(f"it is not valid JSON ({exc})")
        except RecursionError:  # json.loads recurses once per level of nesting
            self._keep_aside("it is nested too deeply to be a profiles file")
        if not isinstance(data, dict):
            self._keep_aside("it does not hold a JSON object")
        version = data.get("version")
        if isinstance(version, int) and not isinstance(version, bool) and version > FILE_VERSION:
            # Not corrupt: a newer app wrote it. Leave it in place and refuse to overwrite it.
            raise ProfileError(
                f"The profiles file {self.path} was written by a newer version of this app "
                f"(format {version}); update the app to use it."
            )
        if version != FILE_VERSION:
            self._keep_aside(f'its "version" is {version!r}, not {FILE_VERSION}')
        entries = data.get("profiles", [])
        last = data.get("last_used")
        if not isinstance(entries, builtins.list) or not isinstance(last, str | None):
            self._keep_aside('its "profiles" or "last_used" field has the wrong type')
        profiles: dict[str, Profile] = {}
        for index, entry in enumerate(entries):
            try:
                profile = _profile_from_json(entry)
            except ProfileError as exc:
                self._keep_aside(f"profile number {index + 1} is invalid: {exc}")
            if profile.name in profiles:
                self._keep_aside(f"the name {profile.name!r} appears twice")
            profiles[profile.name] = profile
        return profiles, last

    def _keep_aside(self, why: str) -> NoReturn:
        """Move the unusable file out of the way so the app can start fresh, and say so."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        counter = 1
        while aside.exists():  # two failures within a second must not overwrite each other
            aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{counter}")
            counter += 1
        try:
            replace_retrying(self.path, aside)
        except FileNotFoundError:
            # Another instance moved it meanwhile; its copy is kept aside all the same.
            raise ProfileError(
                f"The profiles file {self.path} could not be used because {why}; another "
                "window of this app already moved it aside. Start again with new profiles."
            ) from None
        except OSError as exc:
            raise ProfileError(
                f"The profiles file {self.path} could not be used because {why}, and it could "
                f"not be moved aside ({exc.strerror or exc}). Move or delete it yourself, then "
                "start again."
            ) from None
        raise ProfileError(
            f"The profiles file {self.path} could not be used because {why}. It was kept "
            f"aside as {aside.name} (nothing was deleted) and you can start again with new "
            "profiles; send that file to an engineer if you need its profiles back."
        )

    def _write(self, profiles: dict[str, Profile], last_used: str | None) -> None:
        ordered = sorted(profiles.values(), key=lambda p: (p.name.casefold(), p.name))
        document = {
            "version": FILE_VERSION,
            "last_used": last_used,
            "profiles": [asdict(p) for p in ordered],
        }
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        try:
            _atomic_write(self.path, text.encode("utf-8"))
        except OSError as exc:
            raise ProfileError(
                f"The profiles could not be saved to {self.path} ({exc.strerror or exc}). "
                "Check that the folder exists, is writable and the disk is not full; "
                "the previous file is unchanged."
            ) from None


def _atomic_write(path: Path, data: bytes) -> None:
    """Readers see the old file or the new one, never half of one, even after a power cut."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # The temp file must be in the same folder: os.replace is only atomic within a filesystem.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            full_fsync(tmp.fileno())
        replace_retrying(tmp_name, path)  # Windows: not while another process reads it
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable on POSIX; Windows cannot open a directory, and needn't.
    if os.name != "posix":
        return
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _sorted(profiles: dict[str, Profile]) -> list[Profile]:
    return sorted(profiles.values(), key=lambda p: (p.name.casefold(), p.name))
