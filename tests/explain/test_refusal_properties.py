"""Properties of refusals and proofs on random worlds of the benchmark's generator.

a. The top repair of a refusal, applied to a fact base rebuilt from scratch (not the what-if
   overlay the repair search used) and asked of the rules as written, allows the question.
b. Removing a fact a proof uses either refuses the question or leaves a proof without it.
c. No reason blames a condition that holds: a missing fact of the why-not tree is not on
   record, a false comparison is false, and a reason's conditions are failed nodes of the tree.
d. No reason comes from a rule whose condition on what sort of thing a party is fails.
"""

from __future__ import annotations

import datetime as dt
import operator
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import generate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generated_worlds import decree_rules, world_store
from policyeval.decree743 import BUILTINS as DECREE_BUILTINS
from policyeval.decree743 import VOCABULARY
from policyeval.decree743.decisions import SecretDecision, decide_transfer
from policyeval.engine.store import BaseFact, FactStore
from policyeval.evaluator import Evaluator, build_knowledge_base
from policyeval.explain.model import FailedCondition, ProofNode, RuleFailure
from policyeval.language.syntax import Value, value_order

QUESTION = "transfer_allowed"

EXAMPLES = settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WORLDS = {"seed": st.integers(0, 10_000), "executors": st.integers(8, 20)}


@dataclass(frozen=True)
class _World:
    facts: FactStore
    """The base facts, as loaded."""
    evaluator: Evaluator
    """The library default: tables, and refusals worded in record terms."""
    stored: frozenset[tuple[str, tuple[Value, ...]]]
    """Every base fact as stored (a dated one with its period)."""
    allowed: list[list[Value]]
    refused: list[list[Value]]


@cache
def _world(seed: int, executors: int, questions: int = 12) -> _World:
    world = generate.generate(executors, seed)
    facts = world_store(world)
    knowledge_base = build_knowledge_base(
        decree_rules(), facts, builtins=DECREE_BUILTINS, glossary=VOCABULARY.glossary()
    )
    evaluator = Evaluator(knowledge_base)

    def allowed(c: str, e: str, s: str, d: dt.date) -> bool:
        return bool(evaluator.ask(QUESTION, [c, e, s, d]))

    chosen = generate.choose_questions(world, allowed, questions, random.Random(seed))
    asked: dict[bool, list[list[Value]]] = {True: [], False: []}
    for q in chosen:
        on = dt.date.fromisoformat(str(q["on"]))
        asked[bool(q["allowed"])].append([q["customer"], q["executor"], q["secret"], on])
    stored = frozenset(_stored_rows(facts))
    return _World(facts, evaluator, stored, asked[True], asked[False])


def _refused(world: _World, question: list[Value]) -> SecretDecision:
    """The decision on a question the world refuses, with its reasons, why-not and repairs."""
    customer, executor, secret, on = question
    assert isinstance(on, dt.date)
    decision = decide_transfer(world.evaluator, str(customer), str(executor), [str(secret)], on)
    assert decision.decision == "refused", question
    decided = decision.per_secret[0]
    assert decided.why_not is not None, question
    return decided


# -- a. the top repair allows, on a fact base rebuilt without it ------------------------------


def _stored_rows(facts: FactStore) -> Iterator[tuple[str, tuple[Value, ...]]]:
    """Every base fact as stored: a dated one with its first and last day instead of a day."""
    dated = facts.dated()
    for predicate, arity in facts.schema().items():
        if predicate in dated:
            for row, (first, last) in facts.periods(predicate, [None] * (arity - 1)):
                yield predicate, (*row, first, last)
        else:
            for row, _ in facts.facts(predicate):
                yield predicate, row


def _rebuilt(
    facts: FactStore, added: tuple[BaseFact, ...], retracted: tuple[BaseFact, ...]
) -> FactStore:
    """A new store from scratch: ``facts`` without ``retracted``, with ``added``."""
    rows = list(_stored_rows(facts))
    present = set(rows)
    gone = {(fact.predicate, fact.args) for fact in retracted}
    assert gone <= present, f"a repair retracts facts not on record: {gone - present}"
    fresh = FactStore(facts.schema(), facts.dated())
    for predicate, row in rows:
        if (predicate, row) not in gone:
            fresh.add(predicate, row)
    for fact in added:
        fresh.add(fact.predicate, fact.args)
    return fresh


def _plain(store: FactStore) -> Evaluator:
    """The rules as written (no tables) over ``store``."""
    return Evaluator(
        build_knowledge_base(decree_rules(), store, builtins=DECREE_BUILTINS, materialize=False)
    )


