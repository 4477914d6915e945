"""Dated facts: the store answers them by day, the checker wants the day bound, and predicates
that depend on the question only through its day are tabled with their periods without
changing an answer."""

from __future__ import annotations

import datetime as dt

import pytest

from policyeval.engine.builtins import BUILTINS
from policyeval.engine.dated_tables import complement, date_parametric, intersect, union
from policyeval.engine.store import ALWAYS, BaseFact, FactSource, FactStore
from policyeval.evaluator import Argument, Evaluator, build_knowledge_base
from policyeval.language.analysis import ProgramAnalysis
from policyeval.language.checker import check
from policyeval.language.parser import parse_rules
from policyeval.language.syntax import RuleSet, Value

JAN, FEB, MAR, APR = (dt.date(2026, month, 1) for month in (1, 2, 3, 4))
END_FEB = dt.date(2026, 2, 28)

RULES = """
@id("r.foreign") @given("D") @reading("on {D}, {O} has a foreign owner")
foreign(O, D) :- owns(X, O, D), foreign_kind(X).

@id("r.foreign_up") @given("D") @reading("on {D}, {O} has foreign participation through {X}")
foreign(O, D) :- owns(X, O, D), foreign(X, D).

@id("r.head_signed") @reading("{A} was signed by the head in office on its day")
signed(A) :- signer(A, P), body(A, B), day(A, Day), head(B, P, Day).

@id("r.late") @given("D") @reading("on {D}, {O} changed owners after the first of March")
late(O, D) :- owns(X, O, D), D > 2026-03-01.
"""


def _rules() -> RuleSet:
    return RuleSet(tuple(parse_rules(RULES, "toy.md", clause="8")))


def _store() -> FactStore:
    store = FactStore(
        {"owns": 3, "foreign_kind": 1, "head": 3, "signer": 2, "body": 2, "day": 2},
        dated={"owns", "head"},
    )
    where = FactSource("toy.yaml", 1)
    store.add("foreign_kind", ("cyprus_co",))
    store.add("owns", ("cyprus_co", "holding", MAR, ALWAYS[1]), where)
    store.add("owns", ("holding", "acme", *ALWAYS), where)
    store.add("head", ("ministry", "old", ALWAYS[0], END_FEB), where)
    store.add("head", ("ministry", "new", MAR, ALWAYS[1]), where)
    for answer, signer, day in (("a1", "old", FEB), ("a2", "old", APR), ("a3", "new", APR)):
        store.add("signer", (answer, signer))
        store.add("body", (answer, "ministry"))
        store.add("day", (answer, day))
    return store


def test_the_store_answers_a_dated_fact_on_the_days_it_is_in_force() -> None:
    store = _store()
    assert store.holds("head", ("ministry", "old", END_FEB))
    assert not store.holds("head", ("ministry", "old", MAR))
    assert [row for row, _ in store.match("head", ("ministry", None, MAR))] == [
        ("ministry", "new", MAR)
    ]
    sources = [source for _, source in store.match("head", ("ministry", "old", JAN))]
    assert sources == [FactSource("toy.yaml", 1, None, (ALWAYS[0], END_FEB))]
    assert store.inputs()["head"] == (2,)


def test_a_period_must_run_forward() -> None:
    with pytest.raises(ValueError, match="period"):
        _store().add("head", ("ministry", "x", MAR, FEB))


def test_the_checker_wants_the_day_of_a_dated_fact() -> None:
    text = '@id("r.x") @reading("{B}") x(B) :- head(B, P).'
    problems = check(
        RuleSet(tuple(parse_rules(text, "r.md", clause="5"))), {"head": 3}, {}, dated={"head"}
    )
    assert [p.code for p in problems] == ["arity_mismatch"]
    assert "its last argument is the day" in problems[0].message
    unbound = '@id("r.y") @reading("{B}") y(B) :- head(B, P, D).'
    problems = check(
        RuleSet(tuple(parse_rules(unbound, "r.md", clause="5"))), {"head": 3}, {}, dated={"head"}
    )
    assert "unbound_input" in {p.code for p in problems}


