"""The store's list lookups (``rows``, ``first``, ``holds``) against ``match``, on every shape of
pattern, and what a question to pyDatalog leaves for the cyclic garbage collector."""

from __future__ import annotations

import datetime as dt
import gc
import itertools
from collections.abc import Iterator, Sequence

import pytest

from policyeval.engine import budget
from policyeval.engine.pydatalog import CompiledProgram
from policyeval.engine.store import ALWAYS, BaseFact, FactSource, FactStore, Table
from policyeval.engine.store_columns import Interner, decode_table, encode_table, sources_by_number
from policyeval.errors import EvaluationTimeout
from policyeval.language.syntax import Value
from routes import FEB1, JAN1, SCHEMA, routes_rules, routes_store

MAR1 = dt.date(2026, 3, 1)
Pattern = tuple[Value | None, ...]

EDGES: list[tuple[Value, ...]] = [
    ("a", "b", 1),
    ("a", "c", 2),
    ("b", "c", 1),
    ("c", "a", 3),
    ("c", "c", 1),
]
HEADS: list[tuple[Value, ...]] = [  # head(organization, person, day): periods as two values
    ("acme", "ann", JAN1, dt.date(2026, 1, 31)),
    ("acme", "bob", FEB1, dt.date.max),
    ("beta", "ann", *ALWAYS),
    ("beta", "cid", JAN1, FEB1),
]


def world() -> FactStore:
    """An undated and a dated predicate, a declared one without rows."""
    store = FactStore({"edge": 3, "head": 3, "empty": 2}, dated={"head"})
    for line, row in enumerate(EDGES, start=1):
        store.add("edge", row, FactSource("edges.yaml", line, f"e{line}"))
    for line, row in enumerate(HEADS, start=1):
        store.add("head", row, FactSource("heads.yaml", line, f"h{line}"))
    return store


def restored() -> FactStore:
    """The same facts in tables restored as a snapshot restores them (rows, keys, sources and
    indexes built when first read)."""
    store, original = FactStore(), world()
    values: Interner[Value] = Interner()
    sources: Interner[FactSource] = Interner()
    encoded = {n: encode_table(t, values, sources) for n, t in original.own_tables().items()}
    by_number = sources_by_number(sources.items)
    for name, table in original.own_tables().items():
        store.declare(name, table.arity, dated=table.dated)
        store.put_table(name, decode_table(encoded[name], values.items, lambda: by_number))
    return store


def overlay() -> FactStore:
    """A what-if over the world: a fact added to each predicate, one of each retracted."""
    added = [
        BaseFact("edge", ("b", "a", 5), FactSource("what-if", 1)),
        BaseFact("head", ("gamma", "dan", JAN1, MAR1), FactSource("what-if", 2)),
    ]
    removed = [BaseFact("edge", EDGES[1]), BaseFact("head", HEADS[0])]
    return world().overlay(added, removed)


STORES = {
    "plain": world,
    "restored": restored,
    "extended": lambda: world().extended(),
    "overlay": overlay,
}


def patterns(domains: Sequence[Sequence[Value]]) -> Iterator[Pattern]:
    """Every pattern over ``domains``: each position open or one of its values."""
    yield from itertools.product(*([None, *values] for values in domains))


EDGE_VALUES: list[list[Value]] = [["a", "c", "z"], ["a", "b", "c"], [1, 2, 9, "1"]]
HEAD_VALUES: list[list[Value]] = [
    ["acme", "beta", "none"],
    ["ann", "bob"],
    [JAN1, dt.date(2026, 1, 15), FEB1, MAR1, dt.date.min, "not a day"],
]
SHAPES = [
    ("edge", list(patterns(EDGE_VALUES))),
    ("head", list(patterns(HEAD_VALUES))),
    ("empty", list(patterns([["x"], ["y"]]))),
    ("unknown", [(), ("x",)]),
]


def test_a_position_holding_each_value_once_is_indexed_and_takes_rows_after() -> None:
    """Every row with its own value (an id column, the common case) and a column with repeated
    values are indexed alike: each value finds its rows, before and after rows are added."""
    table = Table(2)
    rows: list[tuple[Value, ...]] = [(f"id{n}", n % 3) for n in range(200)]
    for row in rows:
        table.add(row, None)
    assert [list(table.found((f"id{n}", None))) for n in (0, 77, 199)] == [[0], [77], [199]]
    assert list(table.found((None, 2))) == [n for n in range(200) if n % 3 == 2]
    table.add(("id77", 5), None)
    table.add(("id200", 2), None)
    assert [table.rows[i] for i in table.found(("id77", None))] == [("id77", 77 % 3), ("id77", 5)]
    assert [table.rows[i] for i in table.found(("id200", None))] == [("id200", 2)]
    assert table.found((None, 2))[-1] == 201
    assert table.found(("id999", None)) == ()


@pytest.mark.parametrize("kind", STORES)
@pytest.mark.parametrize(("predicate", "shapes"), SHAPES, ids=[name for name, _ in SHAPES])
def test_list_lookups_give_what_match_gives(
    kind: str, predicate: str, shapes: list[Pattern]
) -> None:
    store = STORES[kind]()
    for pattern in shapes:
        matched = list(store.match(predicate, pattern))
        assert store.rows(predicate, pattern) == [row for row, _ in matched], pattern
        assert store.first(predicate, pattern) == (matched[0] if matched else None), pattern
        assert store.holds(predicate, pattern) is bool(matched), pattern


