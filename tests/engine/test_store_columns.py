"""A table written as columns and read back answers every lookup as the table it came from,
builds its value indexes only when first used, and can still take rows after."""

from __future__ import annotations

import datetime as dt

import pytest

from policyeval.engine.store import BaseFact, FactSource, FactStore
from policyeval.engine.store_columns import (
    FactList,
    Interner,
    decode_table,
    encode_table,
    sources_by_number,
)
from policyeval.language.syntax import Value

DAY = dt.date(2026, 3, 10)


def _store() -> FactStore:
    store = FactStore({"owns": 3})
    store.declare("admitted", 3, dated=True)
    source = FactSource("facts/a.yaml", 4, "rec_1")
    rows: list[tuple[Value, ...]] = [("a", "b", 50), ("a", "c", 1), ("b", "c", "1"), ("c", "a", 1)]
    for row in rows:
        store.add("owns", row, source)
    store.add("admitted", ("ivanov", "form_2", dt.date(2020, 1, 1), dt.date(2026, 12, 31)), source)
    store.add("admitted", ("petrov", "form_1", dt.date(2027, 1, 1), dt.date.max), None)
    return store


def _restored(store: FactStore) -> FactStore:
    values: Interner[Value] = Interner()
    sources: Interner[FactSource] = Interner()
    encoded = {name: encode_table(t, values, sources) for name, t in store.own_tables().items()}
    restored = FactStore()
    for name, table in encoded.items():
        restored.put_table(
            name, decode_table(table, values.items, sources_by_number(sources.items))
        )
    return restored


PATTERNS: list[tuple[str, tuple[Value | None, ...]]] = [
    ("owns", (None, None, None)),
    ("owns", ("a", None, None)),
    ("owns", (None, "c", None)),
    ("owns", (None, None, 1)),
    ("owns", (None, None, "1")),
    ("owns", ("a", "b", 50)),
    ("owns", ("a", "b", "50")),
    ("admitted", ("ivanov", None, DAY)),
    ("admitted", (None, None, None)),
    ("admitted", ("petrov", "form_1", DAY)),
]


@pytest.mark.parametrize(("predicate", "pattern"), PATTERNS)
def test_a_restored_table_answers_as_the_one_written(
    predicate: str, pattern: tuple[Value | None, ...]
) -> None:
    store = _store()
    assert list(_restored(store).match(predicate, pattern)) == list(store.match(predicate, pattern))


def test_value_indexes_are_built_when_first_used() -> None:
    table = _restored(_store()).own_tables()["owns"]
    assert table.indexes == [None, None, None]
    built = table.position(1)
    assert {value: list(rows) for value, rows in built.items()} == {"b": [0], "c": [1, 2], "a": [3]}
    assert table.indexes[0] is None and table.indexes[2] is None


def test_a_restored_table_takes_new_rows() -> None:
    store = _restored(_store())
    store.add("owns", ("d", "c", 5))
    assert [row for row, _ in store.match("owns", (None, "c", None))] == [
        ("a", "c", 1),
        ("b", "c", "1"),
        ("d", "c", 5),
    ]
    assert store.count("owns", 0, "d") == 1


def test_equal_values_of_other_types_are_numbered_apart() -> None:
    values: Interner[Value] = Interner()
    assert [values.number(v) for v in (1, "1", 1, DAY, "1")] == [0, 1, 0, 2, 1]


def test_a_fact_list_reads_its_facts_back_from_the_store_rows() -> None:
    store = _store()
    facts = [
        BaseFact(name, row, source)
        for name, table in store.own_tables().items()
        for row, source in zip(table.rows, table.sources, strict=True)
    ]
    listed = FactList.of(facts, store)
    assert list(listed) == facts
    assert (listed[-1], listed[1:3], len(listed)) == (facts[-1], facts[1:3], len(facts))
    assert listed[0].args is store.own_tables()["owns"].rows[0]  # the store's row, not a copy
