"""Base facts held in Python indexes, answered to the engine by pattern lookup.

A bound question's cost depends on how many facts share its most selective bound argument,
not on the size of the store: every argument position is indexed by value.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from policyeval.language.syntax import Value


@dataclass(frozen=True, slots=True)
class FactSource:
    """Where a base fact came from: the file and line of its record, and the record's id."""

    file: str
    line: int
    record: str | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class BaseFact:
    """One row of a base predicate with its provenance."""

    predicate: str
    args: tuple[Value, ...]
    source: FactSource | None = None


@dataclass(slots=True)
class _Table:
    """Rows of one predicate with one value index per argument position."""

    arity: int
    rows: list[tuple[Value, ...]] = field(default_factory=list)
    sources: list[FactSource | None] = field(default_factory=list)
    positions: list[dict[Value, list[int]]] = field(default_factory=list)
    keys: set[tuple[Value, ...]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.positions = [{} for _ in range(self.arity)]

    def add(self, row: tuple[Value, ...], source: FactSource | None) -> None:
        if row in self.keys:
            return
        self.keys.add(row)
        index = len(self.rows)
        self.rows.append(row)
        self.sources.append(source)
        for position, value in enumerate(row):
            self.positions[position].setdefault(value, []).append(index)

    def match(self, pattern: Sequence[Value | None]) -> Iterator[int]:
        bound = [(i, v) for i, v in enumerate(pattern) if v is not None]
        if not bound:
            yield from range(len(self.rows))
            return
        if len(bound) == self.arity:
            row = tuple(v for _, v in bound)
            if row in self.keys:
                yield from (i for i in self.positions[0].get(row[0], ()) if self.rows[i] == row)
            return
        candidates = min((self.positions[i].get(v, ()) for i, v in bound), key=len)
        for index in candidates:
            row = self.rows[index]
            if all(_same(row[i], v) for i, v in bound):
                yield index


class FactStore:
    """Every base fact of one fact-base version, indexed by argument value.

    A store is written while a fact base loads and only read after; ``overlay`` makes a
    what-if copy that adds facts without touching the original.
    """

    def __init__(self, schema: Mapping[str, int] | None = None) -> None:
        self._tables: dict[str, _Table] = {}
        self._parent: FactStore | None = None
        self._shared: frozenset[str] = frozenset()
        for predicate, arity in (schema or {}).items():
            self.declare(predicate, arity)

    def declare(self, predicate: str, arity: int) -> None:
        """Make ``predicate`` a known base predicate even when it has no facts."""
        if predicate not in self._tables:
            self._tables[predicate] = _Table(arity)

    def add(
        self, predicate: str, args: tuple[Value, ...], source: FactSource | None = None
    ) -> None:
        if predicate in self._shared:
            raise ValueError(f"`{predicate}` is shared with the store this one extends")
        table = self._tables.get(predicate)
        if table is None:
            table = self._tables[predicate] = _Table(len(args))
        if len(args) != table.arity:
            raise ValueError(f"`{predicate}` takes {table.arity} arguments, got {len(args)}")
        table.add(args, source)

    def add_all(self, facts: Iterable[BaseFact]) -> None:
        for fact in facts:
            self.add(fact.predicate, fact.args, fact.source)

    def schema(self) -> dict[str, int]:
        """Name → arity of every base predicate, including the parent's in an overlay."""
        merged = self._parent.schema() if self._parent else {}
        merged.update({name: table.arity for name, table in self._tables.items()})
        return merged

    def __len__(self) -> int:
        own = sum(len(t.rows) for t in self._tables.values())
        return own + (len(self._parent) if self._parent else 0)

    def size(self, predicate: str) -> int:
        """Rows of ``predicate``, including the parent's in an overlay."""
        own = self._tables.get(predicate)
        count = len(own.rows) if own is not None else 0
        return count + (self._parent.size(predicate) if self._parent else 0)

    def distinct(self, predicate: str, position: int) -> int:
        """How many distinct values argument ``position`` of ``predicate`` takes (an upper
        bound in an overlay, which counts its own and its parent's apart)."""
        own = self._tables.get(predicate)
        count = len(own.positions[position]) if own is not None else 0
        return count + (self._parent.distinct(predicate, position) if self._parent else 0)

    def count(self, predicate: str, position: int, value: Value) -> int:
        """Rows of ``predicate`` whose argument ``position`` is ``value``."""
        own = self._tables.get(predicate)
        count = len(own.positions[position].get(value, ())) if own is not None else 0
        return count + (self._parent.count(predicate, position, value) if self._parent else 0)

    def match(
        self, predicate: str, pattern: Sequence[Value | None]
    ) -> Iterator[tuple[tuple[Value, ...], FactSource | None]]:
        """Every row matching ``pattern`` (``None`` = any), with its source."""
        if self._parent is not None:
            yield from self._parent.match(predicate, pattern)
        table = self._tables.get(predicate)
        if table is None or not table.rows:
            return
        for index in table.match(pattern):
            yield table.rows[index], table.sources[index]

    def holds(self, predicate: str, args: Sequence[Value]) -> bool:
        return next(self.match(predicate, args), None) is not None

    def overlay(self, facts: Iterable[BaseFact]) -> FactStore:
        """A what-if store: this one plus ``facts``; this one is not changed."""
        child = FactStore()
        child._parent = self
        for predicate, arity in self.schema().items():
            child._tables[predicate] = _Table(arity)
        child.add_all(facts)
        return child

    def extended(self) -> FactStore:
        """A store that reads this one's predicates (shared, not copied: one lookup, no chain)
        and takes rows of new predicates only: derived tables computed from these facts."""
        child = FactStore()
        child._tables = dict(self._tables)
        child._parent = self._parent
        child._shared = frozenset(self.schema())
        return child

    def facts(self, predicate: str) -> Iterator[tuple[tuple[Value, ...], FactSource | None]]:
        yield from self.match(predicate, ())


def _same(left: Value, right: Value) -> bool:
    return type(left) is type(right) and left == right
