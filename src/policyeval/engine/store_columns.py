"""A fact store's tables as plain columns of numbers, and back: what a snapshot file holds.

Every value (text, integer, day) is written once, in a value list shared by all the tables of a
snapshot (:class:`Interner`); a table becomes one column of 4-byte value numbers per argument
and a column of source numbers. Restoring gives a :class:`RestoredTable`: its layout is checked
at once, and its rows (one object per distinct value), their keys and their sources are built
from the columns when first read, its value indexes when first used
(:meth:`~policyeval.engine.store.Table.position`).

The columns are bytes and plain numbers only: nothing in them can name code to run.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
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
    encoded: dict[str, Any],
    values: Sequence[Value],
    sources: Callable[[], Mapping[int, FactSource | None]],
    origin: str = "a snapshot",
) -> RestoredTable:
    """The table :func:`encode_table` wrote, over the restored ``values`` and ``sources`` (a
    function giving each source by number, :data:`NONE` for none: :func:`sources_by_number`).
    Its layout is checked now (raises ``ValueError``, ``KeyError`` or ``TypeError`` when it is
    not one); its rows, their keys and their sources are built on first use, and raise
    :class:`DamagedTable` naming ``origin`` (the file read) when they do not decode."""
    arity, dated, count = int(encoded["arity"]), bool(encoded["dated"]), int(encoded["rows"])
    columns = encoded["columns"]
    numbered = encoded["sources"]
    if type(columns) is not list or len(columns) != arity + dated:
        raise ValueError("a table's columns do not match its width")
    if any(type(c) is not bytes or len(c) != 4 * count for c in (*columns, numbered)):
        raise ValueError("a table's columns do not match its rows")
    return RestoredTable.lazy(arity, dated, count, (columns, numbered, values, sources, origin))


class DamagedTable(ValueError):
    """Rows of a restored table that do not decode: a value or source number out of range, a
    row twice (the file was changed after it was written)."""


Encoded = tuple[
    list[bytes], bytes, Sequence[Value], Callable[[], Mapping[int, FactSource | None]], str
]
"""A restored table's columns, its sources' column, the value list and the sources they number,
and the file they were read from."""


class RestoredTable(Table):
    """A table read from a snapshot whose rows, keys and sources are built from its columns
    when first read (each by :meth:`__getattr__`, which Python calls only while the slot is
    still empty: once built, they are plain slots again)."""

    __slots__ = ("_count", "_encoded")

    _count: int
    _encoded: Encoded

    @classmethod
    def lazy(cls, arity: int, dated: bool, count: int, encoded: Encoded) -> RestoredTable:
        """A table of ``count`` rows to be built from ``encoded`` when first read."""
        table = cls.__new__(cls)
        table.arity, table.dated = arity, dated
        table.indexes = [None] * table.width
        table._count, table._encoded = count, encoded
        return table

    @property
    def decoded(self) -> frozenset[str]:
        """Which of ``rows``, ``keys`` and ``sources`` are built so far."""
        names = ("rows", "keys", "sources")
        return frozenset(name for name in names if _filled(vars(Table)[name], self))

    def __getattr__(self, name: str) -> Any:
        if name == "rows":
            self.rows = self._decoded_rows()
            return self.rows
        if name == "keys":
            keys = dict(zip(self.rows, range(self._count), strict=True))
            if len(keys) != self._count:
                raise self._damaged("holds a row twice")
            self.keys = keys
            return keys
        if name == "sources":
            _, numbered, _, sources, _ = self._encoded
            by_number = sources()
            try:
                self.sources = list(map(by_number.__getitem__, as_numbers(numbered)))
            except KeyError:
                raise self._damaged("names a source it does not hold") from None
            return self.sources
        raise AttributeError(name)

    def _decoded_rows(self) -> list[tuple[Value, ...]]:
        columns, _, values, _, _ = self._encoded
        value_of = values.__getitem__
        try:
            decoded = [list(map(value_of, as_numbers(column))) for column in columns]
        except IndexError:
            raise self._damaged("names a value it does not hold") from None
        return list(zip(*decoded, strict=True)) if decoded else [()] * self._count

    def _damaged(self, what: str) -> DamagedTable:
        return DamagedTable(
            f"a table restored from {self._encoded[4]} {what}: the file was changed after it"
            " was written; delete it, and the next start loads the fact files"
        )


def _filled(slot: Any, table: Table) -> bool:
    try:
        slot.__get__(table)
    except AttributeError:
        return False
    return True


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
    a second time as objects; a table's rows are read when a fact of it is."""

    def __init__(
        self,
        tables: list[tuple[str, Table]],
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
        return cls(list(tables.items()), predicates, rows, numbers, sources.items)

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
        name, table = self.tables[self.predicates[index]]
        number = self.sources[index]
        return BaseFact(
            name, table.rows[self.rows[index]], None if number == NONE else self.source_list[number]
        )
