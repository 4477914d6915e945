"""The rows proofs and why-nots read are the engine's: a derived condition found by walking its
rules in Python (:class:`~policyeval.explain.answers.Answers`) gives exactly the rows pyDatalog
gives, on generated worlds, for every sub-question a proof or a why-not asks; a why-not reusing
the decision's work is the why-not asked on its own; kept proof heights are the trees' own."""

from __future__ import annotations

import datetime as dt
import random
from functools import cache

import generate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generated_worlds import decree_rules, world_store
from paths import ROOT
from policyeval.decree743 import BUILTINS, VOCABULARY
from policyeval.engine.pydatalog import CompiledProgram
from policyeval.engine.store import FactStore
from policyeval.evaluator import Evaluator, KnowledgeBase, build_knowledge_base
from policyeval.explain.answers import Answers
from policyeval.explain.model import ProofNode
from policyeval.explain.proof import Prover
from policyeval.facts.loader import load_fact_files
from policyeval.language.syntax import Value, row_order
from routes import FEB1, routes_evaluator

QUESTION = "transfer_allowed"
EXAMPLES = settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WORLDS = {"seed": st.integers(0, 10_000), "executors": st.integers(8, 16)}


@cache
def _world(seed: int, executors: int) -> tuple[KnowledgeBase, KnowledgeBase, list[list[Value]]]:
    """The plain and the tabled knowledge base of a generated world, and its questions."""
    world = generate.generate(executors, seed)
    facts = world_store(world)
    plain, tabled = (
        build_knowledge_base(decree_rules(), facts, builtins=BUILTINS, materialize=materialize)
        for materialize in (False, True)
    )
    evaluator = Evaluator(tabled)

    def allowed(c: str, e: str, s: str, d: dt.date) -> bool:
        return bool(evaluator.ask(QUESTION, [c, e, s, d]))

    chosen = generate.choose_questions(world, allowed, 8, random.Random(seed))
    questions: list[list[Value]] = [
        [q["customer"], q["executor"], q["secret"], dt.date.fromisoformat(str(q["on"]))]
        for q in chosen
    ]
    return plain, tabled, questions


def _engine_rows(
    program: CompiledProgram, store: FactStore, predicate: str, pattern: tuple[Value | None, ...]
) -> list[tuple[Value, ...]]:
    return sorted(set(program.ask(predicate, pattern, store)), key=row_order)


def _assert_engine_agrees(answers: Answers, program: CompiledProgram, store: FactStore) -> int:
    """Every question ``answers`` found by the rules, asked of the engine again; how many."""
    asked = answers.answered()
    for (predicate, pattern), held in asked.items():
        expected = _engine_rows(program, store, predicate, pattern)
        assert held == bool(expected), (predicate, pattern)
        rows = answers.rows(predicate, pattern)
        assert rows == expected, (predicate, pattern)
    return len(asked)


@EXAMPLES
@given(**WORLDS)
def test_rows_found_by_the_rules_are_the_engines(seed: int, executors: int) -> None:
    for kb in _world(seed, executors)[:2]:
        checked = 0
        for question in _world(seed, executors)[2]:
            prover = kb.prover(kb.program, kb.store)
            if prover.prove(QUESTION, tuple(question)) is None:
                kb.explainer(kb.program, kb.store, prover).why_not(QUESTION, tuple(question))
            checked += _assert_engine_agrees(prover.answers, kb.program, kb.store)
        assert checked > 0


@EXAMPLES
@given(**WORLDS)
def test_a_why_not_after_the_decision_is_the_why_not_asked_alone(seed: int, executors: int) -> None:
    _, tabled, questions = _world(seed, executors)
    evaluator = Evaluator(tabled)
    for question in questions:
        result = evaluator.query(QUESTION, question)
        alone = evaluator.why_not(QUESTION, question)
        assert (result.why_not is None) == bool(result.answers)
        assert result.why_not == alone


def test_a_ground_question_that_holds_has_no_why_not_and_its_walk_is_kept() -> None:
    evaluator = routes_evaluator()
    assert evaluator.why_not("go", ["a", FEB1]) is None
    kb = evaluator.knowledge_base
    answers = Answers(kb.program, kb.store)
    assert answers.holds("go", ("a", FEB1))
    assert answers.answered() == {("go", ("a", FEB1)): True}
    assert not answers.walked("path")  # recursive: the engine's tabling answers it


def test_negated_and_open_conditions_are_found_without_the_engine() -> None:
    kb = routes_evaluator().knowledge_base
    answers = Answers(kb.program, kb.store)
    assert answers.rows("go", (None, FEB1)) == [("a", FEB1)]
    assert not answers.holds("go", ("c", FEB1))  # banned
    assert answers.rows("go", ("b", FEB1)) == []


def _walked_height(node: ProofNode) -> int:
    return 1 + max((_walked_height(child) for child in node.children), default=0)


def test_kept_proofs_carry_their_own_height() -> None:
    rules = decree_rules()
    store = load_fact_files([ROOT / "facts"], VOCABULARY).store()
    kb = build_knowledge_base(rules, store, builtins=BUILTINS)
    proof = Evaluator(kb).prove(QUESTION, ["kazspecmash", "nurtech", "doc_1", dt.date(2026, 3, 10)])
    assert proof is not None
    kept = [
        node
        for node in _nodes(proof)
        if node.kind == "rule" and kb.proofs.get(_key(node)) == (True, node)
    ]
    assert kept
    for node in kept:
        assert kb.proofs.height(_key(node)) == _walked_height(node)


def _key(node: ProofNode) -> tuple[str, tuple[Value, ...]]:
    return node.predicate or "", tuple(node.args)


def test_a_proof_from_a_warm_cache_is_the_cold_one() -> None:
    store = load_fact_files([ROOT / "facts"], VOCABULARY).store()
    kb = build_knowledge_base(decree_rules(), store, builtins=BUILTINS)
    question = ("kazspecmash", "nurtech", "doc_1", dt.date(2026, 3, 10))
    cold = Prover(kb.program, kb.store, kb.proofs).prove(QUESTION, question)
    warm = Prover(kb.program, kb.store, kb.proofs).prove(QUESTION, question)
    bare = Prover(kb.program, kb.store).prove(QUESTION, question)
    assert cold is not None and cold == warm == bare


def _nodes(node: ProofNode) -> list[ProofNode]:
    found = [node]
    for child in node.children:
        found.extend(_nodes(child))
    return found
