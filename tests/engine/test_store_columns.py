"""A table written as columns and read back answers every lookup as the table it came from,
builds its rows, keys, sources and value indexes only when first used, and can still take rows
after; columns that do not decode are refused then, naming the file."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from policyeval.engine.store import BaseFact, FactSource, FactStore
from policyeval.engine.store_columns import (
    DamagedTable,
    FactList,
    Interner,
    RestoredTable,
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


def _restored(store: FactStore, change: Any = None) -> FactStore:
    """``store``'s tables written as columns and read back; ``change`` may edit the columns
    first."""
    values: Interner[Value] = Interner()
    sources: Interner[FactSource] = Interner()
    encoded = {name: encode_table(t, values, sources) for name, t in store.own_tables().items()}
    if change is not None:
        change(encoded)
    restored = FactStore()
    by_number = sources_by_number(sources.items)
    for name, table in encoded.items():
        restored.put_table(
            name, decode_table(table, values.items, lambda: by_number, "facts.snapshot")
        )
    return restored


def _decoded(store: FactStore, predicate: str) -> frozenset[str]:
    table = store.own_tables()[predicate]
    assert isinstance(table, RestoredTable)
    return table.decoded


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
    assert {value: list(table.postings(1, value)) for value in built} == {
        "b": [0],
        "c": [1, 2],
        "a": [3],
    }
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


def test_rows_keys_and_sources_are_built_when_first_read() -> None:
    store = _restored(_store())
    assert _decoded(store, "owns") == _decoded(store, "admitted") == frozenset()
    assert store.holds("owns", ("a", None, None))
    assert _decoded(store, "owns") == {"rows"}  # a lookup by value reads no source
    assert store.holds("owns", ("a", "b", 50))
    assert _decoded(store, "owns") == {"rows", "keys"}
    assert [source for _, source in store.match("owns", ("c", None, None))] == [
        FactSource("facts/a.yaml", 4, "rec_1")
    ]
    assert _decoded(store, "owns") == {"rows", "keys", "sources"}
    assert _decoded(store, "admitted") == frozenset()


def _a_row_twice(encoded: dict[str, Any]) -> None:
    columns = encoded["owns"]["columns"]
    encoded["owns"]["columns"] = [column[:4] + column[:4] + column[8:] for column in columns]


def _a_value_out_of_range(encoded: dict[str, Any]) -> None:
    column = encoded["owns"]["columns"][0]
    encoded["owns"]["columns"][0] = b"\xff\xff\xff\x7f" + column[4:]


def _a_source_out_of_range(encoded: dict[str, Any]) -> None:
    encoded["owns"]["sources"] = b"\x07\x00\x00\x00" + encoded["owns"]["sources"][4:]


@pytest.mark.parametrize(
    ("change", "read", "said"),
    [
        (_a_row_twice, "keys", "holds a row twice"),
        (_a_value_out_of_range, "rows", "names a value it does not hold"),
        (_a_source_out_of_range, "sources", "names a source it does not hold"),
    ],
)
def test_columns_that_do_not_decode_are_refused_when_first_read(
    change: Any, read: str, said: str
) -> None:
    table = _restored(_store(), change).own_tables()["owns"]
    with pytest.raises(DamagedTable, match=f"restored from facts.snapshot {said}"):
        getattr(table, read)


@pytest.mark.parametrize(
    "change",
    [
        lambda encoded: encoded["owns"].update(columns=encoded["owns"]["columns"][:2]),
        lambda encoded: encoded["owns"].update(sources=encoded["owns"]["sources"][:-4]),
        lambda encoded: encoded["owns"].update(rows=encoded["owns"]["rows"] + 1),
        lambda encoded: encoded["owns"].update(columns=b"not a list"),
    ],
    ids=["a column less", "a source less", "a row more", "columns not a list"],
)
def test_a_layout_that_does_not_match_is_refused_at_once(change: Any) -> None:
    with pytest.raises(ValueError, match="columns do not match"):
        _restored(_store(), change)
