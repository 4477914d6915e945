"""The embedded backend: one SQLite file, WAL mode, one connection per thread.

Appends are written in batches (:mod:`.group_commit`: the appends of a process's threads
arriving together, in one transaction) serialized with ``BEGIN IMMEDIATE``: the head is read and
moved in the writer's own transaction, so threads and processes sharing the file keep one chain.
Before it, a batch's writer takes an exclusive ``flock`` on ``<log>-writer``: the processes of a
service queue there and are woken as soon as the lock is free, where SQLite's busy handler would
poll, sleeping up to 100 ms at a time.
Every connection syncs with ``synchronous=FULL``: a committed batch survives a crash of the
process and a power loss, and no caller returns before its batch is committed. The file, its
``-wal`` and ``-shm`` are made readable by their owner only (0600), the directory 0700 when
created here.

The schema's version is SQLite's ``user_version``. Version 3 added the hash chain and the real
columns: a log of version 1 or 2 is migrated when opened, its rows read back from their JSON and
chained in the order they were written — the chain vouches for them from the migration on.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from policyeval.decision_log.chain import GENESIS, Content, Linked
from policyeval.decision_log.entries import CONTENT, content_from_detail
from policyeval.decision_log.group_commit import EntryRefused
from policyeval.decision_log.query import COLUMNS, Dialect
from policyeval.decision_log.store import (
    DecisionLogError,
    LogStore,
    chain_batch,
    insert_values,
    next_entry,
)

__all__ = ["SCHEMA_VERSION", "SqliteStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    decision_id     TEXT PRIMARY KEY,
    asked_by        TEXT NOT NULL,
    question        TEXT NOT NULL,
    decision        TEXT NOT NULL,
    detail          TEXT NOT NULL,
    policy_version  TEXT NOT NULL,
    facts_version   TEXT NOT NULL,
    recorded_at     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_recorded_at ON decisions (recorded_at);
"""

_CHAIN = """
ALTER TABLE decisions ADD COLUMN seq INTEGER;
ALTER TABLE decisions ADD COLUMN prev_hash TEXT;
ALTER TABLE decisions ADD COLUMN entry_hash TEXT;
ALTER TABLE decisions ADD COLUMN customer TEXT NOT NULL DEFAULT '';
ALTER TABLE decisions ADD COLUMN executor TEXT NOT NULL DEFAULT '';
ALTER TABLE decisions ADD COLUMN secrets TEXT NOT NULL DEFAULT '[]';
ALTER TABLE decisions ADD COLUMN on_date TEXT NOT NULL DEFAULT '';
ALTER TABLE decisions ADD COLUMN hypothetical INTEGER NOT NULL DEFAULT 0;
CREATE TABLE decision_log_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    entry_hash TEXT NOT NULL,
    recorded_at TEXT
);
"""

_INDEXES = """
CREATE UNIQUE INDEX decisions_seq ON decisions (seq);
CREATE INDEX decisions_customer ON decisions (customer, seq);
CREATE INDEX decisions_executor ON decisions (executor, seq);
CREATE INDEX decisions_asked_by ON decisions (asked_by, seq);
CREATE INDEX decisions_on_date ON decisions (on_date, seq);
"""

_SQLITE = Dialect(
    mark="?",
    has_secret="EXISTS (SELECT 1 FROM json_each(decisions.secrets) WHERE json_each.value = ?)",
)
_INSERT = f"INSERT INTO decisions ({COLUMNS}) VALUES ({', '.join('?' * (3 + len(CONTENT)))})"
_FILLED = ("customer", "executor", "secrets", "on_date", "hypothetical")
_CHAIN_ROW = (
    "UPDATE decisions SET seq = ?, prev_hash = ?, entry_hash = ?, "
    f"{', '.join(f'{column} = ?' for column in _FILLED)} WHERE decision_id = ?"
)
_MOVE_HEAD = "INSERT OR REPLACE INTO decision_log_head VALUES (1, ?, ?, ?)"
_REFUSED = (sqlite3.IntegrityError, sqlite3.InterfaceError, sqlite3.ProgrammingError)
"""What refuses one entry's insert (a duplicate id, a value SQLite cannot store) and nothing
else: SQLite backs out the failed statement alone and the transaction goes on."""
_UNLINKABLE = (TypeError, ValueError)
"""What refuses one entry's link (content the canonical JSON cannot hold), before any write."""


