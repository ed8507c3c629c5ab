"""The one SQLite database of this computer's onboarding: its schema, its migrations and how
to open it (WAL, synchronous=FULL, a busy timeout). The history and the work queue both live in
it, so a grant and the queue entry it completes are kept by the same kind of commit.

On a network share (ZOOM_ONBOARD_HOME there) WAL is unsafe, its shared memory is not shared
across computers: such a database uses a rollback journal (store/filesystems.py says when). On
macOS a commit is written with F_FULLFSYNC (fullfsync, checkpoint_fullfsync): a plain fsync there
leaves it in the drive's cache.

Connections: one per call (sqlite3 connections may not cross threads, the callers run on worker
threads and in several processes); SQLite's own locking serialises writers.
"""

from __future__ import annotations

import contextlib
import errno
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from wizard.store.filesystems import is_network_folder

__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "SCHEMA_VERSION",
    "NewerSchema",
    "connect",
    "describe",
    "explain",
    "journal_mode_for",
    "open_for_writing",
]

BUSY_TIMEOUT_SECONDS = 2.0

# Each entry migrates from user_version i to i + 1. Statements run one by one inside the
# migration's transaction (executescript would commit behind our back).
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """
        CREATE TABLE IF NOT EXISTS grants (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            created_at TEXT NOT NULL,
            profile TEXT NOT NULL,
            region TEXT NOT NULL,
            account_id TEXT NOT NULL,
            integration_id TEXT,
            grant_id TEXT NOT NULL,
            email TEXT,
            grant_status TEXT,
            verified INTEGER,
            verified_at TEXT,
            operator TEXT NOT NULL
        )
        """,
        "CREATE INDEX IF NOT EXISTS grants_account_id ON grants (account_id)",
        "CREATE INDEX IF NOT EXISTS grants_grant_id ON grants (grant_id)",
    ),
    (
        # Two Nylas APIs, a customer reference (v3 grants have no account id) and practice
        # grants made on the sandbox, kept apart from real ones.
        "ALTER TABLE grants ADD COLUMN api TEXT NOT NULL DEFAULT 'connect'",
        "ALTER TABLE grants ADD COLUMN customer TEXT",
        "ALTER TABLE grants ADD COLUMN login_hint TEXT",
        "ALTER TABLE grants ADD COLUMN practice INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE grants ADD COLUMN note TEXT",
        "CREATE INDEX IF NOT EXISTS grants_created_at ON grants (created_at)",
        # Authorizations in progress: a grant that comes back after the tool stopped listening
        # is found later by the SHA-256 of the state (never the state itself).
        """
        CREATE TABLE IF NOT EXISTS authorizations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started_at REAL NOT NULL,
            api TEXT NOT NULL,
            region TEXT NOT NULL,
            profile TEXT NOT NULL,
            integration_id TEXT,
            account_id TEXT,
            customer TEXT,
            login_hint TEXT,
            expires_at REAL NOT NULL,
            state_sha256 TEXT NOT NULL,
            practice INTEGER NOT NULL DEFAULT 0,
            outcome TEXT,
            grant_id TEXT,
            note TEXT,
            ended_at REAL
        )
        """,
        "CREATE INDEX IF NOT EXISTS authorizations_open ON authorizations (outcome, expires_at)",
    ),
    (
        # The day's work queue (store/queue.py): the accounts to onboard and how each ended.
        """
        CREATE TABLE IF NOT EXISTS queue (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            added_at REAL NOT NULL,
            account_id TEXT,
            login_hint TEXT,
            customer TEXT,
            practice INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL,
            grant_id TEXT,
            email TEXT,
            reason TEXT,
            updated_at REAL NOT NULL
        )
        """,
        "CREATE INDEX IF NOT EXISTS queue_practice_state ON queue (practice, state)",
    ),
    (
        # Who listens for a sign-in (host:pid: on v3 only that process can finish it), and the
        # API URL it was made on (a reconcile asks the same place, custom URLs included).
        "ALTER TABLE authorizations ADD COLUMN owner TEXT",
        "ALTER TABLE authorizations ADD COLUMN api_url TEXT",
        # Who works on a queue entry: one left "in progress" by a process that is gone was
        # interrupted, and is taken again.
        "ALTER TABLE queue ADD COLUMN owner TEXT",
    ),
    (
        # Links sent to a customer on another computer (flow/remote.py): finished by the
        # address the customer sends back, found by the SHA-256 of its state, exchanged with
        # the redirect URI the link was made with; the queue entry it moves when it comes.
        "ALTER TABLE authorizations ADD COLUMN remote INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE authorizations ADD COLUMN redirect_uri TEXT",
        "ALTER TABLE authorizations ADD COLUMN queue_entry INTEGER",
        "CREATE INDEX IF NOT EXISTS authorizations_state ON authorizations (state_sha256)",
        # A queue entry whose link is out with the customer, until when it works.
        "ALTER TABLE queue ADD COLUMN sent_until REAL",
        # A re-authentication from the grants worklist: the grant it renews (Connect's auth
        # request names it; v3 renews by the Zoom user's email).
        "ALTER TABLE queue ADD COLUMN renews TEXT",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)


