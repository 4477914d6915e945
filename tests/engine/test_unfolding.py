"""Unfolding a one-rule predicate into its callers changes the cost of a question, never its
answer: the decree's rules compiled with and without it agree on every relation and question."""

from __future__ import annotations

import datetime as dt
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from paths import FACTS, POLICIES
from policyeval.decree743 import BUILTINS, VOCABULARY
from policyeval.engine.pydatalog import CompiledProgram
from policyeval.engine.store import FactStore
from policyeval.facts.loader import load_fact_files
from policyeval.language.parser import load_rule_set, parse_rules
from policyeval.language.syntax import RuleSet, row_order


@cache
def _programs() -> tuple[CompiledProgram, CompiledProgram, FactStore]:
    rules = load_rule_set([POLICIES])
    store = load_fact_files([FACTS], VOCABULARY).store()
    made = [
        CompiledProgram(rules, store.schema(), BUILTINS, base_inputs=store.inputs(), unfold=unfold)
        for unfold in (False, True)
    ]
    return made[0], made[1], store


def _same(predicate: str, pattern: tuple[object, ...]) -> None:
    written, unfolded, store = _programs()
    expected = sorted(written.ask(predicate, pattern, store), key=row_order)  # type: ignore[arg-type]
    assert sorted(unfolded.ask(predicate, pattern, store), key=row_order) == expected  # type: ignore[arg-type]


def test_the_decree_has_predicates_to_unfold() -> None:
    _, unfolded, _ = _programs()
    assert {"permission_in_force", "listed_by", "certificate_regime"} <= unfolded.unfoldable


def test_every_question_independent_relation_is_the_same() -> None:
    written, _, _ = _programs()
    for name in sorted(written.analysis.question_independent - written.never_holds):
        _same(name, (None,) * written.derived[name])


@settings(max_examples=40, deadline=None)
@given(
    executor=st.sampled_from(
        [
            "nurtech",
            "steppe_systems",
            "saryarqa_tech",
            "tulpar_engineering",
            "seitkali_a",
            "bereke_systems",
            "qazcode",
            "ivanov_p",
        ]
    ),
    secret=st.sampled_from([f"doc_{n}" for n in range(1, 12)] + ["sys_1"]),
    on=st.dates(dt.date(2025, 9, 1), dt.date(2026, 6, 30)),
)
def test_transfer_questions_agree(executor: str, secret: str, on: dt.date) -> None:
    _same("transfer_allowed", ("kazspecmash", executor, secret, on))


def test_anonymous_variables_of_a_callee_never_meet_the_callers() -> None:
    text = """
    @id("t.regime") @reading("{A}") regime(A) :- kind(A, maintenance), system(A, _).
    @id("t.listed") @reading("{A}") listed(A) :- regime(A), certificate(A, _).
    """
    rules = RuleSet(tuple(parse_rules(text, "t.md", clause="6")))
    store = FactStore({"kind": 2, "system": 2, "certificate": 2})
    store.add("kind", ("a", "maintenance"))
    store.add("system", ("a", "sys_1"))
    store.add("certificate", ("a", "cert_1"))
    program = CompiledProgram(rules, store.schema(), BUILTINS)
    assert "regime" in program.unfoldable
    assert program.ask("listed", ("a",), store) == [("a",)]


def test_an_anonymous_argument_stays_one_value_inside_a_negation() -> None:
    text = """
    @id("t.owed") @reading("{T}") owed(T, S) :- sent(T, S), not returned(T, S).
    @id("t.duty") @reading("{C}") duty(C) :- case(C), owed(_, _).
    """
    rules = RuleSet(tuple(parse_rules(text, "t.md", clause="10")))
    store = FactStore({"sent": 2, "returned": 2, "case": 1})
    store.add("case", ("c",))
    store.add("sent", ("t1", "doc_1"))
    store.add("sent", ("t2", "doc_2"))
    store.add("returned", ("t1", "doc_1"))
    program = CompiledProgram(rules, store.schema(), BUILTINS)
    assert "owed" in program.unfoldable
    assert program.ask("duty", ("c",), store) == [("c",)]
