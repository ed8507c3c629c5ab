"""Secrets in a real Secret Service: GNOME Keyring's daemon on a private D-Bus session bus,
started and unlocked here, driven through the same code the wizard uses (ProfileService over
SecretStore) in a child process (keyring chooses its backend once per process). Then what an
operator meets when the collection is locked or the daemon goes away mid-session: a clear
reason, the session-only fallback, and nothing written in plain text."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers.ci import ROOT

pytestmark = pytest.mark.linux_only  # GNOME Keyring's daemon on a D-Bus session bus

SECRET = "nyk_gnome_keyring_test_value_4f2a9c"


def child(env: dict[str, str], script: str) -> dict[str, object]:
    """Run PRELUDE and `script` (which ends by printing one JSON line) in a process of its
    own."""
    done = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


PRELUDE = f"""
import json, os, signal, time
from pydantic import SecretStr
from wizard.store.paths import AppPaths
from wizard.store.profile_service import ProfileService
from wizard.store.profiles import Profile, ProfileStore
from wizard.store.secret_kinds import NYLAS_SECRET, ZOOM_SECRET
from wizard.store.secrets import SecretStore

def wait_for_service(store_factory):
    for _ in range(100):  # the daemon registers its bus name a moment after it starts
        store = store_factory()
        if store.available and store.set("probe", NYLAS_SECRET, SecretStr("probe-value")):
            store.delete_profile("probe")
            return store
        time.sleep(0.1)
    raise SystemExit("the Secret Service never answered")

secrets = wait_for_service(SecretStore)
paths = AppPaths.default()
service = ProfileService(ProfileStore(paths.profiles_file), secrets)
SECRET = {SECRET!r}
"""


def test_profiles_save_read_rename_and_delete_through_the_real_secret_service(
    secret_service: dict[str, str], tmp_path: Path
) -> None:
    result = child(
        secret_service,
        """
        kept = service.save(Profile(name="acme", region="eu"), {NYLAS_SECRET: SECRET})
        renamed = service.rename("acme", "acme-eu")
        again = ProfileService(ProfileStore(paths.profiles_file), SecretStore())  # a new window
        opened = again.open("acme-eu")
        old = again.secrets_of("acme", (NYLAS_SECRET,))[NYLAS_SECRET]
        read = opened.secrets[NYLAS_SECRET]
        again.delete("acme-eu")
        gone = SecretStore().get("acme-eu", NYLAS_SECRET)
        print(json.dumps({
            "backend": secrets.backend_name, "kept": kept, "renamed": renamed,
            "read": read.get_secret_value() if read else None, "old": old is None,
            "gone": gone is None,
        }))
        """,
    )
    assert result == {
        "backend": "keyring.backends.SecretService.Keyring",
        "kept": True,
        "renamed": "acme-eu",
        "read": SECRET,
        "old": True,
        "gone": True,
    }
    for path in tmp_path.joinpath("app").rglob("*"):  # nothing of it in the app's files
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_a_locked_collection_refuses_one_call_and_a_daemon_that_goes_away_ends_the_keyring(
    secret_service: dict[str, str], tmp_path: Path
) -> None:
    result = child(
        secret_service,
        """
        import secretstorage
        connection = secretstorage.dbus_init()
        secretstorage.get_default_collection(connection).lock()
        locked_store = SecretStore()
        kept_locked = locked_store.set("p", NYLAS_SECRET, SecretStr(SECRET))
        locked_reason = locked_store.refused  # this one call; the keyring stays in use
        still_on = locked_store.available
        session_copy = locked_store.get("p", NYLAS_SECRET)

        live = SecretStore()
        # The daemon dies, and the session bus with it (D-Bus would start a new daemon,
        # whose collection is locked: one more refusal, not a failure).
        os.kill(int(os.environ["TEST_KEYRING_DAEMON_PID"]), signal.SIGKILL)
        os.kill(int(os.environ["TEST_DBUS_DAEMON_PID"]), signal.SIGKILL)
        time.sleep(0.5)
        kept_dead = live.set("q", ZOOM_SECRET, SecretStr(SECRET))
        print(json.dumps({
            "kept_locked": kept_locked, "locked_reason": locked_reason, "still_on": still_on,
            "session_copy": session_copy.get_secret_value() if session_copy else None,
            "kept_dead": kept_dead, "dead_reason": live.unavailable_reason,
            "after": live.get("q", ZOOM_SECRET).get_secret_value(),
        }))
        """,
    )
    assert result["kept_locked"] is False  # not kept in the keyring, and says so
    # A locked collection that was not unlocked refuses that call only (as a Keychain's Deny).
    assert "refused to write" in str(result["locked_reason"])
    assert result["still_on"] is True
    assert result["session_copy"] == SECRET  # still usable for this session
    assert result["kept_dead"] is False and "session only" in str(result["dead_reason"])
    assert result["after"] == SECRET
    assert SECRET not in str(result["locked_reason"]) + str(result["dead_reason"])
    for path in tmp_path.rglob("*"):
        if path.is_file() and "keyrings" not in path.parts:
            assert SECRET.encode() not in path.read_bytes(), path
