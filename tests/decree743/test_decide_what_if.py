"""A transfer decided as a what-if that takes facts on record away (a repair tried whole).

A repair moves a value or ends a blocking fact: it adds facts and retracts others
(``Repair.facts``). ``decide_transfer(..., retract=...)`` decides with both, for that decision
only, and counts both as assumed, so the decision log files it as a what-if.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest

from paths import FACTS, POLICIES
from policyeval import BaseFact, Snapshot, TransferDecision, decide_transfer, load

ON = dt.date(2026, 3, 10)
REFUSALS = [("bereke_systems", "doc_9"), ("steppe_systems", "doc_4")]
"""facts/README.md, "Questions worth asking": refusals whose repairs move and end facts."""


@pytest.fixture(scope="module")
def world() -> Snapshot:
    return load(POLICIES, FACTS)


def _decide(
    world: Snapshot,
    executor: str,
    secret: str,
    assume: Sequence[BaseFact] = (),
    retract: Sequence[BaseFact] = (),
) -> TransferDecision:
    rules = world.in_force(ON)
    return decide_transfer(
        rules.evaluator(),
        "kazspecmash",
        executor,
        [secret],
        ON,
        assume,
        retract=retract,
        redaction=rules.redaction,
        warnings=rules.warnings,
    )


@pytest.mark.parametrize(("executor", "secret"), REFUSALS)
def test_a_repair_assumed_and_retracted_whole_allows_the_transfer(
    world: Snapshot, executor: str, secret: str
) -> None:
    refused = _decide(world, executor, secret)
    assert refused.decision == "refused" and refused.assumed == 0
    advice = refused.per_secret[0].repairs
    assert advice is not None and advice.repairs
    add, remove = advice.repairs[0].facts()
    assert remove  # these repairs take facts on record away
    allowed = _decide(world, executor, secret, add, remove)
    assert allowed.decision == "allowed"
    assert allowed.assumed == len(add) + len(remove)
    assert _decide(world, executor, secret).decision == "refused"  # the facts untouched


def test_the_repairs_of_a_what_if_are_found_on_top_of_what_it_took_away(world: Snapshot) -> None:
    advice = _decide(world, "steppe_systems", "doc_4").per_secret[0].repairs
    assert advice is not None and advice.repairs
    _, remove = advice.repairs[0].facts()
    owners = [fact for fact in remove if fact.predicate == "owns"]  # half of the first repair
    assert owners
    partly = _decide(world, "steppe_systems", "doc_4", retract=owners)
    assert partly.decision == "refused"
    left = partly.per_secret[0].repairs
    assert left is not None and left.repairs
    assert all(change.kind != "ownership" for r in left.repairs for change in r.changes)
