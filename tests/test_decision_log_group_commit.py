"""Group commit in the decision log (issue #14): appends arriving together share one transaction
and one sync, each caller returns only once its entry is committed, a failed write fails every
caller of its batch (and logs none of them), and the chain stays one across batches, threads and
processes.

Batches are made deterministic by holding SQLite's write lock from another connection (as another
process would) until the appends to group are known to wait: no sleep decides an outcome."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from decision_log_helpers import (
    AT,
    WAIT_S,
    commits_fail,
    decision,
    outcomes,
    record_together,
    wait_until,
)
from policyeval import DecisionFilter, DecisionLog
from policyeval.decision_log import DecisionNotLogged
from policyeval.decision_log.chain import Content, Linked
from policyeval.decision_log.group_commit import EntryRefused, GroupCommit, NotCommitted
from policyeval.decision_log.sqlite import SqliteStore

# -- GroupCommit alone ---------------------------------------------------------------------


class Writes:
    """A batch writer whose first write waits for :meth:`release`; records every batch."""

    def __init__(self, fail: Callable[[list[int]], Exception | None] = lambda _: None) -> None:
        self.batches: list[list[int]] = []
        self.released = threading.Event()
        self.fail = fail

    def __call__(self, items: list[int]) -> list[int | EntryRefused]:
        if not self.batches:
            self.batches.append(items)
            assert self.released.wait(WAIT_S)
        else:
            self.batches.append(items)
        error = self.fail(items)
        if error is not None:
            raise error
        return [EntryRefused(ValueError("odd")) if n == 13 else n * 10 for n in items]

    def release(self) -> None:
        self.released.set()


def grouped(
    numbers: list[int], writes: Writes, max_batch: int = 64
) -> tuple[Any, list[Any], list[list[int]]]:
    """Submit 0, whose write waits, then ``numbers`` from threads of their own; once as many as
    fit wait for the next batch, release the first write. The first outcome, the others in
    ``numbers``' order, and the batches written."""
    group: GroupCommit[int, int] = GroupCommit(writes, max_batch)
    with ThreadPoolExecutor(max_workers=len(numbers) + 1) as pool:
        first = pool.submit(group.submit, 0)
        wait_until(lambda: bool(writes.batches))
        rest = [pool.submit(group.submit, n) for n in numbers]
        wait_until(lambda: group.waiting() == min(len(numbers), max_batch))
        writes.release()
        return outcomes([first])[0], outcomes(rest), writes.batches


def test_appends_arriving_during_a_write_are_written_together_each_with_its_outcome() -> None:
    first, rest, batches = grouped(list(range(1, 9)), Writes())
    assert first == 0 and rest == [n * 10 for n in range(1, 9)]
    assert batches[0] == [0] and sorted(batches[1]) == list(range(1, 9)) and len(batches) == 2


def test_a_failed_write_fails_every_caller_of_its_batch_and_no_other() -> None:
    disk_full = OSError("disk full")
    writes = Writes(fail=lambda items: disk_full if 0 not in items else None)
    first, rest, _ = grouped([1, 2, 3], writes)
    assert first == 0
    assert all(isinstance(error, NotCommitted) for error in rest)
    assert all(error.__cause__ is disk_full for error in rest)
    assert len({id(error) for error in rest}) == 3  # each caller raises an error of its own


def test_an_entry_refused_alone_fails_its_caller_only() -> None:
    _, rest, batches = grouped([12, 13, 14], Writes())
    assert rest[0] == 120 and rest[2] == 140
    assert isinstance(rest[1], NotCommitted) and "odd" in str(rest[1])
    assert len(batches) == 2


def test_the_queue_is_bounded_and_a_batch_never_exceeds_it() -> None:
    writes = Writes()
    group: GroupCommit[int, int] = GroupCommit(writes, max_batch=2)
    with ThreadPoolExecutor(max_workers=4) as pool:
        first = pool.submit(group.submit, 0)
        wait_until(lambda: bool(writes.batches))
        two = [pool.submit(group.submit, n) for n in (1, 2)]
        wait_until(lambda: group.waiting() == 2)
        third = pool.submit(group.submit, 3)  # no room: it waits for the next batch
        writes.release()
        assert outcomes([first, *two, third]) == [0, 10, 20, 30]
    assert [sorted(batch) for batch in writes.batches] == [[0], [1, 2], [3]]


# -- the SQLite log ------------------------------------------------------------------------


@pytest.fixture()
def path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "decisions.sqlite3"


