"""Group commit: appends arriving together are written in one transaction, with one fsync.

No thread of its own: the first caller to find no write under way becomes the *leader*, takes
every entry waiting (its own included, at most ``max_batch``) and writes them in one go; the
callers who arrive meanwhile wait, and when the write is over one of them leads the next batch.
Each caller returns only once the transaction holding its entry has committed, with its own
outcome: the entry as written, or an error — the whole batch's when the write failed (nothing of
it was acknowledged), or its own entry's when only that one was refused (the batch writes the
others). The queue is bounded: a caller finding ``max_batch`` entries waiting waits for room.

>>> batches = []
>>> group = GroupCommit(lambda items: batches.append(items) or [n * 2 for n in items])
>>> group.submit(21), batches
(42, [[21]])
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["EntryRefused", "GroupCommit", "NotCommitted"]

Item = TypeVar("Item")
Result = TypeVar("Result")


class NotCommitted(Exception):
    """An entry was not committed: its batch's write failed, or it alone was refused
    (``__cause__``: why)."""


@dataclass(frozen=True, slots=True)
class EntryRefused:
    """One entry the batch left out (it was rolled back alone): its caller gets ``error``."""

    error: Exception


@dataclass(slots=True)
class _Ticket(Generic[Item, Result]):
    """One caller's entry, and its outcome once its batch is over."""

    item: Item
    done: bool = False
    result: Result | None = None
    error: BaseException | None = field(default=None)

    def outcome(self) -> Result:
        """The entry as written, or raise what happened to it."""
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]  # set with done, error None


Write = Callable[[list[Item]], Sequence["Result | EntryRefused"]]
"""Writes and commits a batch in one transaction: one outcome per item, in order."""


class GroupCommit(Generic[Item, Result]):
    """Batches concurrent :meth:`submit` calls into calls of ``write``, one at a time."""

    def __init__(self, write: Write[Item, Result], max_batch: int = 64) -> None:
        if max_batch < 1:
            raise ValueError("a batch holds at least one entry")
        self._write = write
        self.max_batch = max_batch
        self._changed = threading.Condition(threading.Lock())
        self._waiting: list[_Ticket[Item, Result]] = []
        self._writing = False

    def submit(self, item: Item) -> Result:
        """Write ``item`` in the next batch and return its outcome once that batch is
        committed; raise :class:`NotCommitted` when it was not."""
        ticket: _Ticket[Item, Result] = _Ticket(item)
        with self._changed:
            self._changed.wait_for(lambda: len(self._waiting) < self.max_batch)
            self._waiting.append(ticket)
            self._changed.wait_for(lambda: ticket.done or not self._writing)
            if ticket.done:
                return ticket.outcome()
            batch = self._lead()
        self._run(batch)
        return ticket.outcome()

    def waiting(self) -> int:
        """How many entries wait for the next batch (for tests and monitoring)."""
        with self._changed:
            return len(self._waiting)

    @property
    def writing(self) -> bool:
        """Whether a batch is being written."""
        with self._changed:
            return self._writing

    def _lead(self) -> list[_Ticket[Item, Result]]:
        """Take the waiting entries as the next batch (the lock is held)."""
        batch, self._waiting = self._waiting, []
        self._writing = True
        self._changed.notify_all()  # room in the queue
        return batch

    def _run(self, batch: list[_Ticket[Item, Result]]) -> None:
        """Write ``batch`` and hand each caller its outcome, whatever happens."""
        try:
            _settle(batch, self._write([ticket.item for ticket in batch]))
        except BaseException as exc:
            _fail(batch, exc)
            if not isinstance(exc, Exception):
                raise  # KeyboardInterrupt, SystemExit: the leader's thread stops too
        finally:
            with self._changed:
                for ticket in batch:
                    ticket.done = True
                self._writing = False
                self._changed.notify_all()


def _fail(batch: Sequence[_Ticket[Item, Result]], cause: BaseException) -> None:
    """Every caller of ``batch`` gets an error of its own, caused by ``cause``."""
    for ticket in batch:
        error = NotCommitted(f"the batch of {len(batch)} entries holding it failed: {cause}")
        error.__cause__ = cause
        ticket.error = error


def _settle(
    batch: Sequence[_Ticket[Item, Result]], outcomes: Sequence[Result | EntryRefused]
) -> None:
    """Each caller's own outcome (one per entry, in order)."""
    if len(outcomes) != len(batch):
        raise RuntimeError(f"{len(outcomes)} outcomes for a batch of {len(batch)}")
    for ticket, outcome in zip(batch, outcomes, strict=True):
        if isinstance(outcome, EntryRefused):
            ticket.error = NotCommitted(f"it was refused: {outcome.error}")
            ticket.error.__cause__ = outcome.error
        else:
            ticket.result = outcome
