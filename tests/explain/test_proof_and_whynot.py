"""Proofs and why-not on small rule sets: down to the facts and their sources, every failed
condition and nothing that holds, blocking atoms proved, recursion followed."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest

from policyeval.engine.store import FactStore
from policyeval.evaluator import Evaluator
from policyeval.explain.model import ProofNode, proof_from_json, proof_json
from routes import FEB1, routes_evaluator, routes_rules, routes_store


@pytest.fixture()
def evaluator() -> Evaluator:
    return routes_evaluator()


def test_proof_goes_down_to_facts_with_their_source(evaluator: Evaluator) -> None:
    proof = evaluator.prove("go", ["a", FEB1])
    assert proof is not None
    assert proof.rule == "go.open" and proof.clause == "2.1"
    assert proof.reading == "a may travel on 2026-02-01: it reaches the hub and is open"
    kinds = [child.kind for child in proof.children]
    assert kinds == ["rule", "fact", "comparison", "absent"]
    path = proof.children[0]
    assert path.rule == "path.step"
    leaves = [n for n in _walk(proof) if n.kind == "fact"]
    assert {(n.atom, n.source.line) for n in leaves if n.source} == {
        ("edge(a, b)", 1),
        ("edge(b, hub)", 2),
        ("opened(a, 2026-01-01)", 4),
    }
    assert proof.children[3].atom == "banned(a)"
    assert "no such fact" in (proof.children[3].note or "")
    assert proof.clauses() == {"1", "2.1"}
    assert "edge(a, b)  (fact)  @ world.yaml:1" in proof.render()
    assert '"file":"world.yaml"' in proof_json(proof)


def test_a_proof_reads_back_from_the_json_its_answer_carries(evaluator: Evaluator) -> None:
    result = evaluator.query("go", ["a", FEB1])
    proof = result.answers[0].proof
    assert proof is not None
    carried = json.loads(result.model_dump_json())["answers"][0]["proof"]
    assert carried == json.loads(proof_json(proof))
    read = proof_from_json(carried)  # a day in ``args`` reads back as its text, as before
    assert json.loads(proof_json(read)) == carried
    assert read.render() == proof.render()
    assert read.children[1].source is not None and read.children[1].source.file == "world.yaml"
    with pytest.raises(ValueError, match="kind"):
        proof_from_json({**carried, "kind": "guess"})


def test_proof_of_false_atom_is_none(evaluator: Evaluator) -> None:
    assert evaluator.prove("go", ["c", FEB1]) is None


def test_why_not_reports_each_alternative_and_only_failed_conditions(
    evaluator: Evaluator,
) -> None:
    failure = evaluator.why_not("go", ["a", dt.date(2025, 6, 1)])
    assert failure is not None
    by_rule = {alt.rule: alt for alt in failure.alternatives}
    assert set(by_rule) == {"go.open", "go.vip"}
    assert [f.condition for f in by_rule["go.open"].failed] == ["2025-06-01 >= 2026-01-01"]
    assert [f.kind for f in by_rule["go.open"].failed] == ["comparison_false"]
    assert [f.condition for f in by_rule["go.vip"].failed] == ["vip(a)", "day(2025-06-01)"]


def test_why_not_blames_negation_with_the_proof_of_what_blocks(evaluator: Evaluator) -> None:
    failure = evaluator.why_not("go", ["c", FEB1])
    assert failure is not None
    open_rule = next(a for a in failure.alternatives if a.rule == "go.open")
    assert [f.kind for f in open_rule.failed] == ["negation_holds"]
    blocking = open_rule.failed[0].holds_because
    assert blocking is not None and blocking.source is not None and blocking.source.line == 6


def test_why_not_single_missing_fact_cites_only_it_and_its_ancestors() -> None:
    store = routes_store()
    store.add("vip", ("z",))
    evaluator = Evaluator.from_rules(routes_rules(), store)
    failure = evaluator.why_not("go", ["z", FEB1])
    assert failure is not None
    vip = next(a for a in failure.alternatives if a.rule == "go.vip")
    assert [f.condition for f in vip.failed] == ["day(2026-02-01)"]
    leaves = {leaf.condition for leaf in failure.leaves()}
    assert "vip(z)" not in leaves
    open_rule = next(a for a in failure.alternatives if a.rule == "go.open")
    # opened(z, O) is missing; the comparison needs O and is not blamed.
    assert "opened(z, _)" in [f.condition for f in open_rule.failed]
    assert open_rule.unchecked == ["2026-02-01 >= _"]


def test_why_not_recurses_into_derived_conditions(evaluator: Evaluator) -> None:
    failure = evaluator.why_not("path", ["a", "c"])
    assert failure is not None and failure.kind == "not_derivable"
    step = next(a for a in failure.alternatives if a.rule == "path.step")
    assert sorted(f.condition for f in step.failed) == ["edge(b, c)", "edge(hub, c)"]
    reasons = evaluator.query("path", ["a", "c"]).reasons
    # The closest way (one missing edge) is the reason; the other is folded under it.
    assert [r.rule for r in reasons] == ["path.direct"]
    assert reasons[0].missing == ["no fact edge(a, c)"]
    assert [(w.rule, w.failed) for w in reasons[0].other_ways] == [("path.step", 2)]


def test_no_why_not_when_the_question_holds(evaluator: Evaluator) -> None:
    assert evaluator.why_not("go", ["a", FEB1]) is None
    result = evaluator.query("go", ["a", FEB1])
    assert result.why_not is None and result.answers[0].proof is not None


def test_failed_condition_never_blames_a_holding_condition(evaluator: Evaluator) -> None:
    failure = evaluator.why_not("go", ["b", FEB1])
    assert failure is not None
    for leaf in failure.leaves():
        if leaf.kind == "missing_fact" and None not in leaf.args:
            assert leaf.predicate is not None
            assert not evaluator.ask(leaf.predicate, leaf.args)


def _walk(node: ProofNode) -> Iterator[ProofNode]:
    yield node
    for child in node.children:
        yield from _walk(child)


FOREIGN_OWNERSHIP = (
    '@id("f.direct") @clause("8") @reading("{X} has a foreign owner")\n'
    "foreign(X) :- owns(O, X), foreign_kind(O).\n"
    '@id("f.chain") @clause("8") @reading("{X} is owned by foreign-held {O}")\n'
    "foreign(X) :- owns(O, X), foreign(O).\n"
)


def test_a_condition_whose_rules_do_not_match_is_still_a_reason() -> None:
    rules = routes_rules(
        '@id("kind.state") @clause("2") @reading("a state body may order")\n'
        "kind_ok(state_body).\n"
        '@id("customer") @clause("3") @reading("{X} may order as a {K}")\n'
        "customer(X) :- kind(X, K), kind_ok(K).\n"
    )
    store = FactStore({"kind": 2})
    store.add("kind", ("acme", "foreign"))
    result = Evaluator.from_rules(rules, store).query("customer", ["acme"])
    assert [(r.rule, r.text, r.missing) for r in result.reasons] == [
        (
            "customer",
            "not established that acme may order as a foreign",
            ["no rule establishes kind_ok(foreign)"],
        )
    ]


def test_proof_of_a_long_ownership_chain_follows_the_chain() -> None:
    rules = routes_rules(FOREIGN_OWNERSHIP)
    store = FactStore({"owns": 2, "foreign_kind": 1})
    store.add("foreign_kind", ("x0",))
    for i in range(40):
        store.add("owns", (f"x{i}", f"x{i + 1}"))
        store.add("owns", (f"x{i}", f"side{i}"))
    proof = Evaluator.from_rules(rules, store).prove("foreign", ["x40"])
    depth, node = 0, proof
    while node is not None and node.rule == "f.chain":
        depth += 1
        node = next(c for c in node.children if c.rule)
    assert depth == 39 and node is not None and node.rule == "f.direct"