def scan(predicate: str, pattern: Pattern) -> list[tuple[Value, ...]]:
    """The rows a question finds, read off the facts one by one: rows whose bound values are
    equal and of the same type; for ``head``, those in force on the day asked, with that day
    (with their first day when it is open)."""
    if predicate == "edge":
        return [row for row in EDGES if _agrees(row, pattern)]
    found: list[tuple[Value, ...]] = []
    day = pattern[-1]
    for *args, start, end in HEADS:
        if not _agrees(tuple(args), pattern[:-1]):
            continue
        if day is None:
            found.append((*args, start))
        elif isinstance(day, dt.date) and start <= day <= end:  # type: ignore[operator]
            found.append((*args, day))
    return found


def _agrees(row: tuple[Value, ...], pattern: Pattern) -> bool:
    return all(
        v is None or (type(a) is type(v) and a == v) for a, v in zip(row, pattern, strict=True)
    )


@pytest.mark.parametrize(("predicate", "shapes"), SHAPES[:2], ids=["edge", "head"])
def test_rows_are_the_facts_a_scan_finds(predicate: str, shapes: list[Pattern]) -> None:
    store = world()
    for pattern in shapes:
        assert store.rows(predicate, pattern) == scan(predicate, pattern), pattern


def test_a_value_of_another_type_is_another_value() -> None:
    store = FactStore({"flag": 2})
    store.add("flag", ("x", 1))
    store.add("flag", ("y", True))
    for pattern in [(None, 1), (None, True), ("x", None), (None, "1")]:
        matched = [row for row, _ in store.match("flag", pattern)]
        assert store.rows("flag", pattern) == matched
    assert store.rows("flag", (None, True)) == [("y", True)]
    assert store.rows("flag", (None, 1)) == [("x", 1)]


def test_text_and_days_are_found_through_their_postings_alone() -> None:
    """A text or a day equals only a value of its own type, so its postings are the answer
    (no row is checked); a day and the same day written as text stay two values."""
    store = FactStore({"seen": 2})
    rows: list[tuple[Value, ...]] = [("x", JAN1), ("y", "2026-01-01"), ("x", FEB1), ("z", JAN1)]
    for row in rows:
        store.add("seen", row)
    table = store.own_tables()["seen"]
    assert store.rows("seen", (None, JAN1)) == [("x", JAN1), ("z", JAN1)]
    assert store.rows("seen", (None, "2026-01-01")) == [("y", "2026-01-01")]
    assert store.rows("seen", ("x", None)) == [("x", JAN1), ("x", FEB1)]
    assert table.found(("x", None)) is table.position(0)["x"]
    assert store.rows("seen", ("w", None)) == [] and store.rows("seen", (None, MAR1)) == []


def test_value_indexes_are_built_when_first_used_and_kept_after() -> None:
    """A row added before a position's index is built is found once it is built from the
    rows; one added after is found through the index it is appended to."""
    table = world().own_tables()["edge"]
    assert table.indexes == [None, None, None]
    assert [table.rows[i] for i in table.found(("c", None, None))] == [("c", "a", 3), ("c", "c", 1)]
    assert table.indexes[1] is None and table.indexes[2] is None
    table.add(("c", "b", 4), None)
    table.add(("d", "c", 1), None)
    assert table.indexes[1] is None
    assert [table.rows[i] for i in table.found(("c", None, None))] == [
        ("c", "a", 3),
        ("c", "c", 1),
        ("c", "b", 4),
    ]
    assert [table.rows[i] for i in table.found((None, "c", 1))] == [
        ("b", "c", 1),
        ("c", "c", 1),
        ("d", "c", 1),
    ]
    position = table.indexes[0]
    assert position is not None and "d" in position
    assert table.position(0) is position


@pytest.mark.parametrize("kind", STORES)
def test_every_list_lookup_spends_from_the_budget(kind: str) -> None:
    store = STORES[kind]()
    with budget.deadline(0):
        for lookup in (store.rows, store.first, store.holds):
            with pytest.raises(EvaluationTimeout):
                lookup("edge", ("a", None, None))


QUESTIONS = [
    ("go", ("a", FEB1)),  # holds: recursion through path, a comparison, a negation
    ("go", ("c", FEB1)),  # banned
    ("go", ("b", FEB1)),  # never opened
    ("go", (None, FEB1)),  # every row
    ("path", ("a", None)),
]


def test_a_question_leaves_no_garbage_for_the_cyclic_collector() -> None:
    """pyDatalog's subgoals of a question refer to one another; released once it is answered,
    they are freed by reference counting (they were hundreds of objects per question)."""
    program = CompiledProgram(routes_rules(), SCHEMA, {})
    store = routes_store()
    expected = [program.ask(predicate, pattern, store) for predicate, pattern in QUESTIONS]
    assert expected[0] and not expected[1] and not expected[2] and expected[3] and expected[4]
    gc.collect()
    gc.disable()
    try:
        for _ in range(20):
            for (predicate, pattern), rows in zip(QUESTIONS, expected, strict=True):
                assert program.ask(predicate, pattern, store) == rows
        left = gc.collect()
    finally:
        gc.enable()
    assert left < len(QUESTIONS)  # ~100 objects a question before
