"""ProfileStore: a human-readable JSON file, written atomically, that never silently loses data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wizard.store.paths import AppPaths
from wizard.store.profiles import Profile, ProfileError, ProfileStore


@pytest.fixture
def store(paths: AppPaths) -> ProfileStore:
    return ProfileStore(paths.profiles_file)


def test_empty_store_lists_nothing_and_creates_no_file(store: ProfileStore) -> None:
    assert store.list() == []
    assert store.last_used is None
    assert not store.path.exists()


def test_round_trip_keeps_every_field(store: ProfileStore, paths: AppPaths) -> None:
    custom = Profile(
        name="  Acme EU  ",
        region="custom",
        api_url="https://nylas.example.com/",
        nylas_client_id="nyl-id",
        zoom_client_id="zoom-id",
        integration_name="Zoom (Acme)",
        redirect_uri="http://127.0.0.1:9100/cb",
        grant_lifetime=3600,
        landing_page=" https://www.example.com/zoom-connected.html ",
    )
    plain = Profile(name="beta", region="US")
    store.save(custom)
    store.save(plain)
    assert custom.name == "Acme EU"
    assert custom.api_url == "https://nylas.example.com"  # trailing slash dropped
    assert plain.region == "us"
    assert custom.landing_page == "https://www.example.com/zoom-connected.html"
    assert plain.landing_page == ""  # none: links end on the loopback address

    again = ProfileStore(paths.profiles_file)  # a fresh reader, as another process would be
    assert again.list() == [custom, plain]
    assert again.get("Acme EU") == custom
    assert again.get(" beta ") == plain

    document = json.loads(paths.profiles_file.read_text("utf-8"))
    assert document["version"] == 1
    assert [p["name"] for p in document["profiles"]] == ["Acme EU", "beta"]
    assert "\n  " in paths.profiles_file.read_text("utf-8")  # indented for people


def test_list_is_sorted_by_name_ignoring_case(store: ProfileStore) -> None:
    for name in ("zeta", "Alpha", "beta"):
        store.save(Profile(name=name, region="eu"))
    assert [p.name for p in store.list()] == ["Alpha", "beta", "zeta"]


def test_save_replaces_a_profile_with_the_same_name(store: ProfileStore) -> None:
    store.save(Profile(name="a", region="us", nylas_client_id="old"))
    store.save(Profile(name="a", region="eu", nylas_client_id="new"))
    assert store.list() == [Profile(name="a", region="eu", nylas_client_id="new")]


def test_get_unknown_names_the_saved_profiles(store: ProfileStore) -> None:
    with pytest.raises(ProfileError, match=r"No profile named 'x'\. No profiles are saved\."):
        store.get("x")
    store.save(Profile(name="b", region="us"))
    store.save(Profile(name="a", region="us"))
    with pytest.raises(ProfileError, match=r"^No profile named 'x'\. Saved profiles: a, b\.$"):
        store.get("x")


def test_rename_moves_the_profile_and_last_used(store: ProfileStore) -> None:
    store.save(Profile(name="old", region="sandbox", zoom_client_id="z"))
    store.save(Profile(name="other", region="us"))
    store.set_last_used("old")
    store.rename("old", " new ")
    assert [p.name for p in store.list()] == ["new", "other"]
    assert store.get("new").zoom_client_id == "z"
    assert store.last_used == "new"
    with pytest.raises(ProfileError, match="already exists"):
        store.rename("new", "other")
    with pytest.raises(ProfileError, match="No profile named 'gone'"):
        store.rename("gone", "x")
    with pytest.raises(ProfileError, match="cannot contain"):
        store.rename("new", "a/b")
    assert [p.name for p in store.list()] == ["new", "other"]  # refusals changed nothing


def test_delete_removes_the_profile_and_clears_last_used(store: ProfileStore) -> None:
    store.save(Profile(name="a", region="us"))
    store.save(Profile(name="b", region="us"))
    store.set_last_used("a")
    store.delete("a")
    assert [p.name for p in store.list()] == ["b"]
    assert store.last_used is None
    with pytest.raises(ProfileError, match="No profile named 'a'"):
        store.delete("a")


def test_last_used_must_exist(store: ProfileStore) -> None:
    with pytest.raises(ProfileError, match="No profile named"):
        store.set_last_used("nobody")
    store.save(Profile(name="a", region="us"))
    store.set_last_used("a")
    assert ProfileStore(store.path).last_used == "a"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Enter a profile name"),
        ("   ", "Enter a profile name"),
        ("x" * 65, "at most 64 characters"),
        ("a/b", "cannot contain"),
        ("a\\b", "cannot contain"),
        ("tab\there", "control characters"),
        ("new\nline", "control characters"),
        ("zero\u200bwidth", "control characters"),
    ],
)
def test_bad_names_are_refused(name: str, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        Profile(name=name, region="us")


def test_longest_name_is_accepted() -> None:
    assert Profile(name="é" * 64, region="us").name == "é" * 64


@pytest.mark.parametrize(
    ("region", "api_url", "message"),
    [
        ("custom", None, "custom region needs an API URL"),
        ("custom", "  ", "custom region needs an API URL"),
        ("custom", "nylas.example.com", "not a web address"),
        ("custom", "ftp://nylas.example.com", "not a web address"),
        ("custom", "https://", "not a web address"),
        ("custom", "https://nylas.example.com/?x=1", "plain base URL"),
        ("custom", "https://nylas.example.com/#top", "plain base URL"),
        ("custom", "https://nylas.example.com:99999", "invalid port"),
        ("us", "https://nylas.example.com", "only used with the custom region"),
        ("mars", None, "Unknown region 'mars'"),
    ],
)
def test_region_and_api_url_validation(region: str, api_url: str | None, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        Profile(name="p", region=region, api_url=api_url)


def test_custom_region_accepts_http_and_https() -> None:
    assert Profile(name="p", region="custom", api_url="http://127.0.0.1:8080").api_url == (
        "http://127.0.0.1:8080"
    )
    assert Profile(name="p", region="custom", api_url="https://x.example/api/").api_url == (
        "https://x.example/api"
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"redirect_uri": "https://localhost:9007/callback"}, "redirect URI is not usable"),
        ({"redirect_uri": "http://example.com:9007/callback"}, "redirect URI is not usable"),
        ({"grant_lifetime": 10}, "between"),
        ({"grant_lifetime": True}, "whole number"),
        ({"integration_name": " "}, "name for the integration"),
        ({"landing_page": "http://www.example.com/zoom.html"}, "must be an https address"),
        ({"landing_page": "https://www.example.com/zoom.html?x=1"}, "plain address of a page"),
    ],
)
def test_other_fields_are_validated(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        Profile(name="p", region="us", **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"{ not json", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b"[1, 2]", "does not hold a JSON object"),
        (b'{"version": 1, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply"),
        (b'{"version": 1, "profiles": [{"name": "a"}]}', "profile number 1 is invalid"),
        (b'{"version": 1, "profiles": [{"name": "a/b", "region": "us"}]}', "cannot contain"),
        (
            b'{"version": 1, "profiles": [{"name": "a", "region": "us", "grant_lifetime": "9"}]}',
            "wrong type",
        ),
        (b'{"profiles": []}', "version"),
        (b'{"version": 1, "profiles": {"a": 1}}', "wrong type"),
        (
            b'{"version": 1, "profiles": [{"name": "a", "region": "us"}, '
            b'{"name": "a", "region": "eu"}]}',
            "appears twice",
        ),
    ],
)
def test_corrupt_file_is_kept_aside_with_a_clear_error(
    store: ProfileStore, paths: AppPaths, content: bytes, why: str
) -> None:
    paths.config_dir.mkdir(parents=True)
    paths.profiles_file.write_bytes(content)
    with pytest.raises(ProfileError) as raised:
        store.list()
    message = str(raised.value)
    assert str(paths.profiles_file) in message
    assert why in message
    assert "kept aside" in message
    aside = list(paths.config_dir.glob("profiles.json.corrupt-*"))
    assert len(aside) == 1
    assert aside[0].name in message
    assert aside[0].read_bytes() == content  # nothing lost
    # The app can start fresh.
    assert store.list() == []
    store.save(Profile(name="fresh", region="us"))
    assert [p.name for p in store.list()] == ["fresh"]


def test_two_corrupt_files_in_the_same_second_are_both_kept(
    store: ProfileStore, paths: AppPaths
) -> None:
    paths.config_dir.mkdir(parents=True)
    for content in (b"first", b"second"):
        paths.profiles_file.write_bytes(content)
        with pytest.raises(ProfileError, match="kept aside"):
            store.list()
    kept = sorted(p.read_bytes() for p in paths.config_dir.glob("profiles.json.corrupt-*"))
    assert kept == [b"first", b"second"]


def test_unreadable_file_is_kept_aside(store: ProfileStore, paths: AppPaths) -> None:
    paths.profiles_file.mkdir(parents=True)  # a folder where the file should be: read fails
    with pytest.raises(ProfileError, match=r"could not be read.*kept aside"):
        store.list()
    assert list(paths.config_dir.glob("profiles.json.corrupt-*"))
    assert store.list() == []


def test_file_from_a_newer_version_is_left_alone(store: ProfileStore, paths: AppPaths) -> None:
    paths.config_dir.mkdir(parents=True)
    paths.profiles_file.write_text('{"version": 2, "profiles": []}')
    with pytest.raises(ProfileError, match="newer version"):
        store.save(Profile(name="a", region="us"))
    assert paths.profiles_file.read_text() == '{"version": 2, "profiles": []}'
    assert not list(paths.config_dir.glob("profiles.json.corrupt-*"))


def test_unknown_fields_from_later_versions_are_ignored(
    store: ProfileStore, paths: AppPaths
) -> None:
    paths.config_dir.mkdir(parents=True)
    paths.profiles_file.write_text(
        json.dumps(
            {
                "version": 1,
                "future": True,
                "profiles": [{"name": "a", "region": "us", "colour": "blue"}],
            }
        )
    )
    assert store.list() == [Profile(name="a", region="us")]


def test_writes_are_atomic_and_leave_no_temp_files(
    store: ProfileStore, paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(5):
        store.save(Profile(name=f"p{i}", region="us"))
    assert sorted(p.name for p in paths.config_dir.iterdir()) == ["profiles.json"]

    # A failure while writing leaves the previous file intact and no temp file behind.
    before = paths.profiles_file.read_bytes()

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("wizard.store.profiles.os.replace", broken_replace)
    with pytest.raises(ProfileError, match=r"could not be saved.*previous file is unchanged"):
        store.save(Profile(name="p9", region="us"))
    monkeypatch.undo()
    assert paths.profiles_file.read_bytes() == before
    assert sorted(p.name for p in paths.config_dir.iterdir()) == ["profiles.json"]


def test_file_never_contains_secret_fields(store: ProfileStore, paths: AppPaths) -> None:
    store.save(Profile(name="a", region="us", nylas_client_id="id"))
    text = paths.profiles_file.read_text("utf-8").lower()
    assert "secret" not in text


def test_a_file_that_cannot_be_read_now_is_left_in_place(
    store: ProfileStore, paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.save(Profile(name="a", region="us"))
    original = paths.profiles_file.read_bytes()

    def locked(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    with monkeypatch.context() as patch:
        patch.setattr(Path, "read_bytes", locked)
        with pytest.raises(ProfileError, match=r"could not be read.*permissions"):
            store.list()
    assert paths.profiles_file.read_bytes() == original
    assert not list(paths.config_dir.glob("profiles.json.corrupt-*"))
