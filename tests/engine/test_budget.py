"""Limits of one evaluation: a time budget that stops it (and leaves the engine usable), and
chains deeper than the Python stack proved without a ``RecursionError``. No test waits: a
budget is spent by a clock that jumps."""

from __future__ import annotations

import itertools
import json
import traceback
from collections.abc import Iterator

import pytest

from policyeval.engine import budget
from policyeval.engine.store import FactSource, FactStore
from policyeval.errors import EvaluationTimeout, LimitError
from policyeval.evaluator import Evaluator
from policyeval.explain import proof as proof_module
from policyeval.explain.model import ProofNode, proof_json
from policyeval.explain.proof import MAX_NESTED, MAX_PROOF_DEPTH
from routes import FEB1, routes_evaluator, routes_rules

CHAIN = """
@id("chain.owner") @clause("8.1") @reading("{X} has a foreign owner, {O}")
foreign_participation(X) :- owns(O, X), foreign(O).
@id("chain.through") @clause("8.1") @reading("{X} is owned by {O}, which has foreign participation")
foreign_participation(X) :- owns(O, X), foreign_participation(O).
"""


def chain(length: int, *, foreign_end: bool = True) -> Evaluator:
    """Organizations o0 … o{length-1}, each owned by the next; the last is foreign."""
    store = FactStore({"owns": 2, "foreign": 1})
    for i in range(length - 1):
        store.add("owns", (f"o{i + 1}", f"o{i}"), FactSource("chain.yaml", i + 1, f"own_{i}"))
    if foreign_end:
        store.add("foreign", (f"o{length - 1}",), FactSource("chain.yaml", length, "end"))
    return Evaluator.from_rules(routes_rules(CHAIN), store)


def _height(node: ProofNode) -> int:
    levels, layer = 0, [node]
    while layer:
        levels, layer = levels + 1, [child for n in layer for child in n.children]
    return levels


def _jumping_clock(calls_before: int) -> Iterator[float]:
    """A clock that stands still for ``calls_before`` readings, then jumps a day ahead."""
    return itertools.chain(itertools.repeat(0.0, calls_before), itertools.repeat(86_400.0))


def test_a_spent_budget_stops_the_evaluation() -> None:
    evaluator = routes_evaluator()
    with budget.deadline(0), pytest.raises(EvaluationTimeout, match="time budget, 0 s"):
        evaluator.ask("go", ["a", FEB1])
    with budget.deadline(0), pytest.raises(EvaluationTimeout):
        evaluator.query("go", ["c", FEB1])  # the why-not search stops too


def test_the_engine_answers_right_after_a_question_stopped_inside_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    evaluator = routes_evaluator()
    expected = evaluator.ask("go", ["a", FEB1])
    assert expected == [("a", FEB1)]
    for stop_after in (1, 2):  # stopped at the 1st and at the 2nd lookup of its search
        ticks = _jumping_clock(stop_after)
        monkeypatch.setattr(budget, "clock", lambda ticks=ticks: next(ticks))
        with budget.deadline(10), pytest.raises(EvaluationTimeout) as stopped:
            evaluator.ask("go", ["a", FEB1])
        frames = {frame.filename for frame in traceback.extract_tb(stopped.value.__traceback__)}
        assert any(name.endswith("pyEngine.py") for name in frames)  # stopped inside pyDatalog
        monkeypatch.undo()
        # The same thread, at once: the engine's state is whole.
        assert evaluator.ask("go", ["a", FEB1]) == expected
        assert evaluator.ask("path", ["a", None]) == [("a", "b"), ("a", "hub")]
        assert evaluator.ask("go", ["c", FEB1]) == []


def test_a_nested_deadline_never_extends_the_outer_one() -> None:
    with budget.deadline(0), budget.deadline(3600), pytest.raises(EvaluationTimeout):
        budget.check()
    with budget.deadline(None):
        budget.check()  # no budget


def test_a_chain_deeper_than_the_stack_is_proved(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(proof_module, "MAX_PROOF_DEPTH", 10_000)
    evaluator = chain(1500)  # ~6 frames a level: 9000 frames, recursively
    proof = evaluator.prove("foreign_participation", ("o0",))
    assert proof is not None and _height(proof) == 1500


def test_a_chain_within_the_limit_is_proved_written_and_read() -> None:
    length = MAX_PROOF_DEPTH - 4
    assert length > 2 * MAX_NESTED  # proved from its deep end first, more than once
    evaluator = chain(length)
    proof = evaluator.prove("foreign_participation", ("o0",))
    assert proof is not None and _height(proof) == length
    assert json.loads(proof_json(proof))["rule"] == "chain.through"
    result = evaluator.query("foreign_participation", ["o0"])
    assert result.answers and result.answers[0].proof == proof
    assert json.loads(result.model_dump_json())


def test_a_proof_deeper_than_the_limit_is_refused_by_name() -> None:
    evaluator = chain(200)  # was a RecursionError
    assert evaluator.ask("foreign_participation", ["o0"]) == [("o0",)]  # the answer stands
    with pytest.raises(LimitError, match="MAX_PROOF_DEPTH"):
        evaluator.prove("foreign_participation", ("o0",))
    # The far end of the chain is within the limit.
    assert evaluator.prove("foreign_participation", (f"o{200 - MAX_PROOF_DEPTH}",)) is not None


def test_why_not_on_a_deep_chain_is_bounded() -> None:
    evaluator = chain(300, foreign_end=False)
    why = evaluator.why_not("foreign_participation", ["o0"])
    assert why is not None and why.kind == "not_derivable"
    assert why.model_dump_json()
