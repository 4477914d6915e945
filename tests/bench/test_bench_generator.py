"""The benchmark's generated world loads, its questions are balanced, and the floor is the rules.

``bench/floor.py`` is the hand-written check the benchmark compares policyeval with; this test
keeps it from drifting away from the rules in ``policies/``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import generate
import pytest
from floor import Floor

from paths import ROOT
from policyeval.decree743 import BUILTINS, VOCABULARY
from policyeval.evaluator import Evaluator, build_knowledge_base
from policyeval.facts.loader import load_fact_files
from policyeval.loading import load_rules

EXECUTORS = 50
QUESTIONS = 160


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate.build_world(
        EXECUTORS, out, seed=3, questions=QUESTIONS, verify=False, say=lambda _: None
    )
    return out


def test_the_generated_files_load_without_problems(world: Path) -> None:
    fact_base = load_fact_files(
        [world / "facts"], VOCABULARY
    )  # raises FactError listing any problem
    kinds = {kind for kind, by_id in fact_base.records.items() if by_id}
    assert kinds >= {
        "organization",
        "person",
        "acting",
        "ownership",
        "secret",
        "request",
        "answer",
        "agreement",
        "notice",
        "permit",
        "admission",
        "protection_agreement",
        "service_notice",
    }
    assert len(fact_base.facts) > 20 * EXECUTORS


def test_policyeval_allows_some_refuses_some_and_the_floor_agrees(world: Path) -> None:
    fact_base = load_fact_files([world / "facts"], VOCABULARY)
    rules = load_rules(ROOT / "policies")
    evaluator = Evaluator(build_knowledge_base(rules.rules, fact_base.store(), builtins=BUILTINS))
    floor = Floor((f.predicate, f.args) for f in fact_base.facts)
    questions = json.loads((world / "questions.json").read_text(encoding="utf-8"))
    assert len(questions) == QUESTIONS

    verdicts = []
    for q in questions:
        args = (q["customer"], q["executor"], q["secret"], dt.date.fromisoformat(q["on"]))
        policyeval = bool(evaluator.ask("transfer_allowed", list(args)))
        assert floor.allowed(*args) == policyeval, f"floor and policyeval differ on {q}"
        verdicts.append(policyeval)
    allowed = sum(verdicts)
    assert QUESTIONS * 0.3 <= allowed <= QUESTIONS * 0.7, f"{allowed} of {QUESTIONS} allowed"


@pytest.mark.parametrize("seed", [37, 340])
def test_a_small_world_without_a_clean_holding_is_still_generated(seed: int) -> None:
    """These seeds once drew an owner from an empty list of holdings without foreign owners."""
    world = generate.generate(8, seed)
    assert len(world.executors) == 8
