"""The benchmark's generated world loads, its questions are balanced, and the peers are the rules.

``bench/floor.py`` is the hand-written check the benchmark compares policyeval with, and
``bench/asp.py`` and ``bench/cedar.py`` the clingo and Cedar peers; these tests keep them from
drifting away from the rules in ``policies/``, dated facts included.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import generate
import pytest
from floor import DATED, Floor, fact_rows

from paths import ROOT
from policyeval.decree743 import BUILTINS, VOCABULARY
from policyeval.evaluator import Evaluator, build_knowledge_base
from policyeval.facts.loader import FactBase, load_fact_files
from policyeval.loading import load_rules

EXECUTORS = 50
QUESTIONS = 160
Question = tuple[str, str, str, dt.date]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate.build_world(
        EXECUTORS, out, seed=2, questions=QUESTIONS, verify=False, say=lambda _: None
    )
    return out


@pytest.fixture(scope="module")
def fact_base(world: Path) -> FactBase:
    return load_fact_files([world / "facts"], VOCABULARY)  # raises FactError listing any problem


@pytest.fixture(scope="module")
def questions(world: Path) -> list[Question]:
    raw = json.loads((world / "questions.json").read_text(encoding="utf-8"))
    return [
        (q["customer"], q["executor"], q["secret"], dt.date.fromisoformat(q["on"])) for q in raw
    ]


@pytest.fixture(scope="module")
def policyeval_answers(fact_base: FactBase, questions: list[Question]) -> list[bool]:
    rules = load_rules(ROOT / "policies")
    # the rules as written (no tables), as generate.py labels its questions
    evaluator = Evaluator(
        build_knowledge_base(rules.rules, fact_base.store(), builtins=BUILTINS, materialize=False)
    )
    return [bool(evaluator.ask("transfer_allowed", list(q))) for q in questions]


def test_the_generated_files_load_without_problems(fact_base: FactBase) -> None:
    kinds = {kind for kind, by_id in fact_base.records.items() if by_id}
    assert kinds >= {
        "organization",
        "person",
        "acting",
        "ownership",
        "affiliation",
        "secret",
        "request",
        "answer",
        "agreement",
        "notice",
        "permit",
        "admission",
        "protection_agreement",
        "service_notice",
        "territory",
        "competence",
        "addendum",
        "change",
        "change_notice",
        "cancellation",
    }
    assert len(fact_base.facts) > 20 * EXECUTORS


def test_the_peers_know_the_dated_predicates() -> None:
    assert frozenset(VOCABULARY.dated()) == DATED


def test_the_world_has_facts_that_change_over_time(fact_base: FactBase) -> None:
    bounded = generate.dated_facts([*fact_base.facts, *fact_base.computed_facts()])
    assert set(bounded) >= {"org_head", "works_at", "owns", "has_protection_division"}, bounded
    assert set(bounded) >= {"empowered_provider", "org_kind", "quasi_public_status"}, bounded
    assert "capital_accounted" in bounded, bounded
    shares = {str(f.args[2]) for f in fact_base.facts if f.predicate == "owns"}
    assert "100 %" in shares
    assert any("." in share for share in shares), shares  # exact fractions such as 12.75 %


def test_the_world_exercises_the_readings_of_the_rules(fact_base: FactBase) -> None:
    """Withdrawn and later refused permissions, late receipts, answers silent on the executor,
    secrets added by addenda, admissions by level alone, permit cancellations, an assignee, a
    department competent for a region, commercial quasi-public subjects, unaccounted capital."""
    facts = fact_rows(fact_base)
    predicates = {p for p, _ in facts}
    assert predicates >= {
        "answer_withdrawn",
        "answer_received",
        "addendum_secret",
        "addendum_assignee",
        "territory_region",
        "quasi_public_status",
        "cancellation_by",
        "request_planned_end",
    }, predicates
    refused = {a[0] for p, a in facts if p == "answer_decision" and a[1] == "refused"}
    assert any(p == "answer_request" and a[0].startswith("anr_") for p, a in facts)
    assert refused
    accounted = {a[0] for p, a in facts if p == "capital_accounted"}
    assert "pr_taraz_0" not in accounted and "pr_astana_0" in accounted
    assert any(p == "competent_for" and a[1] == generate.REGION for p, a in facts)


def test_policyeval_allows_some_refuses_some_and_the_floor_agrees(
    fact_base: FactBase, questions: list[Question], policyeval_answers: list[bool]
) -> None:
    floor = Floor(fact_rows(fact_base))
    assert len(questions) == QUESTIONS
    for question, policyeval in zip(questions, policyeval_answers, strict=True):
        assert floor.allowed(*question) == policyeval, f"floor and policyeval differ on {question}"
    allowed = sum(policyeval_answers)
    assert QUESTIONS * 0.3 <= allowed <= QUESTIONS * 0.7, f"{allowed} of {QUESTIONS} allowed"


def test_clingo_agrees_with_policyeval(
    fact_base: FactBase, questions: list[Question], policyeval_answers: list[bool]
) -> None:
    asp = pytest.importorskip("asp", reason="clingo: pip install -r bench/requirements.txt")
    checker = asp.AspChecker()
    checker.ground_base(fact_rows(fact_base))
    for question, policyeval in zip(questions, policyeval_answers, strict=True):
        assert checker.allowed(*question) == policyeval, f"clingo differs on {question}"


def test_cedar_agrees_with_policyeval(
    fact_base: FactBase, questions: list[Question], policyeval_answers: list[bool]
) -> None:
    cedar = pytest.importorskip("cedar", reason="cedarpy: pip install -r bench/requirements.txt")
    if cedar.MISSING:
        pytest.skip(f"the Cedar peer is {cedar.MISSING}")
    checker = cedar.CedarChecker(Floor(fact_rows(fact_base)))
    for question, policyeval in zip(questions, policyeval_answers, strict=True):
        assert checker.allowed(*question) == policyeval, f"Cedar differs on {question}"


@pytest.mark.parametrize("seed", [37, 340])
def test_a_small_world_without_a_clean_holding_is_still_generated(seed: int) -> None:
    """These seeds once drew an owner from an empty list of holdings without foreign owners."""
    world = generate.generate(8, seed)
    assert len(world.executors) == 8
