"""Bottom-up, set-at-a-time tables are exactly the relations pyDatalog gives.

Each rule-shape test computes every derived predicate bottom-up, level by level, checks that the
evaluator supported each one (nothing fell back) and that pyDatalog, asked for all rows, gives
the same set; then it checks the rows themselves. The property tests compare the tables
`compute_tables` computes bottom-up with those it computes when every predicate is asked of
pyDatalog, on random stratified programs and on the benchmark's generated worlds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import cast
from unittest.mock import patch

import generate
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from generated_worlds import decree_rules, world_store
from policyeval.decree743 import BUILTINS as DECREE_BUILTINS
from policyeval.engine.bottom_up import BottomUp, Unsupported, recursive_groups
from policyeval.engine.builtins import BUILTINS, COMPARISONS, Builtin, Row
from policyeval.engine.materialize import Sizes, Tables, compute_level, compute_tables, estimator
from policyeval.engine.pydatalog import CompiledProgram
from policyeval.engine.store import FactStore
from policyeval.language.analysis import ProgramAnalysis
from policyeval.language.checker import check
from policyeval.language.parser import parse_rules
from policyeval.language.syntax import RuleSet, Value

D1, D2, D3 = dt.date(2026, 1, 1), dt.date(2026, 1, 2), dt.date(2026, 1, 3)


def _rules(text: str) -> RuleSet:
    """Rules written without metadata: each gets an id and a reading."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    source = "\n".join(f'@id("t.{i}") @reading("rule {i}") {rule}' for i, rule in enumerate(lines))
    return RuleSet(tuple(parse_rules(source, "test.md", clause="1")))


Facts = Mapping[str, Sequence[tuple[Value, ...]]]


def _store(facts: Facts, dated: tuple[str, ...] = ()) -> FactStore:
    store = FactStore()
    for name, rows in facts.items():
        store.declare(name, len(rows[0]) - (1 if name in dated else 0), dated=name in dated)
        for row in rows:
            store.add(name, row)
    return store


def _evaluator(program: CompiledProgram, tables: FactStore) -> BottomUp:
    functions = frozenset(program.builtins) | frozenset(COMPARISONS)
    return BottomUp(program, tables, estimator(Sizes(tables, {}, functions)))


def _derive(
    text: str, store: FactStore, builtins: Mapping[str, Builtin] = BUILTINS
) -> dict[str, set[Row]]:
    """Every question-independent derived predicate, computed bottom-up level by level; each
    must be supported and agree with pyDatalog asked for all its rows."""
    rules = _rules(text)
    schema = store.schema()
    assert not check(rules, schema, builtins, dated=store.dated())
    analysis = ProgramAnalysis(rules)
    plain = CompiledProgram(rules, schema, builtins, analysis=analysis, base_inputs=store.inputs())
    tables, done = store.extended(), set[str]()
    derived: dict[str, set[Row]] = {}
    for level in analysis.levels(analysis.question_independent - plain.never_holds):
        program = CompiledProgram(
            rules, schema, builtins, frozenset(done), analysis=analysis, base_inputs=store.inputs()
        )
        evaluator = _evaluator(program, tables)
        for group in recursive_groups(level, program):
            assert evaluator.unsupported(group) is None
            for name, rows in evaluator.derive(group).items():
                derived[name] = set(rows)
                everything = (None,) * program.derived[name]
                assert derived[name] == set(plain.ask(name, everything, store)), name
                for row in rows:
                    tables.add(name, row)
        done |= level
    return derived


CHAIN: dict[str, list[tuple[Value, ...]]] = {
    "link": [("a", "b"), ("b", "c"), ("c", "d"), ("x", "x")],
    "item": [("a",), ("d",)],
}


def test_recursion_reaches_every_node_down_a_chain_and_round_a_loop() -> None:
    derived = _derive(
        """
        reach(X, Y) :- link(X, Y).
        reach(X, Z) :- reach(X, Y), link(Y, Z).
        """,
        _store(CHAIN),
    )
    chain = {("a", "b"), ("a", "c"), ("a", "d"), ("b", "c"), ("b", "d"), ("c", "d")}
    assert derived["reach"] == chain | {("x", "x")}


