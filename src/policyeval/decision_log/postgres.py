"""The shared backend: a PostgreSQL database (``postgresql://…``), for several service processes
on several hosts writing one log.

Appends lock the head row (``SELECT … FOR UPDATE``) and move it in the same transaction, so
concurrent writers, in any process, append one after the other to one chain. A process's appends
arriving together are written in one transaction (:mod:`.group_commit`), each entry in a
savepoint of its own, so that one refused (a duplicate id) is rolled back alone. The tables are
created in the connection's ``search_path`` (``?options=-csearch_path%3Dname`` picks a schema).
"""

from __future__ import annotations

from typing import Any

import psycopg

from policyeval.decision_log.chain import GENESIS, Content, Linked
from policyeval.decision_log.entries import CONTENT
from policyeval.decision_log.group_commit import EntryRefused
from policyeval.decision_log.query import COLUMNS, Dialect
from policyeval.decision_log.store import DecisionLogError, LogStore, chain_batch, insert_values

__all__ = ["PostgresStore"]

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS decisions (
        seq             BIGINT PRIMARY KEY,
        prev_hash       TEXT NOT NULL,
        entry_hash      TEXT NOT NULL,
        decision_id     TEXT NOT NULL UNIQUE,
        asked_by        TEXT NOT NULL,
        question        TEXT NOT NULL,
        decision        TEXT NOT NULL,
        customer        TEXT NOT NULL,
        executor        TEXT NOT NULL,
        secrets         TEXT NOT NULL,
        on_date         TEXT NOT NULL,
        hypothetical    BOOLEAN NOT NULL,
        redaction       TEXT NOT NULL,
        policy_version  TEXT NOT NULL,
        facts_version   TEXT NOT NULL,
        recorded_at     TEXT NOT NULL,
        detail          TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS decision_log_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq BIGINT NOT NULL,
        entry_hash TEXT NOT NULL,
        recorded_at TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS decisions_customer ON decisions (customer, seq)",
    "CREATE INDEX IF NOT EXISTS decisions_executor ON decisions (executor, seq)",
    "CREATE INDEX IF NOT EXISTS decisions_asked_by ON decisions (asked_by, seq)",
    "CREATE INDEX IF NOT EXISTS decisions_on_date ON decisions (on_date, seq)",
    f"INSERT INTO decision_log_head VALUES (1, 0, '{GENESIS}', NULL) ON CONFLICT DO NOTHING",
)

_CREATING = 743_0001
"""The advisory lock held while creating the tables (two processes may start at once)."""

_POSTGRES = Dialect(mark="%s", has_secret="jsonb_exists(secrets::jsonb, %s)")
_INSERT = f"INSERT INTO decisions ({COLUMNS}) VALUES ({', '.join(['%s'] * (3 + len(CONTENT)))})"
_REFUSED = (psycopg.IntegrityError, psycopg.DataError, TypeError, ValueError)
"""What refuses one entry (a duplicate id, a value the column cannot hold, content the
canonical JSON cannot hold): its savepoint is rolled back and the batch goes on."""


class PostgresStore(LogStore):
    """The log in the PostgreSQL database at ``url``; one connection per thread."""

    dialect = _POSTGRES

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        try:
            db = self._connection()
            with db.transaction():
                db.execute("SELECT pg_advisory_xact_lock(%s)", (_CREATING,))
                for statement in _SCHEMA:
                    db.execute(statement)
        except psycopg.Error as exc:
            raise DecisionLogError(f"cannot open the decision log in PostgreSQL: {exc}") from exc

    def _append_batch(self, contents: list[Content]) -> list[Linked | EntryRefused]:
        db = self._connection()
        with db.transaction():
            row = db.execute(
                "SELECT seq, entry_hash FROM decision_log_head WHERE id = 1 FOR UPDATE"
            ).fetchone()
            if row is None:
                raise RuntimeError("the decision log's head row is missing")
            outcomes, last = chain_batch(
                (row[0], row[1]), contents, lambda entry: _insert(db, entry), _REFUSED
            )
            if last is not None:
                db.execute(
                    "UPDATE decision_log_head SET seq = %s, entry_hash = %s, recorded_at = %s",
                    (last.seq, last.entry_hash, last.content["recorded_at"]),
                )
        return outcomes

    def _connect(self) -> psycopg.Connection[tuple[Any, ...]]:
        return psycopg.connect(self.url, autocommit=True)


def _insert(db: psycopg.Connection[tuple[Any, ...]], entry: Linked) -> None:
    """Insert ``entry`` in a savepoint: a refusal rolls back the entry only."""
    with db.transaction():
        db.execute(_INSERT, insert_values(entry))