class SqliteStore(LogStore):
    """The log in the SQLite file at ``path``."""

    dialect = _SQLITE

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        try:
            _create_owner_only(path)
            with self._write() as db:
                _migrate(db)
            self._connection().execute("PRAGMA journal_mode=WAL")
        except (OSError, sqlite3.Error) as exc:
            raise DecisionLogError(f"cannot open the decision log `{path}`: {exc}") from exc
        _owner_only(path)

    def _append_batch(self, contents: list[Content]) -> list[Linked | EntryRefused]:
        with _exclusive(_writer_lock(self.path)), self._write() as db:
            ((seq, prev_hash),) = db.execute("SELECT seq, entry_hash FROM decision_log_head")
            outcomes, last = chain_batch(
                (seq, prev_hash),
                contents,
                lambda entry: _insert(db, entry),
                _REFUSED + _UNLINKABLE,
            )
            if last is not None:
                db.execute(_MOVE_HEAD, (last.seq, last.entry_hash, last.content["recorded_at"]))
        return outcomes

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        db.execute("PRAGMA synchronous=FULL")  # per connection: each commit synced to disk
        return db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One writer at a time: committed on success, rolled back on any error (the commit's
        own included)."""
        db: sqlite3.Connection = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            self._roll_back(db)
            raise

    def _roll_back(self, db: sqlite3.Connection) -> None:
        """Undo the open transaction; a connection that cannot is closed (which undoes it)."""
        try:
            if db.in_transaction:
                db.execute("ROLLBACK")
        except sqlite3.Error:
            self.close()


def _insert(db: sqlite3.Connection, entry: Linked) -> None:
    """Insert ``entry``; a refusal leaves the transaction open and the entry out."""
    try:
        db.execute(_INSERT, insert_values(entry))
    except _REFUSED as exc:
        if not db.in_transaction:  # a refusal that ended the transaction: the batch fails
            raise sqlite3.OperationalError("the transaction ended with a refused entry") from exc
        raise


def _writer_lock(path: Path) -> Path:
    """The file the writers of the log at ``path`` queue on."""
    return path.with_name(f"{path.name}-writer")


@contextmanager
def _exclusive(lock: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``lock`` (created 0600), waiting for it without polling."""
    descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def _migrate(db: sqlite3.Connection) -> None:
    """Bring the log's schema to `SCHEMA_VERSION`; rows already logged stay readable."""
    _create(db)
    (version,) = db.execute("PRAGMA user_version").fetchone()
    version = max(version, 1)
    if version == 1 and _has_column(db, "redaction"):
        version = 2  # created with the column by a version that did not set user_version
    for step in _MIGRATIONS[version - 1 :]:
        step(db)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _create(db: sqlite3.Connection) -> None:
    for statement in _statements(_SCHEMA):
        db.execute(statement)


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _add_redaction(db: sqlite3.Connection) -> None:
    """1 → 2: the redaction of the decree applied (empty in rows logged before)."""
    db.execute("ALTER TABLE decisions ADD COLUMN redaction TEXT NOT NULL DEFAULT ''")


def _add_chain(db: sqlite3.Connection) -> None:
    """2 → 3: the real columns, read from each row's JSON, and the hash chain over the rows in
    the order they were written."""
    for statement in _statements(_CHAIN):
        db.execute(statement)
    names = ("decision_id", "asked_by", "question", "decision", "detail", "policy_version")
    read = ", ".join((*names, "facts_version", "recorded_at", "redaction"))
    head = (0, GENESIS)
    for values in db.execute(f"SELECT {read} FROM decisions ORDER BY rowid").fetchall():
        row = dict(zip((*names, "facts_version", "recorded_at", "redaction"), values, strict=True))
        content = content_from_detail(row)
        entry = next_entry(head, {column: content[column] for column in CONTENT})
        filled = (entry.content[column] for column in _FILLED)
        db.execute(
            _CHAIN_ROW, (entry.seq, entry.prev_hash, entry.entry_hash, *filled, row["decision_id"])
        )
        head = (entry.seq, entry.entry_hash)
    db.execute(_MOVE_HEAD, (*head, None))
    for statement in _statements(_INDEXES):
        db.execute(statement)


_MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_add_redaction, _add_chain)
"""Step N upgrades schema version N + 1 to N + 2 (version 1: the table of ``_SCHEMA``)."""

SCHEMA_VERSION = 1 + len(_MIGRATIONS)


def _has_column(db: sqlite3.Connection, column: str) -> bool:
    return any(row[1] == column for row in db.execute("PRAGMA table_info(decisions)"))


def _create_owner_only(path: Path) -> None:
    """The file (0600) and its directory (0700), where they do not exist yet."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def _owner_only(path: Path) -> None:
    """The log's files readable and writable by their owner only (they hold who asked what)."""
    for suffix in ("", "-wal", "-shm", "-writer"):
        file = path.with_name(f"{path.name}{suffix}")
        with suppress(FileNotFoundError, PermissionError):
            os.chmod(file, 0o600)
