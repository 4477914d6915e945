"""A what-if's tables: those its facts could change, computed again for the rows it asks.

A what-if adds facts and takes stored ones away for one question, over an overlay of the store
(:meth:`FactStore.overlay`). The tables computed from those facts when the fact base loaded
(:mod:`~policyeval.engine.materialize`, :mod:`~policyeval.engine.dated_tables`) and the slices
read from them may no longer hold. Each such table is replaced in the overlay by one filled on
demand (:meth:`FactStore.replace_rows`): when a pattern is first asked of it, the rows matching
the pattern are computed from the table's rules over the overlay, with the days each holds on
for a dated table, and kept for the rest of the question.

Two other ways were measured and left. Computing the changed tables whole again costs what
loading does (1–2 s for the ownership chains of a world of 1,000 executors). Giving them up to
their rules, compiled into a what-if program, cost a compilation of every rule per set of
tables given up (20–30 ms; the sets of facts a refusal's repairs assume rarely repeat, so that
was two thirds of a refusal), and pyDatalog evaluates a recursive relation in the order that
keeps it terminating, which enumerates it whole (the ownership chains again: 2 s each). A
question asks about a few rows — one organization's holders, up its chain — so those are the
rows computed: a top-down evaluation, in which each pattern asked of a recursive group is a
call whose rows grow round by round until no call gains a row or a day (rows and days only
grow, so this ends; a negated condition is of a lower group, complete before it is read).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field

from policyeval.engine.bindings import Env, bind, bind_pattern, pattern_of, value_of
from policyeval.engine.builtins import Pattern
from policyeval.engine.dated_tables import EVERY_DAY, Days, Level, Relation, solutions, union
from policyeval.engine.pydatalog import CompiledProgram
from policyeval.engine.store import FactStore
from policyeval.language.syntax import Atom, Value, Var

__all__ = ["TablesOnDemand", "what_if_store"]


def what_if_store(
    program: CompiledProgram, overlay: FactStore, touched: Collection[str]
) -> FactStore:
    """``overlay`` (a what-if adding or taking away facts of ``touched`` over the store whose
    tables ``program`` reads) with every table those facts could change replaced by one
    filled on demand."""
    stale = program.stale_tables(touched)
    if stale:
        fill = TablesOnDemand(program, overlay)
        for table in sorted(stale):
            overlay.replace_rows(table, program.table_arity(table), fill)
    return overlay


class TablesOnDemand:
    """Fills the replaced tables of one what-if store with the rows each pattern asks."""

    def __init__(self, program: CompiledProgram, overlay: FactStore) -> None:
        self.program = program
        self.overlay = overlay
        self._done: set[tuple[str, _Typed]] = set()
        """The tables and patterns (each value with its type: ``1`` is not ``True``) whose
        rows are in the store."""
        self._open: dict[str, list[Pattern]] = {}
        """Table → those of its patterns that leave an argument open: they cover others."""

    def __call__(self, table: str, pattern: Pattern) -> None:
        """Put every row of ``table`` matching ``pattern`` (a dated table's without its day)
        into the store, unless they are there."""
        if self._covered(table, pattern):
            return
        group = self.program.recursive_group(table) | {table}
        dated = frozenset(name for name in group if self.overlay.is_dated(name))
        calls = _Calls(self.program, self.overlay, {name: {} for name in group}, dated=dated)
        calls.calls[(table, pattern)] = {}
        grown = calls.round()
        while grown and table in self.program.recursive:
            grown = calls.round()
        for (name, asked), relation in calls.calls.items():
            if not self._covered(name, asked):
                self._store(name, relation, name in dated)
                self._done.add((name, _typed(asked)))
                if None in asked:
                    self._open.setdefault(name, []).append(asked)

    def _store(self, table: str, relation: Relation, dated: bool) -> None:
        for row, days in relation.items():
            if not dated:
                self.overlay.add(table, row)
                continue
            for start, end in days:
                self.overlay.add(table, (*row, start, end))

    def _covered(self, table: str, pattern: Pattern) -> bool:
        """Whether the rows of ``table`` matching ``pattern`` are in the store: it or a pattern
        leaving open what it binds was computed."""
        if (table, _typed(pattern)) in self._done:
            return True
        return any(
            all(
                v is None or (type(v) is type(w) and v == w)
                for v, w in zip(done, pattern, strict=True)
            )
            for done in self._open.get(table, ())
        )


_Typed = tuple[tuple[type, Value | None], ...]


def _typed(pattern: Pattern) -> _Typed:
    """``pattern`` with each value's type beside it, so that ``1`` and ``True`` differ as keys."""
    return tuple(zip(map(type, pattern), pattern, strict=True))


@dataclass
class _Calls(Level):
    """One recursive group (or one table) evaluated for the patterns asked of it — the calls —
    each with the rows it has so far; a pattern asked for the first time is a new call."""

    dated: frozenset[str] = frozenset()
    """The group's tables whose rows hold over days (the day their last argument)."""
    calls: dict[tuple[str, Pattern], Relation] = field(default_factory=dict)
    grown: bool = False

    def rows(self, atom: Atom, env: Env) -> Iterator[tuple[Env, Days]]:
        if atom.predicate not in self.relations or atom.predicate in self.dated:
            yield from super().rows(atom, env)  # a dated one comes back through _with_days
            return
        for row, days in self._call(atom.predicate, pattern_of(atom.terms, env)):
            extended = bind(atom.terms, row, env)
            if extended is not None:
                yield extended, days

    def _with_days(
        self, predicate: str, pattern: tuple[Value | None, ...]
    ) -> Iterator[tuple[tuple[Value, ...], Days]]:
        if predicate not in self.relations:
            yield from super()._with_days(predicate, pattern)
            return
        yield from self._call(predicate, pattern)

    def _call(self, table: str, pattern: Pattern) -> list[tuple[tuple[Value, ...], Days]]:
        """The rows the call of ``table`` with ``pattern`` has so far; a new call has none
        until the next round."""
        relation = self.calls.get((table, pattern))
        if relation is None:
            relation = self.calls[(table, pattern)] = {}
            self.grown = True
        return list(relation.items())

    def round(self) -> bool:
        """Each call's rules evaluated once more; whether a call was added or gained a row or
        a day."""
        self.grown = False
        for (name, pattern), relation in list(self.calls.items()):
            dated = name in self.dated
            for rule in self.program.table_rules(name):
                key = rule.head.terms[:-1] if dated else rule.head.terms
                start = bind_pattern(key, pattern)
                if start is None:
                    continue
                day = rule.head.terms[-1]
                self.day = day.name if dated and isinstance(day, Var) else ""
                for env, days in solutions(self, rule, start):
                    row = tuple(value_of(term, env) for term in key)
                    before = relation.get(row, ())  # type: ignore[arg-type]
                    after = union(before, days) if dated else EVERY_DAY
                    if after != before:
                        relation[row] = after  # type: ignore[index]
                        self.grown = True
        return self.grown