class NewerSchema(sqlite3.DatabaseError):
    """The database was migrated by a newer version of the app; we must not write to it."""


def casefold(value: str | bytes | int | float | None) -> str | bytes | int | float | None:
    """Python's casefold in SQL: SQLite's lower() folds ASCII only, so 'Ärzte' would never
    match 'ärzte' (the filter of the History window and of `history` agree through this)."""
    return value.casefold() if isinstance(value, str) else value


@contextlib.contextmanager
def connect(db_path: Path | str) -> Iterator[sqlite3.Connection]:
    """`db_path`: a file, or ":memory:"."""
    # isolation_level=None: we issue BEGIN IMMEDIATE / COMMIT ourselves.
    conn = sqlite3.connect(db_path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    conn.create_function("casefold", 1, casefold, deterministic=True)
    if sys.platform == "darwin":  # per connection: any of them may commit or checkpoint
        conn.execute("PRAGMA fullfsync=ON")
        conn.execute("PRAGMA checkpoint_fullfsync=ON")
    try:
        yield conn
    finally:
        conn.close()


def journal_mode_for(db_path: Path | str) -> str:
    """WAL, or DELETE (a rollback journal) for a database on a network share."""
    if not str(db_path) or str(db_path) == ":memory:":
        return "wal"
    return "delete" if is_network_folder(Path(db_path).parent) else "wal"


def open_for_writing(conn: sqlite3.Connection) -> None:
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    wanted = journal_mode_for(_main_file(conn))
    if str(mode).lower() != wanted:
        _switch_journal(conn, wanted)  # persistent: done once per database
    # FULL: the commit is fsynced before returning (NORMAL could lose it in WAL mode).
    conn.execute("PRAGMA synchronous=FULL")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise NewerSchema(f"schema version {version}, this app knows {SCHEMA_VERSION}")
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Re-read under the write lock: another process may have migrated meanwhile.
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for step in range(version, SCHEMA_VERSION):
            for statement in MIGRATIONS[step]:
                conn.execute(statement)
        if version < SCHEMA_VERSION:
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION:d}")
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise


def _main_file(conn: sqlite3.Connection) -> str:
    for _seq, name, file in conn.execute("PRAGMA database_list"):
        if name == "main":
            return str(file or "")
    return ""


def _switch_journal(conn: sqlite3.Connection, mode: str) -> None:
    # Changing the journal mode answers SQLITE_BUSY at once, without the busy handler, when
    # another process is creating the same new database: retry within the same time budget.
    # Leaving WAL needs the database to itself: while another process has it open the mode
    # stays WAL, and the next open tries again.
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            conn.execute(f"PRAGMA journal_mode={'WAL' if mode == 'wal' else 'DELETE'}")
            return
        except sqlite3.OperationalError as exc:
            busy = str(getattr(exc, "sqlite_errorname", "")).startswith("SQLITE_BUSY")
            if not busy or time.monotonic() >= deadline:
                raise
        time.sleep(0.01)


# -- what went wrong, in words ---------------------------------------------------------------


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def explain(exc: BaseException, db: Path, instead: str) -> str:
    """A sentence for the operator: what is wrong with the database at `db` (from the
    exception of a write), then `instead` (what is done about it)."""
    name = str(getattr(exc, "sqlite_errorname", ""))
    message = str(exc).lower()
    errno_ = exc.errno if isinstance(exc, OSError) else None
    if isinstance(exc, NewerSchema):
        return f"The history database {db} was created by a newer version of this app; {instead}"
    if (
        name.startswith("SQLITE_READONLY")
        or "readonly" in message
        or errno_ in (errno.EROFS, errno.EACCES, errno.EPERM)
    ):
        return f"The history database {db} is read-only; {instead}"
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or (
        "not a database" in message or "malformed" in message
    ):
        return (
            f"The history database {db} is damaged ({exc}); {instead} "
            "Keep the damaged file for an engineer."
        )
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in message:
        return (
            f"The history database {db} stayed locked by another program for more than "
            f"{BUSY_TIMEOUT_SECONDS:g} seconds; {instead}"
        )
    if name.startswith("SQLITE_FULL") or errno_ == errno.ENOSPC:
        return f"The disk holding the history database {db} is full; {instead}"
    if name.startswith("SQLITE_CANTOPEN") or "unable to open" in message:
        return (
            f"The history database {db} cannot be opened (is it read-only, a folder, or in "
            f"a folder that cannot be written?); {instead}"
        )
    return f"The history database {db} could not be written ({describe(exc)}); {instead}"
