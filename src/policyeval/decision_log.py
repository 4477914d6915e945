"""The decision log: every transfer decision served, kept in SQLite so it survives restarts.

Each thread keeps one connection of its own (sqlite3 connections must not cross threads; opening
one per decision cost more than the decision), and the database runs in WAL mode so that
readers do not wait for the writer. Every write is committed before ``record`` returns.

Each row names the redaction of the decree that decided it. A log written before that column
existed is migrated when opened (the column is added, its old rows left empty and read back as
``None``: "not recorded"); the schema's version is SQLite's ``user_version``.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from policyeval.decree743.decisions import TransferDecision
from policyeval.evaluator import Outcome

__all__ = ["DecisionLog", "DecisionRecord"]

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

_MIGRATIONS = (
    # 1 → 2: the redaction of the decree applied (empty in rows logged before).
    "ALTER TABLE decisions ADD COLUMN redaction TEXT NOT NULL DEFAULT ''",
)
"""Statement N upgrades schema version N + 1 to N + 2 (version 1: the table of ``_SCHEMA``)."""

SCHEMA_VERSION = 1 + len(_MIGRATIONS)

_COLUMNS = (
    "decision_id, asked_by, question, decision, detail, policy_version, facts_version, "
    "recorded_at, redaction"
)


class DecisionRecord(BaseModel):
    """One logged decision: who asked what, the answer with its proof or reasons, and when."""

    decision_id: str
    asked_by: str
    question: str
    decision: Outcome
    detail: dict[str, Any]
    policy_version: str
    facts_version: str
    recorded_at: dt.datetime
    redaction: str | None = Field(
        default=None, description="the redaction applied; null in rows logged before it was"
    )


class DecisionLog:
    """An append-only log of decisions in the SQLite file at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
            _migrate(db)

    def record(
        self,
        decision: TransferDecision,
        asked_by: str,
        at: dt.datetime | None = None,
        *,
        serialized: str | None = None,
    ) -> str:
        """Append ``decision`` as asked by ``asked_by`` (committed); returns its id.
        ``serialized`` is the decision's JSON when the caller has it already."""
        recorded_at = at or dt.datetime.now(dt.UTC)
        with self._connect() as db:
            db.execute(
                f"INSERT INTO decisions ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    decision.decision_id,
                    asked_by,
                    decision.question,
                    decision.decision,
                    serialized or decision.model_dump_json(),
                    decision.policy_version,
                    decision.facts_version,
                    recorded_at.isoformat(),
                    decision.redaction.redaction,
                ),
            )
        return decision.decision_id

    def get(self, decision_id: str) -> DecisionRecord | None:
        """The decision with this id, or ``None``."""
        with self._connect() as db:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM decisions WHERE decision_id = ?", (decision_id,)
            ).fetchone()
        return None if row is None else _record(row)

    def recent(self, limit: int = 50) -> list[DecisionRecord]:
        """The latest ``limit`` decisions, newest first."""
        with self._connect() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM decisions ORDER BY recorded_at DESC, rowid DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [_record(row) for row in rows]

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection, committed on success and rolled back on error."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite3.connect(self.path, timeout=10.0)
        with db:
            yield db


def _migrate(db: sqlite3.Connection) -> None:
    """Bring the log's schema to `SCHEMA_VERSION`; rows already logged stay readable. One
    writer at a time (service workers may open an old log together)."""
    db.execute("BEGIN IMMEDIATE")
    (version,) = db.execute("PRAGMA user_version").fetchone()
    version = max(version, 1)
    if version == 1 and _has_column(db, "redaction"):
        version = 2  # created with the column by a version that did not set user_version
    for statement in _MIGRATIONS[version - 1 :]:
        db.execute(statement)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _has_column(db: sqlite3.Connection, column: str) -> bool:
    return any(row[1] == column for row in db.execute("PRAGMA table_info(decisions)"))


def _record(row: tuple[Any, ...]) -> DecisionRecord:
    decision_id, asked_by, question, decision, detail, policy, facts, recorded_at, redaction = row
    return DecisionRecord(
        decision_id=decision_id,
        asked_by=asked_by,
        question=question,
        decision=decision,
        detail=json.loads(detail),
        policy_version=policy,
        facts_version=facts,
        recorded_at=dt.datetime.fromisoformat(recorded_at),
        redaction=redaction or None,
    )
