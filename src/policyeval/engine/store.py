"""Base facts held in Python indexes, answered to the engine by pattern lookup.

A bound question's cost depends on how many facts share its most selective bound argument,
not on the size of the store: every argument position is indexed by value.
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from operator import itemgetter
from typing import TypeAlias

from policyeval.engine import budget
from policyeval.engine.builtins import Row
from policyeval.language.syntax import Value

ALWAYS = (dt.date.min, dt.date.max)
"""The period of a fact in force on every day: the first and last day an open period has."""

Period = tuple[dt.date, dt.date]
"""The first and the last day (both included) a dated fact is in force."""

Fill = Callable[[str, tuple[Value | None, ...]], None]
"""What adds the rows of a predicate answering a pattern to a what-if store's table of it."""

Postings: TypeAlias = "int | array[int]"
"""The indexes of the rows holding one value in a value index: one row's index alone, several
as 4-byte numbers (an array object per value costs ~80 bytes; most values of an id column are
held by one row)."""


@dataclass(frozen=True, slots=True)
class FactSource:
    """Where a base fact came from: the file and line of its record, and the record's id."""

    file: str
    line: int
    record: str | None = None
    period: Period | None = None
    """For a dated fact, the days it is in force."""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class BaseFact:
    """One row of a base predicate with its provenance."""

    predicate: str
    args: tuple[Value, ...]
    source: FactSource | None = None


@dataclass(slots=True)
class Table:
    """Rows of one predicate with one value index per argument position.

    A dated table stores each row with two more columns, the first and last day of its period;
    it is asked with the day in the last argument instead (:meth:`FactStore.match`).
    """

    arity: int
    dated: bool = False
    rows: list[tuple[Value, ...]] = field(default_factory=list)
    sources: list[FactSource | None] = field(default_factory=list)
    indexes: list[dict[Value, Postings] | None] = field(default_factory=list)
    """Per argument position, each value → the indexes of the rows holding it (:data:`Postings`,
    read through :meth:`postings`); ``None`` until first used (:meth:`position`): most argument
    positions of a table are never looked up by value."""
    keys: dict[tuple[Value, ...], int] = field(default_factory=dict)
    """Each stored row → its index: a fully bound lookup is one probe."""

    def __post_init__(self) -> None:
        self.indexes = [None] * self.width

    def position(self, index: int) -> dict[Value, Postings]:
        """Argument ``index``'s value index, built from the rows on first use. (Two threads
        may both build it; each builds the same one.)"""
        found = self.indexes[index]
        if found is None:
            found = self.indexes[index] = _value_index(self.rows, index)
        return found

    def postings(self, index: int, value: Value) -> Sequence[int]:
        """The indexes of the rows holding ``value`` at argument ``index``, in row order. What
        is returned may be the table's own postings: read it, never change it."""
        found = self.position(index).get(value)
        if found is None:
            return ()
        return (found,) if type(found) is int else found  # type: ignore[return-value]

    @property
    def width(self) -> int:
        """Columns a stored row has: the arity, and for a dated table one more."""
        return self.arity + 1 if self.dated else self.arity

    def add(self, row: tuple[Value, ...], source: FactSource | None) -> None:
        """Store ``row`` unless it is stored, keeping the value indexes already built (the
        others are built from the rows when first used)."""
        if row in self.keys:
            return
        if self.dated and source is not None:
            source = replace(source, period=_period(row))
        index = len(self.rows)
        self.keys[row] = index
        self.rows.append(row)
        self.sources.append(source)
        for values, value in zip(self.indexes, row, strict=True):
            if values is not None:
                _post(values, value, index)

    def found(self, pattern: Sequence[Value | None]) -> Sequence[int]:
        """The indexes of the stored rows matching ``pattern`` (``None`` = any; a dated row's
        period as two values), in row order; a fully bound pattern is one probe. What is
        returned may be the table's own postings: read it, never change it."""
        key: Sequence[Value | None] = pattern
        if None in pattern or len(pattern) != self.width:
            bound = [(i, v) for i, v in enumerate(pattern) if v is not None]
            if not bound:
                return range(len(self.rows))
            if len(bound) < self.width:
                return self._filtered(bound)
            key = [v for _, v in bound]
        index = self.keys.get(tuple(key))  # type: ignore[arg-type]  # no None in it
        return () if index is None else (index,)

    def _filtered(self, bound: list[tuple[int, Value]]) -> Sequence[int]:
        """The indexes of the rows holding each bound value, of its type, in row order."""
        rows = self.rows
        if len(bound) == 1:  # its postings hold the rows equal to the value: check the type
            ((i, v),) = bound
            kind = type(v)
            postings = self.postings(i, v)
            if kind is str or kind is dt.date:  # equal only to a value of its own type
                return postings
            return [index for index in postings if type(rows[index][i]) is kind]
        candidates = min((self.postings(i, v) for i, v in bound), key=len)
        return [index for index in candidates if all(_same(rows[index][i], v) for i, v in bound)]

    def asked(self, pattern: Sequence[Value | None]) -> Sequence[int]:
        """The indexes of the rows answering a question's ``pattern``, in row order.

        A dated table is asked with a day as the pattern's last value: the rows in force that
        day (every row when it is open).
        """
        if not self.dated:
            return self.found(pattern)
        if not pattern:
            return self.found(())
        found = self.found((*pattern[:-1], None, None))
        day = pattern[-1]
        if day is None:
            return found
        if not isinstance(day, dt.date):
            return ()
        rows = self.rows
        return [i for i in found if rows[i][-2] <= day <= rows[i][-1]]  # type: ignore[operator]

    def answer(self, index: int, pattern: Sequence[Value | None]) -> Row:
        """Row ``index`` as it answers ``pattern`` (:meth:`asked`): a dated one with the day
        asked, or with the first day of its period when the day is open."""
        row = self.rows[index]
        if not self.dated:
            return row
        day = pattern[-1] if pattern else None
        return (*row[:-2], row[-2] if day is None else day)


