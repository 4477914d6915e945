"""Explanations reuse work without changing what they say: a proof built from the body instance
that first gave a row (its witness) is the proof the search finds; sub-questions, proofs and
fact nodes kept for a knowledge base give every later question what it would find alone; a
what-if keeps nothing; the kept rows stay bounded; lazy origins and cached readings read as
before."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from functools import cache

import generate

from generated_worlds import decree_rules, world_store
from policyeval.decree743 import BUILTINS
from policyeval.engine.store import BaseFact, FactSource
from policyeval.evaluator import Evaluator, KnowledgeBase, build_knowledge_base
from policyeval.explain.kept_rows import KeptRows
from policyeval.explain.model import ProofNode, ValueOrigin
from policyeval.explain.origins import NO_ORIGINS, Origins
from policyeval.explain.proof import ProofCache, Prover
from policyeval.explain.whynot import Explainer
from policyeval.language.syntax import Rule, Value
from routes import FEB1, routes_evaluator

QUESTION = "transfer_allowed"
SEEDS = (3, 11)


@cache
def _world(seed: int) -> tuple[KnowledgeBase, list[tuple[Value, ...]]]:
    """The tabled knowledge base of a generated world of 12 executors, and its questions."""
    world = generate.generate(12, seed)
    store = world_store(world)
    kb = build_knowledge_base(decree_rules(), store, builtins=BUILTINS)
    evaluator = Evaluator(kb)

    def allowed(c: str, e: str, s: str, d: dt.date) -> bool:
        return bool(evaluator.ask(QUESTION, [c, e, s, d]))

    chosen = generate.choose_questions(world, allowed, 12, random.Random(seed))
    questions: list[tuple[Value, ...]] = [
        (q["customer"], q["executor"], q["secret"], dt.date.fromisoformat(str(q["on"])))
        for q in chosen
    ]
    return kb, questions


def _fresh(kb: KnowledgeBase) -> KnowledgeBase:
    return dataclasses.replace(kb, proofs=ProofCache())


class _Searching(Prover):
    """A prover that never uses witnesses: every rule's body is searched, as before them."""

    def _witnessed(self, predicate: str, args: tuple[Value, ...]) -> tuple[bool, ProofNode | None]:
        return False, None


class _Counting(Prover):
    """A prover counting the proofs it built from witnesses."""

    replays = 0

    def _replay(
        self, rule: Rule, final: dict[str, Value], args: tuple[Value, ...]
    ) -> ProofNode | None:
        _Counting.replays += 1
        return super()._replay(rule, final, args)


def test_a_proof_from_witnesses_is_the_proof_the_search_finds() -> None:
    _Counting.replays = 0
    proved = 0
    for seed in SEEDS:
        kb, questions = _world(seed)
        for question in questions:
            replayed = _Counting(kb.program, kb.store).prove(QUESTION, question)
            searched = _Searching(kb.program, kb.store).prove(QUESTION, question)
            assert replayed == searched, question
            proved += replayed is not None
    assert proved > 0
    assert _Counting.replays > proved  # the top rule's proof and those beneath it


def test_explanations_on_a_shared_knowledge_base_are_those_asked_alone() -> None:
    for seed in SEEDS:
        base, questions = _world(seed)
        kb = _fresh(base)
        shared = Evaluator(kb)
        results = [shared.query(QUESTION, list(q)) for q in questions]
        results += [shared.query(QUESTION, list(q)) for q in questions]  # all kept by now
        assert len(kb.proofs.kept) > 0
        for question, result in zip(questions * 2, results, strict=True):
            alone = Prover(kb.program, kb.store)  # keeps nothing beyond this question
            proof = alone.prove(QUESTION, question)
            assert (result.answers[0].proof if result.answers else None) == proof
            if proof is None:
                why_not = Explainer(kb.program, kb.store, alone, kb.glossary).why_not(
                    QUESTION, question
                )
                assert result.why_not == why_not


def test_a_what_if_keeps_nothing_for_the_knowledge_base() -> None:
    evaluator = routes_evaluator()
    kb = evaluator.knowledge_base
    lifted = BaseFact("banned", ("c",), FactSource("world.yaml", 6, "r6"))
    assert evaluator.query("go", ["c", FEB1], retract=[lifted]).answers
    assert len(kb.proofs.kept) == 0
    assert not evaluator.query("go", ["c", FEB1]).answers  # the ban stands outside the what-if
    assert len(kb.proofs.kept) > 0


def test_a_fact_node_is_kept_and_shared_by_later_proofs() -> None:
    evaluator = routes_evaluator()
    first, second = (evaluator.prove("go", ["a", FEB1]) for _ in range(2))
    kb = evaluator.knowledge_base
    bare = Prover(kb.program, kb.store).prove("go", ("a", FEB1))
    assert first is not None and second is not None and first == second == bare
    facts = list(first.fact_nodes())
    assert facts
    assert all(a is b for a, b in zip(facts, second.fact_nodes(), strict=True))
    assert all(kb.proofs.fact((n.predicate or "", tuple(n.args))) is n for n in facts)


def test_kept_rows_are_emptied_once_past_their_limit() -> None:
    kept = KeptRows(limit=2)
    kept.rows[("p", ("a",))] = [("a",)]
    kept.holds[("p", ("a",))] = True
    assert kept.bounded() is kept and len(kept) == 2
    kept.rows[("p", ("b",))] = []
    kept.rows[("p", ("c",))] = []
    kept.bounded()
    assert len(kept) == 0


def test_origins_are_found_when_first_read_and_once() -> None:
    calls: list[int] = []
    origin = ValueOrigin(predicate="edge", args=["a", "b"], position=1)

    def find(position: int) -> ValueOrigin | None:
        calls.append(position)
        return origin if position == 1 else None

    origins = Origins(find)
    assert calls == []
    assert origins.at(1) is origin and origins.at(1) is origin and origins.at(0) is None
    assert calls == [1, 0]
    assert NO_ORIGINS.at(0) is None