def test_only_predicates_whose_day_reaches_dated_facts_alone_are_tabled_with_periods() -> None:
    rules = _rules()
    assert date_parametric(rules, ProgramAnalysis(rules), {"owns", "head"}) == {"foreign"}


def test_sets_of_days_unite_intersect_and_complement() -> None:
    january = ((JAN, dt.date(2026, 1, 31)),)
    from_february = ((FEB, ALWAYS[1]),)
    assert union(january, from_february) == ((JAN, ALWAYS[1]),)
    assert intersect(january, from_february) == ()
    assert complement(from_february) == ((ALWAYS[0], dt.date(2026, 1, 31)),)
    assert complement(complement(january)) == january
    assert complement(((ALWAYS[0], ALWAYS[1]),)) == ()


def test_a_recursive_predicate_gets_the_days_of_its_chain() -> None:
    kb = build_knowledge_base(_rules(), _store(), builtins=BUILTINS)
    periods = [source for _, source in kb.store.periods("foreign", ("acme",))]
    assert periods == [(MAR, ALWAYS[1])]


@pytest.mark.parametrize(
    ("predicate", "args"),
    [
        ("foreign", ["acme", END_FEB]),
        ("foreign", ["acme", MAR]),
        ("foreign", [None, APR]),
        ("signed", [None]),
        ("late", ["acme", APR]),
        ("late", ["acme", FEB]),
    ],
)
def test_dated_tables_give_the_answers_of_the_rules(predicate: str, args: list[Argument]) -> None:
    store = _store()
    plain = Evaluator(build_knowledge_base(_rules(), store, builtins=BUILTINS, materialize=False))
    tabled_kb = build_knowledge_base(_rules(), store, builtins=BUILTINS)
    assert "foreign" in tabled_kb.program.materialized
    tabled = Evaluator(tabled_kb)
    assert tabled.query(predicate, args).model_dump() == plain.query(predicate, args).model_dump()


def test_the_head_in_office_on_the_day_signs() -> None:
    kb = build_knowledge_base(_rules(), _store(), builtins=BUILTINS)
    answers = Evaluator(kb).query("signed", [None]).answers
    assert sorted(answer.values[0] for answer in answers) == ["a1", "a3"]


def test_a_why_not_names_the_days_a_missing_fact_is_in_force() -> None:
    kb = build_knowledge_base(_rules(), _store(), builtins=BUILTINS)
    failure = Evaluator(kb).why_not("signed", ["a2"])
    assert failure is not None
    leaves = [leaf for leaf in failure.leaves() if leaf.kind == "missing_fact"]
    assert [leaf.condition for leaf in leaves] == ["head(ministry, old, 2026-04-01)"]
    assert [(ref.valid_from, ref.valid_to) for ref in leaves[0].in_force] == [(None, END_FEB)]
    assert "in force until 2026-02-28" in failure.render()


def test_a_predicate_whose_table_would_multiply_is_asked_per_question_by_its_callers() -> None:
    text = """
    @id("r.same") @given("D") @reading("{X} and {Y} on {D}")
    same(X, Y, D) :- at(X, C, D), at(Y, C, D).
    @id("r.near") @given("D") @reading("{X} on {D}") near(X, D) :- item(X), same(X, hub, D).
    """
    rules = RuleSet(tuple(parse_rules(text, "r.md", clause="8")))
    store = FactStore({"at": 3, "item": 1}, dated={"at"})
    for n in range(30):
        store.add("item", (f"i{n}",))
        store.add("at", (f"i{n}", "astana", ALWAYS[0], FEB if n % 2 else ALWAYS[1]))
    store.add("at", ("hub", "astana", *ALWAYS))
    tabled_kb = build_knowledge_base(rules, store, builtins=BUILTINS)
    assert "same" not in tabled_kb.program.materialized
    assert "near" not in tabled_kb.program.materialized
    plain = Evaluator(build_knowledge_base(rules, store, builtins=BUILTINS, materialize=False))
    for day in (JAN, MAR):
        expected = plain.query("near", [None, day]).model_dump()
        assert Evaluator(tabled_kb).query("near", [None, day]).model_dump() == expected


