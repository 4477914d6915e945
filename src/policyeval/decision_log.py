"""The decision log: every transfer decision served, kept in SQLite so it survives restarts.

Each thread keeps one connection of its own (sqlite3 connections must not cross threads; opening
one per decision cost more than the decision), and the database runs in WAL mode so that
readers do not wait for the writer. Every write is committed before ``record`` returns.
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

from pydantic import BaseModel

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

_COLUMNS = (
    "decision_id, asked_by, question, decision, detail, policy_version, facts_version, recorded_at"
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


class DecisionLog:
    """An append-only log of decisions in the SQLite file at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

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
                f"INSERT INTO decisions ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    decision.decision_id,
                    asked_by,
                    decision.question,
                    decision.decision,
                    serialized or decision.model_dump_json(),
                    decision.policy_version,
                    decision.facts_version,
                    recorded_at.isoformat(),
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


def _record(row: tuple[Any, ...]) -> DecisionRecord:
    decision_id, asked_by, question, decision, detail, policy, facts, recorded_at = row
    return DecisionRecord(
        decision_id=decision_id,
        asked_by=asked_by,
        question=question,
        decision=decision,
        detail=json.loads(detail),
        policy_version=policy,
        facts_version=facts,
        recorded_at=dt.datetime.fromisoformat(recorded_at),
    )