class FactStore:
    """Every base fact of one fact-base version, indexed by argument value.

    A store is written while a fact base loads and only read after; ``overlay`` makes a
    what-if copy that adds facts without touching the original.
    """

    def __init__(
        self, schema: Mapping[str, int] | None = None, dated: Collection[str] = ()
    ) -> None:
        self._tables: dict[str, Table] = {}
        self._parent: FactStore | None = None
        self._shared: frozenset[str] = frozenset()
        self._removed: dict[str, set[tuple[Value, ...]]] = {}
        self._replaced: dict[str, Fill | None] = {}
        """Predicates whose parent's rows this overlay hides (tables computed again for it),
        each with what fills its own table for a pattern before that is looked up."""
        for predicate, arity in (schema or {}).items():
            self.declare(predicate, arity, dated=predicate in dated)

    def declare(self, predicate: str, arity: int, *, dated: bool = False) -> None:
        """Make ``predicate`` a known base predicate even when it has no facts.

        A ``dated`` predicate's last argument is a day: its facts hold over a period, given
        as two more values when they are added (the first and last day, :data:`ALWAYS` when
        open), and a question asks for the rows in force on the day it binds.
        """
        if predicate not in self._tables:
            self._tables[predicate] = Table(arity, dated)

    def add(
        self, predicate: str, args: tuple[Value, ...], source: FactSource | None = None
    ) -> None:
        if predicate in self._shared:
            raise ValueError(f"`{predicate}` is shared with the store this one extends")
        table = self._tables.get(predicate)
        if table is None:  # in an overlay, shaped as its parent declares it
            declared = self._parent._declared(predicate) if self._parent is not None else None
            table = self._tables[predicate] = (
                Table(declared.arity, declared.dated) if declared is not None else Table(len(args))
            )
        if len(args) != table.width:
            raise ValueError(f"`{predicate}` takes {table.width} values, got {len(args)}")
        if table.dated:
            _check_period(predicate, args)
        table.add(args, source)

    def add_all(self, facts: Iterable[BaseFact]) -> None:
        for fact in facts:
            self.add(fact.predicate, fact.args, fact.source)

    def schema(self) -> dict[str, int]:
        """Name → arity of every base predicate, including the parent's in an overlay."""
        merged = self._parent.schema() if self._parent is not None else {}
        merged.update({name: table.arity for name, table in self._tables.items()})
        return merged

    def dated(self) -> frozenset[str]:
        """The dated predicates (:meth:`declare`), including the parent's in an overlay."""
        own = frozenset(name for name, table in self._tables.items() if table.dated)
        return own | (self._parent.dated() if self._parent is not None else frozenset())

    def is_dated(self, predicate: str) -> bool:
        table = self._tables.get(predicate)
        if table is not None:
            return table.dated
        return self._parent.is_dated(predicate) if self._parent is not None else False

    def periods(
        self, predicate: str, pattern: Sequence[Value | None]
    ) -> Iterator[tuple[tuple[Value, ...], Period]]:
        """The rows of a dated predicate matching ``pattern`` (every argument but the day),
        each with the period it holds over."""
        if predicate in self._replaced:
            self._fill(predicate, pattern)
        elif self._parent is not None:
            removed = self._removed.get(predicate, ())
            for row, period in self._parent.periods(predicate, pattern):
                if not removed or (*row, *period) not in removed:
                    yield row, period
        table = self._tables.get(predicate)
        if table is None or not table.rows:
            return
        for index in table.found((*pattern, None, None)):
            row = table.rows[index]
            yield row[:-2], _period(row)

    def inputs(self) -> dict[str, tuple[int, ...]]:
        """Name → the argument positions a question must bind: each dated predicate's day."""
        schema = self.schema()
        return {name: (schema[name] - 1,) for name in self.dated()}

    def __len__(self) -> int:
        own = sum(len(t.rows) for t in self._tables.values())
        return own + (len(self._parent) if self._parent is not None else 0)

    def size(self, predicate: str) -> int:
        """Rows of ``predicate``, including the parent's in an overlay."""
        own = self._tables.get(predicate)
        count = len(own.rows) if own is not None else 0
        parent = self._inherited(predicate)
        return count + (parent.size(predicate) if parent is not None else 0)

    def distinct(self, predicate: str, position: int) -> int:
        """How many distinct values argument ``position`` of ``predicate`` takes (an upper
        bound in an overlay, which counts its own and its parent's apart)."""
        own = self._tables.get(predicate)
        count = len(own.position(position)) if own is not None else 0
        parent = self._inherited(predicate)
        return count + (parent.distinct(predicate, position) if parent is not None else 0)

    def count(self, predicate: str, position: int, value: Value) -> int:
        """Rows of ``predicate`` whose argument ``position`` is ``value``."""
        own = self._tables.get(predicate)
        count = len(own.postings(position, value)) if own is not None else 0
        parent = self._inherited(predicate)
        return count + (parent.count(predicate, position, value) if parent is not None else 0)

    def match(
        self, predicate: str, pattern: Sequence[Value | None]
    ) -> Iterator[tuple[tuple[Value, ...], FactSource | None]]:
        """Every row matching ``pattern`` (``None`` = any), with its source.

        For a dated predicate the last value is a day: the rows in force that day are given
        with it; when it is unbound, each row with the first day of its period. Every lookup
        spends from the evaluation's time budget (:func:`policyeval.engine.budget.check`).
        """
        budget.check()
        if predicate in self._replaced:
            self._fill(predicate, pattern)
        elif self._parent is not None:
            removed = self._removed.get(predicate)
            inherited = self._parent.match(predicate, pattern)
            if removed:
                dated = self.is_dated(predicate)
                inherited = (m for m in inherited if _stored(m, dated) not in removed)
            yield from inherited
        table = self._own(predicate)
        if table is None:
            return
        for index in table.asked(pattern):
            yield table.answer(index, pattern), table.sources[index]

    def rows(self, predicate: str, pattern: Sequence[Value | None]) -> list[Row]:
        """The rows :meth:`match` gives, in its order, without their sources: one list, no
        generator per layer (the engine's lookups, explanations' walks)."""
        if self._parent is not None:
            return [row for row, _ in self.match(predicate, pattern)]
        budget.check()
        table = self._own(predicate)
        if table is None:
            return []
        found = table.asked(pattern)
        if not table.dated:
            rows = table.rows
            return [rows[index] for index in found]
        return [table.answer(index, pattern) for index in found]

    def first(
        self, predicate: str, pattern: Sequence[Value | None]
    ) -> tuple[Row, FactSource | None] | None:
        """The first of :meth:`match`'s rows with its source, ``None`` when there is none,
        without a generator per layer; a bound pattern is one probe."""
        if self._parent is not None:
            return next(self.match(predicate, pattern), None)
        budget.check()
        table = self._own(predicate)
        if table is None:
            return None
        found = table.asked(pattern)
        return (table.answer(found[0], pattern), table.sources[found[0]]) if found else None

    def holds(self, predicate: str, args: Sequence[Value | None]) -> bool:
        """Whether some row matches ``args`` (``None`` = any); a store's own rows are asked
        without their sources (a restored table builds those only when they are read)."""
        if self._parent is not None:
            return next(self.match(predicate, args), None) is not None
        budget.check()
        table = self._own(predicate)
        return table is not None and len(table.asked(args)) > 0

    def _declared(self, predicate: str) -> Table | None:
        """The table declaring ``predicate`` here or in a parent (its arity, whether dated)."""
        table = self._tables.get(predicate)
        if table is None and self._parent is not None:
            return self._parent._declared(predicate)
        return table

    def _inherited(self, predicate: str) -> FactStore | None:
        """The parent whose rows of ``predicate`` this store reads too, if any."""
        return None if predicate in self._replaced else self._parent

    def _own(self, predicate: str) -> Table | None:
        """``predicate``'s table in this store when it has rows."""
        table = self._tables.get(predicate)
        return table if table is not None and table.rows else None

    def overlay(self, facts: Iterable[BaseFact], removed: Iterable[BaseFact] = ()) -> FactStore:
        """A what-if store: this one plus ``facts``, without the facts ``removed`` (given as
        stored: a dated fact with its first and last day); this one is not changed."""
        child = FactStore()
        child._parent = self
        child.add_all(facts)  # a table of its own only for a predicate added to
        for fact in removed:
            child._removed.setdefault(fact.predicate, set()).add(fact.args)
        return child

    def replace_rows(self, predicate: str, arity: int, fill: Fill | None = None) -> None:
        """Hide the parent's rows of ``predicate`` in this overlay and give it an empty table of
        its own, shaped as the parent declares it (else of ``arity``, not dated): a table
        computed again for a what-if. With ``fill``, every lookup (:meth:`match`,
        :meth:`periods`) first calls it with the predicate and the pattern asked (a dated one
        without its day), to add the rows that answer it; sizes and counts see the rows added
        so far."""
        if self._parent is None:
            raise ValueError("only an overlay replaces rows of the store it overlays")
        declared = self._parent._declared(predicate)
        table = Table(declared.arity, declared.dated) if declared is not None else Table(arity)
        if table.arity != arity:
            raise ValueError(f"`{predicate}` takes {table.arity} values, not {arity}")
        self._tables[predicate] = table
        self._replaced[predicate] = fill

    def _fill(self, predicate: str, pattern: Sequence[Value | None]) -> None:
        """Let the filler of ``predicate``, if it has one, add the rows answering ``pattern``."""
        fill = self._replaced.get(predicate)
        if fill is not None:
            table = self._tables[predicate]
            width = table.arity - 1 if table.dated else table.arity
            asked = tuple(pattern[:width])
            fill(predicate, asked + (None,) * (width - len(asked)))

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

    def own_tables(self) -> dict[str, Table]:
        """The tables this store holds itself: not its parent's, not those it shares with the
        store it extends (:meth:`extended`)."""
        return {name: t for name, t in self._tables.items() if name not in self._shared}

    def put_table(self, predicate: str, table: Table) -> None:
        """Hold ``table`` (rows and indexes built elsewhere, as a snapshot restores them) as
        ``predicate``'s, in place of the empty one it was declared with."""
        if predicate in self._shared:
            raise ValueError(f"`{predicate}` is shared with the store this one extends")
        self._tables[predicate] = table


