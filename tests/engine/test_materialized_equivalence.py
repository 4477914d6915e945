"""Tables computed once per fact base change speed, never answers or explanations.

Every question is asked of the knowledge base as compiled (rules evaluated per question) and of
the one with question-independent predicates materialized; answers, proofs and why-nots must be
identical.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from paths import ROOT
from policyeval.decree743 import BUILTINS, VOCABULARY
from policyeval.evaluator import Argument, Evaluator, build_knowledge_base
from policyeval.facts.loader import load_fact_files
from policyeval.language.parser import load_rule_set


@cache
def _evaluators() -> tuple[Evaluator, Evaluator]:
    rules = load_rule_set([ROOT / "policies"])
    store = load_fact_files([ROOT / "facts"], VOCABULARY).store()
    plain = Evaluator(build_knowledge_base(rules, store, builtins=BUILTINS, materialize=False))
    tabled = Evaluator(build_knowledge_base(rules, store, builtins=BUILTINS, materialize=True))
    return plain, tabled


@cache
def _ids(predicate: str) -> list[str]:
    plain, _ = _evaluators()
    return sorted(str(row[0]) for row in plain.ask(predicate, [None]))


DATES = st.dates(dt.date(2025, 10, 1), dt.date(2026, 6, 30))


def _same(predicate: str, args: Sequence[Argument]) -> None:
    plain, tabled = _evaluators()
    expected = plain.query(predicate, args)
    actual = tabled.query(predicate, args)
    assert actual.model_dump() == expected.model_dump()


@settings(max_examples=60, deadline=None)
@given(data=st.data(), on=DATES)
def test_transfer_questions_agree(data: st.DataObject, on: dt.date) -> None:
    executor = data.draw(st.sampled_from(_ids("organization") + _ids("person")))
    secret = data.draw(st.sampled_from(_ids("secret")))
    _same("transfer_allowed", ["kazspecmash", executor, secret, on])


@settings(max_examples=30, deadline=None)
@given(data=st.data(), on=DATES)
def test_other_questions_agree(data: st.DataObject, on: dt.date) -> None:
    agreement = data.draw(st.sampled_from(_ids("agreement")))
    _same("protection_by", [agreement, None, None, on])
    _same("agreement_lacks", [agreement, None])
    _same("duty_outstanding", [agreement, None, on])
    _same("may_suspend", ["kazspecmash", agreement, on])


@settings(max_examples=30, deadline=None)
@given(data=st.data(), on=DATES)
def test_questions_tabled_with_periods_agree(data: st.DataObject, on: dt.date) -> None:
    organization = data.draw(st.sampled_from(_ids("organization")))
    _same("foreign_participation", [organization, on])
    _same("wholly_state_owned", [organization, on])
    _same("customer_role", [organization, on])


def test_executors_for_a_secret_agree() -> None:
    _same("transfer_allowed", ["kazspecmash", None, "doc_1", dt.date(2026, 3, 10)])


def test_the_tabled_program_really_uses_tables() -> None:
    plain, tabled = _evaluators()
    assert not plain.knowledge_base.program.materialized
    assert {"foreign_participation", "agreement_terms_complete"} <= set(
        tabled.knowledge_base.program.materialized
    )
