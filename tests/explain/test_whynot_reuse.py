"""A why-not that reads what is kept says what one reading nothing says: on generated worlds, a
why-not on a warm knowledge base equals one by a fresh explainer whose walk finds every row of
every condition; a ground walked condition is answered by its first row, with the witness a
full walk keeps; comparisons and heads bind as the engine binds them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from functools import cache

import generate
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generated_worlds import decree_rules, world_store
from policyeval.decree743 import BUILTINS
from policyeval.engine.bindings import Env, bind_pattern, comparison_solutions
from policyeval.evaluator import Evaluator, KnowledgeBase, build_knowledge_base
from policyeval.explain.answers import Answers, bind_head, compared
from policyeval.explain.proof import ProofCache, Prover
from policyeval.explain.whynot import Explainer
from policyeval.language.syntax import Atom, Comparison, Const, Value, Var

QUESTION = "transfer_allowed"
EXAMPLES = settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WORLDS = {"seed": st.integers(0, 10_000), "executors": st.integers(8, 14)}


@cache
def _world(seed: int, executors: int) -> tuple[KnowledgeBase, list[tuple[Value, ...]]]:
    """The tabled knowledge base of a generated world and its questions (allowed and not)."""
    world = generate.generate(executors, seed)
    kb = build_knowledge_base(decree_rules(), world_store(world), builtins=BUILTINS)
    evaluator = Evaluator(kb)

    def allowed(c: str, e: str, s: str, d: dt.date) -> bool:
        return bool(evaluator.ask(QUESTION, [c, e, s, d]))

    chosen = generate.choose_questions(world, allowed, 10, random.Random(seed))
    return kb, [
        (q["customer"], q["executor"], q["secret"], dt.date.fromisoformat(str(q["on"])))
        for q in chosen
    ]


class _EveryRow(Answers):
    """A walk that finds every row of every condition, a ground one included (as before a
    ground walked condition stopped at its first row), keeping nothing beyond one question."""

    def extensions(self, atom: Atom, env: Env) -> list[Env]:
        pattern = tuple(t.value if isinstance(t, Const) else env.get(t.name) for t in atom.terms)
        if None in pattern:
            return super().extensions(atom, env)
        return [env] * len(self.rows(atom.predicate, pattern))


def _reference_why_not(kb: KnowledgeBase, question: tuple[Value, ...]) -> object:
    prover = Prover(kb.program, kb.store)
    prover.answers = _EveryRow(kb.program, kb.store)
    explainer = Explainer(kb.program, kb.store, prover, kb.glossary)
    assert not explainer.answers.holds(QUESTION, question)
    return explainer.why_not(QUESTION, question)


@EXAMPLES
@given(**WORLDS)
def test_a_why_not_on_kept_work_is_a_fresh_full_walks(seed: int, executors: int) -> None:
    base, questions = _world(seed, executors)
    kb = dataclasses.replace(base, proofs=ProofCache())
    shared = Evaluator(kb)
    refused = [q for q in questions if not shared.ask(QUESTION, list(q))]
    assert refused
    for question in questions:  # every decision's walk and proof kept first
        shared.query(QUESTION, list(question))
    for question in refused * 2:  # then every why-not, twice: the second all kept
        assert shared.why_not(QUESTION, list(question)) == _reference_why_not(kb, question)


def test_a_ground_walked_condition_stops_at_its_first_row_with_a_full_walks_witness() -> None:
    kb, questions = _world(3, 12)
    program, store = kb.program, kb.store
    atom = Atom("cleared_for_secret", (Var("E"), Var("S"), Var("D")))
    checked = 0
    for _, executor, secret, day in questions:
        env: Env = {"E": executor, "S": secret, "D": day}
        ground = (executor, secret, day)
        answers = Answers(program, store)
        full = Answers(program, store)
        rows = full.rows(atom.predicate, ground)
        assert answers.extensions(atom, env) == [env] * len(rows)
        assert (atom.predicate, ground) not in answers._rows  # whether it holds, no more
        assert answers.holds(atom.predicate, ground) == bool(rows)
        if rows:
            assert answers.witness(atom.predicate, ground) == full.witness(atom.predicate, ground)
            checked += 1
    assert checked > 0


_VALUES: list[Value | None] = [None, 1, 2, "a", "b", dt.date(2026, 1, 1), dt.date(2026, 2, 1)]


@pytest.mark.parametrize("operator", ["=", "!=", "<", "<=", ">", ">="])
def test_a_comparison_binds_as_the_engines(operator: str) -> None:
    comparison = Comparison(operator, Var("L"), Var("R"))
    for left in _VALUES:
        for right in _VALUES:
            env: Env = {k: v for k, v in (("L", left), ("R", right)) if v is not None}
            found = list(compared(comparison, env))
            assert found == list(comparison_solutions(comparison, env)), (left, right)
            if left is not None and right is not None and found:
                assert found == [env] and found[0] is env  # nothing to bind: no copy


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_head_binds_as_the_engines(data: st.DataObject) -> None:
    kb, _ = _world(3, 12)
    answers = Answers(kb.program, kb.store)
    rule = data.draw(st.sampled_from(decree_rules().rules))
    body = next(b for b in answers.bodies(rule.head.predicate) if b[0] is rule)
    pattern = tuple(data.draw(st.sampled_from(_VALUES)) for _ in rule.head.terms)
    assert bind_head(body, pattern) == bind_pattern(rule.head.terms, pattern)


def test_a_head_naming_one_variable_twice_needs_the_same_value_twice() -> None:
    kb, _ = _world(3, 12)
    answers = Answers(kb.program, kb.store)
    body = answers.bodies("acts_as_customer")[0]
    assert body[2] is None  # acts_as_customer(C, C, A, D): bound as the engine binds
    day = dt.date(2026, 1, 1)
    assert bind_head(body, ("x", "y", None, day)) is None
    assert bind_head(body, ("x", "x", None, day)) == {"C": "x", "D": day}