_GLANCE = 64
"""Rows of a table looked at before all of them are, to see whether each holds its own value."""


def _value_index(rows: list[tuple[Value, ...]], index: int) -> dict[Value, Postings]:
    """Each value at ``index`` of ``rows`` → the indexes of the rows holding it."""
    values = itemgetter(index)
    glance = [values(row) for row in rows[:_GLANCE]]
    if len(set(glance)) == len(glance):  # perhaps each value once (an id): made in C
        once: dict[Value, Postings] = dict(zip(map(values, rows), range(len(rows)), strict=True))
        if len(once) == len(rows):
            return once
    found: dict[Value, Postings] = {}
    for number, value in enumerate(map(values, rows)):
        _post(found, value, number)
    return found


def _post(index: dict[Value, Postings], value: Value, number: int) -> None:
    """Add row ``number`` (after every row already there) to ``value``'s postings."""
    postings = index.get(value)
    if postings is None:
        index[value] = number
    elif type(postings) is int:
        index[value] = array("I", (postings, number))
    else:
        postings.append(number)  # type: ignore[union-attr]  # an array


def _stored(match: tuple[tuple[Value, ...], FactSource | None], dated: bool) -> tuple[Value, ...]:
    """A matched row as it is stored: a dated one with its period instead of the day."""
    row, source = match
    if not dated or source is None or source.period is None:
        return row
    return (*row[:-1], *source.period)


def _same(left: Value, right: Value) -> bool:
    return type(left) is type(right) and left == right


def _period(row: tuple[Value, ...]) -> Period:
    start, end = row[-2], row[-1]
    assert isinstance(start, dt.date) and isinstance(end, dt.date)
    return start, end


def _check_period(predicate: str, row: tuple[Value, ...]) -> None:
    start, end = row[-2], row[-1]
    if not (isinstance(start, dt.date) and isinstance(end, dt.date) and start <= end):
        raise ValueError(f"`{predicate}`: a period runs from a day to the same or a later day")