def test_a_doubly_recursive_rule_closes_as_the_linear_one_does() -> None:
    derived = _derive(
        """
        path(X, Y) :- link(X, Y).
        path(X, Z) :- path(X, Y), path(Y, Z).
        """,
        _store(CHAIN),
    )
    assert ("a", "d") in derived["path"]
    assert len(derived["path"]) == 7


def test_mutual_recursion_computes_the_group_together() -> None:
    successor: list[tuple[Value, ...]] = [(i, i + 1) for i in range(6)]
    derived = _derive(
        """
        even(X) :- zero(X).
        even(Y) :- odd(X), succ(X, Y).
        odd(Y) :- even(X), succ(X, Y).
        """,
        _store({"zero": [(0,)], "succ": successor}),
    )
    assert derived["even"] == {(0,), (2,), (4,), (6,)}
    assert derived["odd"] == {(1,), (3,), (5,)}


def test_negation_reads_the_level_below_including_any_value_positions() -> None:
    derived = _derive(
        """
        reach(X, Y) :- link(X, Y).
        reach(X, Z) :- reach(X, Y), link(Y, Z).
        stuck(X) :- item(X), not link(X, _).
        cut_off(X) :- item(X), not reach(X, d).
        """,
        _store(CHAIN),
    )
    assert derived["stuck"] == {("d",)}
    assert derived["cut_off"] == {("d",)}


def test_comparisons_are_typed_and_equality_binds() -> None:
    values: list[tuple[Value, ...]] = [("a", 1), ("b", "1"), ("c", 2), ("d", D1), ("e", D3)]
    derived = _derive(
        """
        smaller(X, Y) :- value(X, V), value(Y, W), V < W.
        differ(X, Y) :- value(X, V), value(Y, W), V != W.
        early(X) :- value(X, V), V <= 2026-01-02.
        copy(X, W) :- value(X, V), W = V.
        """,
        _store({"value": values}),
    )
    assert derived["smaller"] == {("a", "c"), ("d", "e")}
    # Values of two types are neither equal nor different: `1 != "1"` does not hold.
    assert ("a", "b") not in derived["differ"]
    assert ("a", "c") in derived["differ"]
    assert derived["early"] == {("d",)}
    assert derived["copy"] == set(values)


def test_builtins_run_once_their_inputs_are_bound_whatever_the_written_order() -> None:
    derived = _derive(
        """
        due(X, E) :- add_days(S, N, E), starts(X, S), lasts(X, N).
        due_on_time(X) :- add_days(S, 2, E), starts(X, S), deadline(X, E).
        """,
        _store(
            {
                "starts": [("a", D1), ("b", D2)],
                "lasts": [("a", 2), ("b", "2")],
                "deadline": [("a", D3), ("b", D1)],
            }
        ),
    )
    assert derived["due"] == {("a", D3)}  # "2" is text, not a number of days
    assert derived["due_on_time"] == {("a",)}


def test_constants_in_heads_and_bodies_match_by_type() -> None:
    derived = _derive(
        """
        tagged(X, "t", 7) :- kind(X, 1).
        texts(X) :- kind(X, "1").
        on_day(X) :- kind(X, 2026-01-01).
        always(yes).
        """,
        _store({"kind": [("a", 1), ("b", "1"), ("c", D1), ("d", 2)]}),
    )
    assert derived["tagged"] == {("a", "t", 7)}
    assert derived["texts"] == {("b",)}
    assert derived["on_day"] == {("c",)}
    assert derived["always"] == {("yes",)}


