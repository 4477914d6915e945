"""Decisions to log in the decision log's tests: the toy world's, decided once and copied."""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from typing import Any

import pytest

from paths import TOY_FACTS, TOY_POLICIES
from policyeval import DecisionLog, TransferDecision, decide_transfer, load
from policyeval.decision_log.sqlite import SqliteStore

ON = dt.date(2026, 2, 1)
AT = dt.datetime(2026, 2, 1, 9, 30, tzinfo=dt.UTC)


@functools.cache
def _decided(secret: str) -> TransferDecision:
    snapshot = load(TOY_POLICIES, TOY_FACTS)
    rules = snapshot.in_force(ON)
    return decide_transfer(
        rules.evaluator(),
        "mod",
        "acme",
        [secret],
        ON,
        redaction=rules.redaction,
        warnings=rules.warnings,
    )


def decision(number: int, secret: str = "s1", **changes: object) -> TransferDecision:
    """The toy decision about ``secret`` (s1 allowed, s2 refused) with its own id."""
    return _decided(secret).model_copy(update={"decision_id": f"d{number:04d}", **changes})


WAIT_S = 60.0
"""How long a test waits for threads to reach a state before it fails (never reached)."""


def wait_until(condition: Callable[[], bool]) -> None:
    """Return once ``condition`` holds (it soon does); fail after `WAIT_S`."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, "the threads never reached the state waited for"
        time.sleep(0.001)


def outcomes(futures: list[Future[Any]]) -> list[Any]:
    """Each future's result, or the exception it raised."""
    return [future.exception(timeout=WAIT_S) or future.result() for future in futures]


def record_together(
    log: DecisionLog, writes_held: AbstractContextManager[object], numbers: list[int]
) -> list[Any]:
    """Record the decisions ``numbers`` from threads of their own while ``writes_held`` holds
    the log's write lock (as another process's transaction would), released once the first is
    writing and the others wait to be batched: they are then written in one transaction. Each
    outcome: the decision's id, or the error raised."""
    batches = log._store.batches
    with ThreadPoolExecutor(max_workers=len(numbers)) as pool:
        with writes_held:
            first = pool.submit(log.record, decision(numbers[0]), "officer", AT)
            wait_until(lambda: batches.writing)  # the first, waiting for the lock
            rest = [pool.submit(log.record, decision(n), "officer", AT) for n in numbers[1:]]
            wait_until(lambda: batches.waiting() == len(numbers) - 1)
        return outcomes([first, *rest])


class FailingCommit(sqlite3.Connection):
    """A connection whose ``COMMIT`` fails, as a full disk or an I/O error would make it."""

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        if sql == "COMMIT":
            raise sqlite3.OperationalError("disk I/O error")
        return super().execute(sql, parameters)


def commits_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on, every SQLite log's new connections (a thread's first) fail to commit."""

    def connect(store: SqliteStore) -> sqlite3.Connection:
        return sqlite3.connect(store.path, isolation_level=None, factory=FailingCommit)

    monkeypatch.setattr(SqliteStore, "_connect", connect)
