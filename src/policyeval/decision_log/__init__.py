"""The decision log: every transfer decision, kept so it survives restarts and can be checked.

Each entry is one row of real columns (customer, executor, secrets, date, decision, asker,
hypothetical, …) with the decision's JSON stored once, and links into a hash chain
(:mod:`.chain`): ``verify`` finds the first entry edited, deleted or moved, and ``head`` is what
to export and keep elsewhere. The log is SQLite by default (:mod:`.sqlite`, a path) or
PostgreSQL for several processes (:mod:`.postgres`, a ``postgresql://`` URL); every write is
committed before ``record`` returns. Concurrent ``record`` calls share a transaction and its
sync (:mod:`.group_commit`); a failed one raises :class:`DecisionNotLogged`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from policyeval.decision_log.chain import ChainBreak, ChainHead, check_entry, verify
from policyeval.decision_log.entries import (
    DecisionFilter,
    DecisionRecord,
    content_of,
    record_of,
)
from policyeval.decision_log.store import DecisionLogError, DecisionNotLogged, LogStore
from policyeval.decree743.decisions import TransferDecision, explained

__all__ = [
    "ChainBreak",
    "ChainHead",
    "DecisionFilter",
    "DecisionLog",
    "DecisionLogError",
    "DecisionNotLogged",
    "DecisionRecord",
]


class DecisionLog:
    """An append-only, hash-chained log of decisions at ``target``: a SQLite file's path, or a
    ``postgresql://`` URL."""

    def __init__(self, target: str | Path) -> None:
        self.target = str(target)
        self._store = open_store(target)

    def record(
        self,
        decision: TransferDecision,
        asked_by: str,
        at: dt.datetime | None = None,
        *,
        serialized: str | None = None,
    ) -> str:
        """Append ``decision`` as asked by ``asked_by`` (committed); returns its id.
        ``serialized`` is the decision's JSON when the caller has it already. Raises
        `DecisionNotLogged` when it could not be committed: the decision must not be served."""
        at = at or dt.datetime.now(dt.UTC)
        self._store.append(content_of(decision, asked_by, at, serialized))
        return decision.decision_id

    def get(self, decision_id: str) -> DecisionRecord | None:
        """The decision with this id, or ``None``; `DecisionLogError` when its entry, or the
        links to its neighbours, fail verification, or when the log has lost entries."""
        entry = self._store.get(decision_id)
        if entry is None:
            head = self._store.head()
            if self._store.count() < head.seq:
                missing = head.seq - self._store.count()
                raise DecisionLogError(
                    f"no decision `{decision_id}` in the decision log, which has lost {missing} "
                    f"of its {head.seq} entries (`policyeval log verify` names the first)"
                )
            return None
        around = self._store.at([entry.seq - 1, entry.seq + 1])
        broken = check_entry(entry, around.get(entry.seq - 1), around.get(entry.seq + 1))
        if broken is not None:
            raise DecisionLogError(f"the decision log fails verification at {broken}")
        return record_of(entry)

    def search(self, filters: DecisionFilter | None = None) -> list[DecisionRecord]:
        """The decisions ``filters`` selects (what-ifs left out unless asked), newest first;
        ``filters.before`` pages (the ``seq`` of the last one seen)."""
        filters = filters or DecisionFilter()
        records = [record_of(entry) for entry in self._store.search(filters)]
        if filters.explain == "full":
            return records
        return [
            r.model_copy(update={"detail": explained(r.detail, filters.explain)}) for r in records
        ]

    def recent(self, limit: int = 50) -> list[DecisionRecord]:
        """The latest ``limit`` decisions that are not what-ifs, newest first, in full."""
        return self.search(DecisionFilter(limit=limit, explain="full"))

    def verify(self, expected: ChainHead | None = None) -> ChainBreak | None:
        """The first entry affected by a change of the log, or ``None`` when it is intact;
        ``expected``: a head exported earlier, which the log must still contain."""
        head = self._store.head()
        return verify(self._store.walk(head.seq), head, expected)

    def head(self) -> ChainHead:
        """The last entry's seq, hash and time: export it, to check the log against later."""
        return self._store.head()

    def close(self) -> None:
        """Close this thread's connection."""
        self._store.close()


def open_store(target: str | Path) -> LogStore:
    """The backend for ``target``: PostgreSQL for a ``postgresql://`` URL, else a SQLite file."""
    text = str(target)
    if text.startswith(("postgresql://", "postgres://")):
        from policyeval.decision_log.postgres import PostgresStore

        return PostgresStore(text)
    from policyeval.decision_log.sqlite import SqliteStore

    return SqliteStore(Path(target))