def test_a_variable_repeated_in_one_atom_asks_for_equal_values() -> None:
    triples: list[tuple[Value, ...]] = [("a", 1, 1), ("b", 1, "1"), ("c", 2, 3), ("d", D1, D1)]
    derived = _derive(
        """
        loop(X) :- link(X, X).
        twin(X, Y) :- triple(X, Y, Y).
        twin_of_loop(X) :- triple(X, Y, Y), link(X, X).
        """,
        _store({"link": CHAIN["link"], "triple": [*triples, ("x", 5, 5)]}),
    )
    assert derived["loop"] == {("x",)}
    assert derived["twin"] == {("a", 1), ("d", D1), ("x", 5)}
    assert derived["twin_of_loop"] == {("x",)}


def test_joins_match_values_by_type() -> None:
    derived = _derive(
        """
        same(X, Y) :- left(X, V), right(Y, V).
        """,
        _store(
            {
                "left": [("a", 1), ("b", "1"), ("c", D1)],
                "right": [("p", "1"), ("q", 1), ("r", D1), ("s", "2026-01-01")],
            }
        ),
    )
    assert derived["same"] == {("a", "q"), ("b", "p"), ("c", "r")}


def test_dated_facts_and_question_inputs_are_called_with_their_day() -> None:
    derived = _derive(
        """
        held(P, D) :- checked(P, D), status(P, active, D).
        @given("D") valid(P, D) :- status(P, active, D), not revoked(P).
        checked_valid(P) :- checked(P, D), valid(P, D).
        """,
        _store(
            {
                "checked": [("p1", D1), ("p1", D3), ("p2", D2)],
                "status": [("p1", "active", D1, D2), ("p2", "active", D1, D3)],
                "revoked": [("p2",)],
            },
            dated=("status",),
        ),
    )
    assert derived["held"] == {("p1", D1), ("p2", D2)}
    assert derived["checked_valid"] == {("p1",)}


def test_what_no_order_can_bind_is_refused_before_anything_is_computed() -> None:
    rules = _rules("late(X, E) :- item(X), add_days(S, 1, E).")
    store = _store({"item": [("a",)]})
    program = CompiledProgram(rules, store.schema(), BUILTINS)
    why = _evaluator(program, store.extended()).unsupported({"late"})
    assert why is not None
    assert "no order binds" in why


def test_a_value_outside_the_language_falls_back_to_pydatalog() -> None:
    rules = _rules("flagged(X) :- flag(X, Y), count(Y).")
    store = _store({"flag": [("a", cast(Value, True)), ("b", 1)], "count": [(1,)]})
    program = CompiledProgram(rules, store.schema(), BUILTINS)
    tables = store.extended()
    with pytest.raises(Unsupported):
        _evaluator(program, tables).derive({"flagged"})
    compute_level(["flagged"], program, tables, lambda atom, bound: 1.0)
    expected = set(program.ask("flagged", (None,), store))
    assert {row for row, _ in tables.match("flagged", ())} == expected


# ---- compute_tables, bottom-up against pyDatalog -----------------------------------------------


@contextmanager
def _all_top_down() -> Iterator[None]:
    """Every table asked of pyDatalog, as before the bottom-up evaluator."""
    with patch.object(BottomUp, "unsupported", lambda self, group: "asked top-down"):
        yield


def _compute(rules: RuleSet, store: FactStore, builtins: Mapping[str, Builtin]) -> Tables:
    analysis = ProgramAnalysis(rules)
    never = analysis.never_derivable(set(store.schema()) | set(builtins))
    candidates = set(analysis.question_independent - never - set(store.schema()))
    return compute_tables(rules, store, candidates, builtins, analysis)


def _assert_same_tables(rules: RuleSet, store: FactStore, builtins: Mapping[str, Builtin]) -> None:
    bottom_up = _compute(rules, store, builtins)
    with _all_top_down():
        top_down = _compute(rules, store, builtins)
    assert bottom_up.tabled == top_down.tabled
    assert bottom_up.skipped == top_down.skipped
    assert bottom_up.slices == top_down.slices
    names = [*bottom_up.tabled, *(piece.atom.predicate for piece in bottom_up.slices.values())]
    for name in names:
        expected = {row for row, _ in top_down.store.match(name, ())}
        actual = {row for row, _ in bottom_up.store.match(name, ())}
        assert actual == expected, f"{name} of {[str(rule) for rule in rules.rules]}"