@contextmanager
def writes_held(path: Path) -> Iterator[None]:
    """Hold the file's write lock, as another process's transaction would, until the block
    ends."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def batch_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every batch SQLite stores write from now on."""
    sizes: list[int] = []
    original = SqliteStore._append_batch

    def counted(self: SqliteStore, contents: list[Content]) -> list[Linked | EntryRefused]:
        sizes.append(len(contents))
        return original(self, contents)

    monkeypatch.setattr(SqliteStore, "_append_batch", counted)
    return sizes


def logged_ids(log: DecisionLog) -> list[str]:
    return sorted(r.decision_id for r in log.search(DecisionFilter(limit=1000)))


def test_appends_waiting_for_the_lock_are_committed_in_one_transaction(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes = batch_sizes(monkeypatch)
    log = DecisionLog(path)
    ids = [f"d{n:04d}" for n in range(1, 11)]
    assert record_together(log, writes_held(path), list(range(1, 11))) == ids
    assert sizes == [1, 9]
    assert log.verify() is None and log.head().seq == 10
    assert logged_ids(log) == ids


def test_many_threads_appending_at_once_give_one_chain_with_every_entry_once(path: Path) -> None:
    log = DecisionLog(path)
    with ThreadPoolExecutor(max_workers=16) as pool:
        ids = list(pool.map(lambda n: log.record(decision(n), "officer", AT), range(1, 201)))
    assert sorted(ids) == [f"d{n:04d}" for n in range(1, 201)]
    assert log.verify() is None and log.head().seq == 200
    assert logged_ids(log) == sorted(ids)
    assert sorted(r.seq for r in log.search(DecisionFilter(limit=1000))) == list(range(1, 201))


def test_a_failed_commit_fails_every_caller_of_its_batch_and_logs_none(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = DecisionLog(path)
    log.record(decision(1), "officer", AT)
    sizes = batch_sizes(monkeypatch)
    failing = DecisionLog(path)  # opened; its threads' connections will fail to commit
    commits_fail(monkeypatch)
    answers = record_together(failing, writes_held(path), list(range(2, 8)))
    assert sizes == [1, 5]
    assert all(isinstance(answer, DecisionNotLogged) for answer in answers)
    assert all("disk I/O error" in str(answer) for answer in answers)
    assert log.verify() is None and log.head().seq == 1 and logged_ids(log) == ["d0001"]
    log.record(decision(8), "officer", AT)  # the log goes on after the failure
    assert log.verify() is None and logged_ids(log) == ["d0001", "d0008"]


def test_a_duplicate_id_in_a_batch_fails_its_caller_only(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes = batch_sizes(monkeypatch)
    log = DecisionLog(path)
    answers = record_together(log, writes_held(path), [1, 2, 3, 2, 4])
    assert sizes == [1, 4]
    refused = [answer for answer in answers if isinstance(answer, DecisionNotLogged)]
    assert len(refused) == 1 and "UNIQUE" in str(refused[0])
    assert sorted(a for a in answers if isinstance(a, str)) == ["d0001", "d0002", "d0003", "d0004"]
    assert log.verify() is None and log.head().seq == 4
    assert logged_ids(log) == ["d0001", "d0002", "d0003", "d0004"]


WRITER = """
import sys
from concurrent.futures import ThreadPoolExecutor
from policyeval import DecisionLog, TransferDecision
path, template, prefix, count = sys.argv[1:]
decided = TransferDecision.model_validate_json(open(template, encoding="utf-8").read())
log = DecisionLog(path)
def one(n):
    return log.record(decided.model_copy(update={"decision_id": f"{prefix}{n:03d}"}), prefix)
with ThreadPoolExecutor(max_workers=4) as pool:
    list(pool.map(one, range(int(count))))
"""


def test_two_processes_appending_at_once_keep_one_chain(path: Path, tmp_path: Path) -> None:
    log = DecisionLog(path)  # the file and its tables, before the writers race for the head
    template = tmp_path / "decision.json"
    template.write_text(decision(0).model_dump_json(), encoding="utf-8")
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(template), prefix, "60"])
        for prefix in ("a", "b")
    ]
    log.record(decision(1), "main", AT)  # a third writer, between their batches
    while any(writer.poll() is None for writer in writers):
        assert log.verify() is None  # a walk during appends checks the chain up to its head
    assert [writer.wait(timeout=WAIT_S) for writer in writers] == [0, 0]
    assert log.verify() is None and log.head().seq == 121
    expected = ["d0001", *(f"{p}{n:03d}" for p in "ab" for n in range(60))]
    assert logged_ids(log) == sorted(expected)
