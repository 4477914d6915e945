"""A fact store's tables as plain columns of numbers, and back: what a snapshot file holds.

Every value (text, integer, day) is written once, in a value list shared by all the tables of a
snapshot (:class:`Interner`); a table becomes one column of 4-byte value numbers per argument, a
column of source numbers, and per argument its index (value → rows holding it) as one
permutation of row numbers with the offset where each value's rows start. Restoring builds the
same :class:`~policyeval.engine.store.Table`, with one object per distinct value; its value
indexes are built from its rows when first used (:meth:`~policyeval.engine.store.Table.position`).

The columns are bytes and plain numbers only: nothing in them can name code to run.
"""

from __future__ import annotations

from array import array
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar, overload

from policyeval.engine.store import BaseFact, FactSource, FactStore, Table
from policyeval.language.syntax import Value

NONE = 0xFFFFFFFF
"""The number standing for "no value" in a column (a row without a source)."""

Item = TypeVar("Item", bound=Hashable)


class Interner(Generic[Item]):
    """Numbers for distinct items, in the order first seen; typed, so ``1`` and ``"1"`` differ."""

    def __init__(self) -> None:
        self.items: list[Item] = []
        self._numbers: dict[tuple[type, Item], int] = {}

    def number(self, item: Item) -> int:
        key = (type(item), item)
        found = self._numbers.get(key)
        if found is None:
            found = self._numbers[key] = len(self.items)
            self.items.append(item)
        return found


def encode_table(
    table: Table, values: Interner[Value], sources: Interner[FactSource]
) -> dict[str, Any]:
    """``table`` as columns of numbers into ``values`` and ``sources``."""
    numbered = [[values.number(value) for value in column] for column in _columns(table)]
    return {
        "arity": table.arity,
        "dated": table.dated,
        "rows": len(table.rows),
        "columns": [as_bytes(column) for column in numbered],
        "sources": as_bytes(
            [NONE if source is None else sources.number(source) for source in table.sources]
        ),
    }


def decode_table(
    encoded: dict[str, Any], values: Sequence[Value], sources: Mapping[int, FactSource | None]
) -> Table:
    """The table :func:`encode_table` wrote, over the restored ``values`` and ``sources``
    (by number, :data:`NONE` for none: :func:`sources_by_number`); raises ``ValueError`` (or
    ``IndexError``, ``KeyError``, ``TypeError``) when it is not one."""
    arity, dated, count = int(encoded["arity"]), bool(encoded["dated"]), int(encoded["rows"])
    value_of = values.__getitem__
    columns = [list(map(value_of, as_numbers(column))) for column in encoded["columns"]]
    if len(columns) != arity + dated or any(len(column) != count for column in columns):
        raise ValueError("a table's columns do not match its width and rows")
    rows: list[tuple[Value, ...]] = list(zip(*columns, strict=True)) if columns else [()] * count
    sources_of = list(map(sources.__getitem__, as_numbers(encoded["sources"])))
    if len(sources_of) != count:
        raise ValueError("a table's sources do not match its rows")
    table = Table.restored(arity, dated, rows, sources_of)
    if len(table.keys) != count:
        raise ValueError("a table holds a row twice")
    return table


def sources_by_number(sources: Sequence[FactSource]) -> dict[int, FactSource | None]:
    """Each source by its number, and :data:`NONE` for none: what :func:`decode_table` reads
    a table's sources through."""
    found: dict[int, FactSource | None] = dict(enumerate(sources))
    found[NONE] = None
    return found


def _columns(table: Table) -> list[list[Value]]:
    return [[row[i] for row in table.rows] for i in range(table.width)]


def as_bytes(numbers: Sequence[int]) -> bytes:
    """``numbers`` (each below 2**32) as 4-byte machine integers."""
    return array("I", numbers).tobytes()


def as_numbers(data: bytes) -> array[int]:
    """The numbers :func:`as_bytes` wrote."""
    numbers = array("I")
    numbers.frombytes(data)
    return numbers


class FactList(Sequence[BaseFact]):
    """A fact base's facts, in their order, made when read from the rows of the store they
    are in (a fact is three 4-byte numbers: its table, its row, its source) rather than kept
    a second time as objects."""

    def __init__(
        self,
        tables: list[tuple[str, list[tuple[Value, ...]]]],
        predicates: Sequence[int],
        rows: Sequence[int],
        sources: Sequence[int],
        source_list: Sequence[FactSource],
    ) -> None:
        self.tables = tables
        self.predicates = predicates
        self.rows = rows
        self.sources = sources
        self.source_list = source_list

    @classmethod
    def of(cls, facts: Iterable[BaseFact], store: FactStore) -> FactList:
        """``facts``, each of which ``store`` holds as it is given (a dated one with its
        period), as numbers into ``store``'s tables."""
        tables = store.own_tables()
        names = {name: i for i, name in enumerate(tables)}
        sources: Interner[FactSource] = Interner()
        predicates, rows, numbers = array("I"), array("I"), array("I")
        for fact in facts:
            predicates.append(names[fact.predicate])
            rows.append(tables[fact.predicate].keys[fact.args])
            numbers.append(NONE if fact.source is None else sources.number(fact.source))
        chosen = [(name, table.rows) for name, table in tables.items()]
        return cls(chosen, predicates, rows, numbers, sources.items)

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> BaseFact: ...
    @overload
    def __getitem__(self, index: slice) -> list[BaseFact]: ...
    def __getitem__(self, index: int | slice) -> BaseFact | list[BaseFact]:
        if isinstance(index, slice):
            return [self._fact(i) for i in range(*index.indices(len(self)))]
        return self._fact(range(len(self))[index])

    def __iter__(self) -> Iterator[BaseFact]:
        for i in range(len(self)):
            yield self._fact(i)

    def _fact(self, index: int) -> BaseFact:
        name, rows = self.tables[self.predicates[index]]
        number = self.sources[index]
        return BaseFact(
            name, rows[self.rows[index]], None if number == NONE else self.source_list[number]
        )
