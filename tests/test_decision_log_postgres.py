"""The decision log in PostgreSQL, shared by several service processes: two processes appending
at once keep one intact chain, appends arriving together share a transaction (an entry refused
there is rolled back alone), and edits are found as in SQLite.

The server is ``POLICYEVAL_TEST_POSTGRES`` (default: the one CI starts on 127.0.0.1:5432, trust
authentication, database ``test``); each test works in a schema of its own, dropped after it.
Under ``CI`` a missing server fails the tests; elsewhere they are skipped, saying why."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

from decision_log_helpers import AT, decision, record_together
from policyeval import DecisionFilter, DecisionLog, DecisionLogError
from policyeval.decision_log import DecisionNotLogged

SERVER = os.environ.get("POLICYEVAL_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")

WRITER = """
import sys
from policyeval import DecisionLog, TransferDecision
url, template, prefix, count = sys.argv[1:]
decided = TransferDecision.model_validate_json(open(template, encoding="utf-8").read())
log = DecisionLog(url)
for n in range(int(count)):
    log.record(decided.model_copy(update={"decision_id": f"{prefix}{n}"}), prefix)
"""


@pytest.fixture()
def url() -> Iterator[str]:
    """A URL whose tables land in a new schema, dropped afterwards."""
    try:
        admin = psycopg.connect(SERVER, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        message = f"no PostgreSQL server at {SERVER} (POLICYEVAL_TEST_POSTGRES): {exc}"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; `.ci/run` starts one", pytrace=False)
        pytest.skip(message)
    schema = f"policyeval_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            yield f"{SERVER}?options={quote(f'-csearch_path={schema}')}"
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def test_two_processes_appending_at_once_keep_one_chain(url: str, tmp_path: Path) -> None:
    DecisionLog(url)  # the tables, before the writers race for the head
    template = tmp_path / "decision.json"
    template.write_text(decision(0).model_dump_json(), encoding="utf-8")
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, url, str(template), prefix, "40"])
        for prefix in ("a", "b")
    ]
    log = DecisionLog(url)
    while any(writer.poll() is None for writer in writers):
        assert log.verify() is None  # a walk during appends checks the chain up to its head
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0]
    assert log.verify() is None
    assert log.head().seq == 80
    logged = log.search(DecisionFilter(limit=1000))
    assert sorted(r.seq for r in logged) == list(range(1, 81))
    assert {r.asked_by for r in logged} == {"a", "b"}


def test_threads_appending_at_once_keep_one_chain_with_every_entry_once(url: str) -> None:
    log = DecisionLog(url)
    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(lambda n: log.record(decision(n), "officer", AT), range(1, 61)))
    assert log.verify() is None and log.head().seq == 60
    assert sorted(r.decision_id for r in log.search(DecisionFilter(limit=1000))) == sorted(ids)


@contextmanager
def head_locked(url: str) -> Iterator[None]:
    """Hold the head row's lock, as another process's append would, until the block ends."""
    with psycopg.connect(url) as other:
        other.execute("SELECT seq FROM decision_log_head WHERE id = 1 FOR UPDATE")
        yield
        other.rollback()


def test_a_duplicate_id_in_a_batch_fails_its_caller_only(url: str) -> None:
    log = DecisionLog(url)
    answers = record_together(log, head_locked(url), [1, 2, 3, 2, 4])
    refused = [answer for answer in answers if isinstance(answer, DecisionNotLogged)]
    assert len(refused) == 1 and "duplicate key" in str(refused[0])
    assert sorted(a for a in answers if isinstance(a, str)) == ["d0001", "d0002", "d0003", "d0004"]
    assert log.verify() is None and log.head().seq == 4


def test_an_edit_is_found_and_not_served(url: str) -> None:
    log = DecisionLog(url)
    for number, secret in ((1, "s1"), (2, "s2"), (3, "s1")):
        log.record(decision(number, secret), "officer-7", AT)
    assert log.verify() is None
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(
            "UPDATE decisions SET decision = 'allowed', asked_by = 'officer-9' WHERE seq = 2"
        )
    broken = log.verify()
    assert broken is not None and (broken.seq, broken.name) == (2, "d0002")
    with pytest.raises(DecisionLogError, match="entry 2"):
        log.get("d0002")


def test_filters_and_what_ifs_work_the_same(url: str) -> None:
    log = DecisionLog(url)
    log.record(decision(1), "officer-7", AT)
    log.record(decision(2, "s2"), "auditor-1", AT)
    log.record(decision(3, "s2", assumed=1, decision="allowed"), "lawyer-1", AT)

    def ids(**filters: object) -> list[str]:
        return [r.decision_id for r in log.search(DecisionFilter.model_validate(filters))]

    assert ids() == ["d0002", "d0001"]
    assert ids(secret="s2") == ["d0002"] and ids(secret="s2", hypothetical="any") == [
        "d0003",
        "d0002",
    ]
    assert ids(asked_by="officer-7") == ["d0001"] and ids(hypothetical="true") == ["d0003"]
    assert ids(on_from="2026-02-01", decision="refused", limit=1) == ["d0002"]
    assert ids(before=2) == ["d0001"]
    record = log.get("d0003")
    assert record is not None and record.hypothetical and record.secrets == ["s2"]


def test_an_unreachable_server_is_a_decision_log_error() -> None:
    with pytest.raises(DecisionLogError, match="cannot open the decision log"):
        DecisionLog("postgresql://postgres@127.0.0.1:1/none?connect_timeout=2")