VALUES: list[Value] = [0, 1, "0", "1", "a", D1, D2]
BASE = {"e": 2, "v": 1, "w": 2}
DERIVED = {"a0": 2, "b0": 1, "a1": 2, "b1": 1}
STRATUM = {"a0": 0, "b0": 1, "a1": 2, "b1": 3}
"""Each derived predicate may read itself and those before it (negated: only those before).
Not two predicates recursive with each other: pyDatalog, the reference here, does not always
terminate on mutual recursion (``a(X, 1) :- v(X). a(Y, 0) :- b(Y), v(Z). b(Z) :- a(Y, Y),
e(Y, Z). b(Z) :- v(Z), b(X).`` runs forever); the unit tests above cover it."""
NAMES = ["X", "Y", "Z"]


@st.composite
def _term(draw: st.DrawFn, bound: list[str] | None = None) -> str:
    """A variable (of ``bound`` when given) or now and then a constant."""
    if draw(st.integers(0, 4)) == 0:
        value = draw(st.sampled_from(VALUES))
        return f'"{value}"' if isinstance(value, str) else str(value)
    return draw(st.sampled_from(bound or NAMES))


@st.composite
def _rule(draw: st.DrawFn, head: str) -> str:
    """A safe rule for ``head``: positive atoms of base predicates, of itself and of the derived
    predicates before it; then negations of base predicates and those before, and comparisons,
    over the variables those atoms bind."""
    usable = [*BASE, *(name for name in DERIVED if STRATUM[name] <= STRATUM[head])]
    lower = [*BASE, *(name for name in DERIVED if STRATUM[name] < STRATUM[head])]
    body: list[str] = []
    bound: set[str] = set()
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(usable))
        terms = [draw(_term()) for _ in range(BASE.get(name) or DERIVED[name])]
        bound.update(term for term in terms if term in NAMES)
        body.append(f"{name}({', '.join(terms)})")
    assume(bound)
    names = sorted(bound)
    for _ in range(draw(st.integers(0, 2))):
        kind = draw(st.sampled_from(["not", "compare"]))
        if kind == "not":
            name = draw(st.sampled_from(lower))
            arity = BASE.get(name) or DERIVED[name]
            terms = [draw(st.sampled_from([*names, "_"])) for _ in range(arity)]
            body.append(f"not {name}({', '.join(terms)})")
        else:
            operator = draw(st.sampled_from(["=", "!=", "<", "<=", ">", ">="]))
            body.append(f"{draw(_term(names))} {operator} {draw(_term(names))}")
    terms = [draw(_term(names)) for _ in range(DERIVED[head])]
    return f"{head}({', '.join(terms)}) :- {', '.join(body)}."


@st.composite
def _program(draw: st.DrawFn) -> RuleSet:
    rules = [draw(_rule(head)) for head in DERIVED for _ in range(draw(st.integers(1, 2)))]
    return _rules("\n".join(rules))


@st.composite
def _world(draw: st.DrawFn) -> FactStore:
    store = FactStore(BASE)
    for name, arity in BASE.items():
        rows = draw(st.lists(st.tuples(*[st.sampled_from(VALUES)] * arity), max_size=8))
        for row in rows:
            store.add(name, row)
    return store


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(rules=_program(), store=_world())
def test_on_random_programs_bottom_up_tables_are_pydatalogs(
    rules: RuleSet, store: FactStore
) -> None:
    assume(not check(rules, store.schema(), BUILTINS))
    _assert_same_tables(rules, store, BUILTINS)


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), executors=st.integers(8, 24))
def test_on_generated_worlds_the_decrees_tables_are_pydatalogs(seed: int, executors: int) -> None:
    world = generate.generate(executors, seed)
    store = world_store(world)
    _assert_same_tables(decree_rules(), store, DECREE_BUILTINS)