def test_the_top_repair_of_a_refusal_allows_it_on_a_rebuilt_fact_base() -> None:
    checked: list[tuple[int, int, list[Value]]] = []

    @EXAMPLES
    @given(**WORLDS)
    def run(seed: int, executors: int) -> None:
        world = _world(seed, executors)
        for question in world.refused:
            repairs = _refused(world, question).repairs
            if repairs is None or not repairs.repairs:
                continue
            top = repairs.repairs[0]
            assert top.checked
            added, retracted = top.facts()
            assert added or retracted, top.text
            # The rebuilt fact base refuses as the library did, and allows once repaired.
            assert not _plain(_rebuilt(world.facts, (), ())).ask(QUESTION, question), question
            repaired = _plain(_rebuilt(world.facts, added, retracted))
            assert repaired.ask(QUESTION, question), (seed, executors, question, top.text)
            checked.append((seed, executors, question))

    run()
    assert checked, "no refusal of the examples had a repair: the property was never checked"


# -- b. a proof without one of its facts ------------------------------------------------------


def _nodes(proof: ProofNode) -> Iterator[ProofNode]:
    yield proof
    for child in proof.children:
        yield from _nodes(child)


def _stored_leaf(facts: FactStore, leaf: ProofNode) -> BaseFact:
    """A proof's fact leaf as stored: a dated one with its period in place of the day asked."""
    assert leaf.predicate is not None and leaf.predicate in facts.schema(), leaf.atom
    args: tuple[Value, ...] = tuple(leaf.args)
    if facts.is_dated(leaf.predicate):
        assert leaf.source is not None and leaf.source.dated, leaf.atom
        first = leaf.source.valid_from or dt.date.min
        last = leaf.source.valid_to or dt.date.max
        args = (*args[:-1], first, last)
    return BaseFact(leaf.predicate, args)


def _fact_leaves(facts: FactStore, proof: ProofNode) -> list[BaseFact]:
    leaves = (_stored_leaf(facts, node) for node in _nodes(proof) if node.kind == "fact")
    return list(dict.fromkeys(leaves))


@EXAMPLES
@given(**WORLDS)
def test_removing_a_fact_a_proof_uses_refuses_or_proves_without_it(
    seed: int, executors: int
) -> None:
    world = _world(seed, executors)
    for question in world.allowed[:3]:
        proof = world.evaluator.prove(QUESTION, question)
        assert proof is not None, question
        leaves = _fact_leaves(world.facts, proof)
        assert leaves
        for fact in leaves:
            # On record as stored, or retracting it would retract nothing.
            assert (fact.predicate, fact.args) in world.stored, fact
            if not world.evaluator.ask(QUESTION, question, retract=[fact]):
                continue
            other = world.evaluator.prove(QUESTION, question, retract=[fact])
            assert other is not None, (seed, executors, question, fact)
            assert fact not in _fact_leaves(world.facts, other), (seed, executors, question, fact)


# -- c. and d. what a refusal's reasons rest on -----------------------------------------------


def _failed_nodes(node: FailedCondition) -> Iterator[FailedCondition]:
    yield node
    for alternative in node.alternatives:
        for failed in alternative.failed:
            yield from _failed_nodes(failed)


def _rule_failures(node: FailedCondition) -> Iterator[RuleFailure]:
    for alternative in node.alternatives:
        yield alternative
        for failed in alternative.failed:
            yield from _rule_failures(failed)


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _compares(op: str, left: Value, right: Value) -> bool:
    """``left op right`` in Python; an order across types by the language's one order."""
    if op in ("=", "!=") or type(left) is type(right):
        return _COMPARE[op](left, right)
    return _COMPARE[op](value_order(left), value_order(right))


def _refusals(world: _World) -> Iterator[tuple[list[Value], SecretDecision, FailedCondition]]:
    for question in world.refused:
        decided = _refused(world, question)
        assert decided.why_not is not None
        yield question, decided, decided.why_not


@EXAMPLES
@given(**WORLDS)
def test_no_reason_blames_a_condition_that_holds(seed: int, executors: int) -> None:
    world = _world(seed, executors)
    for question, decided, tree in _refusals(world):
        where = (seed, executors, question)
        failed = list(_failed_nodes(tree))
        for node in failed:
            if node.kind == "missing_fact" and all(v is not None for v in node.args):
                assert node.predicate is not None
                args = [v for v in node.args if v is not None]
                assert not world.facts.holds(node.predicate, args), (where, node.condition)
                assert not world.evaluator.ask(node.predicate, list(args)), (where, node.condition)
            if node.kind == "comparison_false" and len(node.values) == 2:
                assert node.operator is not None
                left, right = node.values
                assert not _compares(node.operator, left, right), (where, node.condition)
        conditions = {node.condition for node in failed}
        for reason in decided.reasons:
            assert set(reason.conditions) <= conditions, (where, reason.rule, reason.conditions)


@EXAMPLES
@given(**WORLDS)
def test_no_reason_comes_from_a_rule_that_cannot_apply(seed: int, executors: int) -> None:
    for question, decided, tree in _refusals(_world(seed, executors)):
        applicable: set[tuple[str, str]] = set()
        inapplicable: set[tuple[str, str]] = set()
        for failure in _rule_failures(tree):
            kept = inapplicable if failure.does_not_apply else applicable
            kept.add((failure.rule, failure.reading))
        for reason in decided.reasons:
            assert (reason.rule, reason.reading) in applicable, (
                seed,
                executors,
                question,
                reason.rule,
                reason.reading,
            )