def _chains() -> FactStore:
    """The toy store with an unrelated chain beside acme's: one that reaches a ring."""
    store = _store()
    for held, holder in (("other", "o1"), ("o1", "o2"), ("o2", "o1")):
        store.add("owns", (holder, held, *ALWAYS))
    return store


@pytest.mark.parametrize(
    ("assume", "retract", "acme"),
    [
        ([], [("cyprus_co", "holding", MAR, ALWAYS[1])], False),  # the foreign holder leaves
        ([("o2", "holding", *ALWAYS), ("cyprus_co", "o1", JAN, END_FEB)], [], True),
        ([("o1", "acme", *ALWAYS)], [("holding", "acme", *ALWAYS)], False),  # o1's ring instead
        (
            [("cyprus_co", "o2", JAN, END_FEB)],
            [("cyprus_co", "holding", MAR, ALWAYS[1]), ("holding", "acme", *ALWAYS)],
            False,
        ),
    ],
)
def test_a_what_if_computes_again_only_the_dated_rows_it_asks(
    assume: list[tuple[Value, ...]], retract: list[tuple[Value, ...]], acme: bool
) -> None:
    store = _chains()
    plain = Evaluator(build_knowledge_base(_rules(), store, builtins=BUILTINS, materialize=False))
    tabled_kb = build_knowledge_base(_rules(), store, builtins=BUILTINS)
    tabled = Evaluator(tabled_kb)
    added = [BaseFact("owns", row) for row in assume]
    taken = [BaseFact("owns", row) for row in retract]
    for day in (JAN, FEB, APR):
        for org in ("acme", "other", "holding"):
            args: list[Argument] = [org, day]
            expected = plain.query("foreign", args, assume=added, retract=taken)
            actual = tabled.query("foreign", args, assume=added, retract=taken)
            assert actual.model_dump() == expected.model_dump()
    program, world = tabled_kb.world(added, taken)
    assert "foreign" in program.materialized  # still a table, of the what-if's facts
    assert world.holds("foreign", ("acme", FEB)) is acme


def test_a_what_if_computes_the_rows_asked_and_those_they_need_only() -> None:
    kb = build_knowledge_base(_rules(), _chains(), builtins=BUILTINS)
    # A foreign holder joins the ring o1 ↔ o2, and o2 joins acme's holders.
    added = [
        BaseFact("owns", ("o2", "holding", *ALWAYS)),
        BaseFact("owns", ("cyprus_co", "o1", JAN, END_FEB)),
    ]
    _, world = kb.world(added)
    assert world.holds("foreign", ("acme", FEB))
    # acme's row, and those of its holders up the chain: holding, o2, o1 (not `other`, held by o1).
    computed = world.size("foreign")
    assert computed == 4
    assert world.holds("foreign", ("other", FEB))  # asked now: computed now
    assert world.size("foreign") == computed + 1
    assert world.holds("foreign", ("acme", APR))  # from March through holding, as before
    assert world.size("foreign") == computed + 1  # acme's rows were already complete
    assert [period for _, period in world.periods("foreign", ("acme",))] == [(JAN, ALWAYS[1])]


def test_an_overlay_hides_the_periods_it_takes_away_and_the_rows_it_replaces() -> None:
    store = _store()
    overlay = store.overlay([], [BaseFact("owns", ("holding", "acme", *ALWAYS))])
    assert [row for row, _ in overlay.periods("owns", (None, None))] == [("cyprus_co", "holding")]
    overlay.replace_rows("head", 3)
    assert not overlay.holds("head", ("ministry", None, MAR))
    assert store.holds("head", ("ministry", None, MAR))
    with pytest.raises(ValueError, match="takes 3 values"):
        overlay.replace_rows("head", 2)
    with pytest.raises(ValueError, match="only an overlay"):
        store.replace_rows("head", 3)
    overlay.replace_rows("never_computed", 2)  # a table that came out empty: never declared
    assert overlay.size("never_computed") == 0
