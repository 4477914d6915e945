"""What a backend of the log does (append in batches under one lock, read), and the reads both
share.

Appends go through a :class:`~.group_commit.GroupCommit`: the appends of several request threads
arriving together are written by one of them in one transaction, committed (and synced) once;
each returns once that commit is done, or raises :class:`DecisionNotLogged`.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Final

from policyeval.decision_log.chain import GENESIS, ChainHead, Content, Linked, link
from policyeval.decision_log.entries import CONTENT, DecisionFilter, linked
from policyeval.decision_log.group_commit import EntryRefused, GroupCommit, NotCommitted
from policyeval.decision_log.query import COLUMNS, Dialect, where
from policyeval.errors import PolicyError

__all__ = ["DecisionLogError", "DecisionNotLogged", "LogStore", "chain_batch", "next_entry"]

PAGE = 1000
"""Entries read at a time when walking the whole chain."""

MAX_BATCH: Final = 64
"""The most entries written in one transaction, and waiting for the next one."""


class DecisionLogError(PolicyError):
    """The decision log cannot be opened, or fails verification where a read looked: an entry
    was changed, moved or deleted (``policyeval log verify`` names the first one)."""

    code = "decision_log"


class DecisionNotLogged(DecisionLogError):
    """An append failed: the decision is not acknowledged as logged (ask again). Raised to
    every caller of a batch whose transaction failed, or to the one whose entry was refused."""

    code = "decision_not_logged"


def next_entry(head: tuple[int, str], content: Content) -> Linked:
    """The entry appended after ``head`` (its seq and hash): the caller holds the write lock."""
    seq, prev_hash = head[0] + 1, head[1]
    return Linked(seq, prev_hash, link(prev_hash, seq, content), content)


def chain_batch(
    head: tuple[int, str],
    contents: list[Content],
    insert: Callable[[Linked], None],
    refused: tuple[type[Exception], ...],
) -> tuple[list[Linked | EntryRefused], Linked | None]:
    """Link ``contents`` after ``head`` one by one, ``insert``-ing each: an entry whose link or
    insert raises one of ``refused`` is left out (``insert`` undid it) and the next takes its
    place. Returns each entry's outcome and the last entry written (``None``: none was)."""
    outcomes: list[Linked | EntryRefused] = []
    last: Linked | None = None
    for content in contents:
        try:
            entry = next_entry(head, content)
            insert(entry)
        except refused as exc:
            outcomes.append(EntryRefused(exc))
            continue
        outcomes.append(entry)
        head, last = (entry.seq, entry.entry_hash), entry
    return outcomes, last


def insert_values(entry: Linked) -> tuple[Any, ...]:
    """The parameters of ``INSERT INTO decisions (COLUMNS)`` for ``entry``."""
    return (entry.seq, entry.prev_hash, entry.entry_hash, *(entry.content[c] for c in CONTENT))


class LogStore(ABC):
    """A table of entries ``decisions`` and a one-row table ``decision_log_head``."""

    dialect: Dialect

    def __init__(self) -> None:
        self._threads = threading.local()
        self.batches: GroupCommit[Content, Linked] = GroupCommit(self._append_batch, MAX_BATCH)
        """The appends waiting for the next transaction, and the one being written."""

    def append(self, content: Content) -> Linked:
        """Append one entry after the head, in the next batch; returns once it is committed."""
        try:
            return self.batches.submit(content)
        except NotCommitted as exc:
            raise DecisionNotLogged(f"the decision was not logged: {exc}") from exc

    @abstractmethod
    def _append_batch(self, contents: list[Content]) -> list[Linked | EntryRefused]:
        """Append these entries after the head, read and moved in one serialized transaction,
        and commit it: one outcome per entry (an entry refused alone is rolled back alone)."""

    @abstractmethod
    def _connect(self) -> Any:
        """A new connection (a DB-API one: ``execute(...).fetchall()``, ``close()``)."""

    def _connection(self) -> Any:
        """This thread's connection, opened on first use: connections never cross threads."""
        db = getattr(self._threads, "db", None)
        if db is None or getattr(db, "closed", False):
            db = self._threads.db = self._connect()
        return db

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """The rows of a read."""
        rows: list[tuple[Any, ...]] = self._connection().execute(sql, params).fetchall()
        return rows

    def close(self) -> None:
        """Close this thread's connection."""
        db = getattr(self._threads, "db", None)
        if db is not None:
            db.close()
            self._threads.db = None

    def get(self, decision_id: str) -> Linked | None:
        """The entry of this decision, or ``None``."""
        found = self._entries(f"WHERE decision_id = {self.dialect.mark}", [decision_id])
        return found[0] if found else None

    def at(self, seqs: Sequence[int]) -> dict[int, Linked]:
        """The entries at these positions (those present)."""
        marks = ", ".join(self.dialect.mark for _ in seqs)
        return {entry.seq: entry for entry in self._entries(f"WHERE seq IN ({marks})", seqs)}

    def search(self, filters: DecisionFilter) -> list[Linked]:
        """The entries ``filters`` selects, newest first."""
        condition, params = where(filters, self.dialect)
        return self._entries(
            f"{condition} ORDER BY seq DESC LIMIT {self.dialect.mark}", [*params, filters.limit]
        )

    def walk(self, last: int) -> Iterator[Linked]:
        """Every entry up to ``last`` (the head when the walk began: later appends are left for
        the next walk) in ``seq`` order, a page at a time."""
        mark, after = self.dialect.mark, -1
        while page := self._entries(
            f"WHERE seq > {mark} AND seq <= {mark} ORDER BY seq LIMIT {PAGE}", [after, last]
        ):
            yield from page
            after = page[-1].seq

    def head(self) -> ChainHead:
        """The head row: the last entry appended (seq 0 and the genesis hash when none)."""
        found = self.rows("SELECT seq, entry_hash, recorded_at FROM decision_log_head")
        return ChainHead(*found[0]) if found else ChainHead(0, GENESIS)

    def count(self) -> int:
        """How many entries the table holds."""
        ((count,),) = self.rows("SELECT count(*) FROM decisions")
        return int(count)

    def _entries(self, tail: str, params: Sequence[object]) -> list[Linked]:
        return [linked(row) for row in self.rows(f"SELECT {COLUMNS} FROM decisions {tail}", params)]
