"""Tables of predicates that depend on the question only through its day, with their periods.

``foreign_participation(O, D)`` needs the question's day ``D`` only to pick the ownership
records in force that day. Such a predicate is computed once, when the fact base loads, as a
relation whose rows each carry the set of days they hold on: a join intersects the periods of
its conditions, a second derivation of a row adds its days, a negated condition takes the days
its atom does not hold. The result is stored as a dated table, so a question costs one lookup,
as for a question-independent table, instead of a walk up an ownership chain.

A predicate qualifies (:func:`date_parametric`) when its day is its last argument and, in every
rule, the day only reaches the day argument of dated facts or of other such predicates (never a
comparison or a built-in, whose answer could change on any day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field

from policyeval.engine.bindings import (
    Env,
    bind,
    bind_pattern,
    comparison_solutions,
    pattern_of,
    value_of,
)
from policyeval.engine.builtins import Pattern
from policyeval.engine.pydatalog import CompiledProgram
from policyeval.engine.store import ALWAYS, FactStore, Period
from policyeval.language.analysis import ProgramAnalysis
from policyeval.language.syntax import (
    Atom,
    Comparison,
    Literal,
    Negation,
    Rule,
    RuleSet,
    Value,
    Var,
)

__all__ = [
    "DatedOnDemand",
    "Days",
    "complement",
    "date_parametric",
    "dated_tables",
    "intersect",
    "store_dated",
    "union",
]

Days = tuple[Period, ...]
"""A set of days as ordered, disjoint, non-adjacent periods (both ends included)."""

EVERY_DAY: Days = (ALWAYS,)
Relation = dict[tuple[Value, ...], Days]
"""Rows (without their day) → the days each holds on."""


def date_parametric(
    rules: RuleSet, analysis: ProgramAnalysis, dated: Collection[str]
) -> frozenset[str]:
    """The derived predicates whose only question input is a last-argument day that flows
    only into the days of ``dated`` facts and of one another."""
    found = {
        name
        for name, positions in analysis.inputs.items()
        if positions == (analysis.derived[name] - 1,)
    }
    changed = True
    while changed:
        changed = False
        for rule in rules.rules:
            name = rule.head.predicate
            if name in found and not _day_flows_to_days(rule, found | set(dated)):
                found.discard(name)
                changed = True
    return frozenset(found)


def _day_flows_to_days(rule: Rule, dated: Collection[str]) -> bool:
    day = rule.head.terms[-1]
    if not isinstance(day, Var) or rule.given != (day.name,):
        return False
    if rule.head.terms.count(day) != 1:
        return False
    if any(isinstance(lit, Comparison) and day in lit.variables() for lit in rule.body):
        return False
    return all(
        term != day or (atom.predicate in dated and position == atom.arity - 1)
        for atom, _ in rule.body_atoms()
        for position, term in enumerate(atom.terms)
    )


# ---- sets of days ---------------------------------------------------------------------------


def union(left: Days, right: Days) -> Days:
    """The days of either.

    >>> d = dt.date
    >>> union(((d(2026, 1, 1), d(2026, 1, 31)),), ((d(2026, 2, 1), d(2026, 2, 5)),))
    ((datetime.date(2026, 1, 1), datetime.date(2026, 2, 5)),)
    """
    merged: list[list[dt.date]] = []
    for start, end in sorted((*left, *right)):
        if merged and (merged[-1][1] == dt.date.max or start <= _next(merged[-1][1])):
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((start, end) for start, end in merged)


def intersect(left: Days, right: Days) -> Days:
    """The days of both.

    >>> d = dt.date
    >>> intersect(((d(2026, 1, 1), d(2026, 3, 1)),), ((d(2026, 2, 1), dt.date.max),))
    ((datetime.date(2026, 2, 1), datetime.date(2026, 3, 1)),)
    """
    if left == EVERY_DAY:  # the most common case: a condition that holds on every day
        return right
    if right == EVERY_DAY:
        return left
    found: list[Period] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start, end = max(left[i][0], right[j][0]), min(left[i][1], right[j][1])
        if start <= end:
            found.append((start, end))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return tuple(found)


def complement(days: Days) -> Days:
    """The days not in ``days``.

    >>> complement(((dt.date(2026, 1, 2), dt.date.max),))
    ((datetime.date(1, 1, 1), datetime.date(2026, 1, 1)),)
    """
    found: list[Period] = []
    start = dt.date.min
    for first, last in days:
        if first > start:
            found.append((start, first - dt.timedelta(days=1)))
        if last == dt.date.max:
            return tuple(found)
        start = _next(last)
    found.append((start, dt.date.max))
    return tuple(found)


def _next(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=1)


def _contains(days: Days, day: dt.date) -> bool:
    return any(start <= day <= end for start, end in days)


# ---- evaluation -----------------------------------------------------------------------------


@dataclass
class _Level:
    """One level's date-parametric predicates, evaluated together over sets of days; ``day``
    is the name of the question's day in the rule being evaluated."""

    program: CompiledProgram
    tables: FactStore
    relations: dict[str, Relation]
    day: str = ""

    def rows(self, atom: Atom, env: Env) -> Iterator[tuple[Env, Days]]:
        """Every extension of ``env`` under which ``atom`` holds, with the days it holds on."""
        if not (atom.predicate in self.relations or self.tables.is_dated(atom.predicate)):
            for row in self.program.ask(atom.predicate, pattern_of(atom.terms, env), self.tables):
                extended = bind(atom.terms, row, env)
                if extended is not None:
                    yield extended, EVERY_DAY
            return
        *terms, last = atom.terms
        on = None if isinstance(last, Var) and last.name == self.day else value_of(last, env)
        for row, days in self._with_days(atom.predicate, pattern_of(terms, env)):
            if on is not None and not (isinstance(on, dt.date) and _contains(days, on)):
                continue
            extended = bind(terms, row, env)
            if extended is not None:
                yield extended, EVERY_DAY if on is not None else days

    def _with_days(
        self, predicate: str, pattern: tuple[Value | None, ...]
    ) -> Iterator[tuple[tuple[Value, ...], Days]]:
        """The rows of a dated predicate that may match ``pattern`` (its day left out), each
        with its days: exactly the matching ones, but for a partial pattern on a relation being
        computed, which gives all its rows for the caller's bind to filter."""
        relation = self.relations.get(predicate)
        if relation is None:
            for row, period in self.tables.periods(predicate, pattern):
                yield row, (period,)
        elif None not in pattern:
            days = relation.get(tuple(v for v in pattern if v is not None))
            if days:
                yield tuple(v for v in pattern if v is not None), days
        else:
            yield from relation.items()  # the caller's bind keeps the rows matching the pattern


def _solutions(level: _Level, rule: Rule, start: Env | None = None) -> list[tuple[Env, Days]]:
    """Every binding of ``rule``'s body extending ``start`` with the days on which it holds
    (the question's day left unbound), its conditions taken in the order proofs walk them."""
    states: list[tuple[Env, Days]] = [(start or {}, EVERY_DAY)]
    for literal in level.program.explain_order[rule.id]:
        states = [
            (extended, common)
            for env, days in states
            for extended, more in _step(level, literal, env)
            if (common := intersect(days, more))
        ]
    return states


def _step(level: _Level, literal: Literal, env: Env) -> Iterator[tuple[Env, Days]]:
    if isinstance(literal, Comparison):
        yield from ((extended, EVERY_DAY) for extended in comparison_solutions(literal, env))
    elif isinstance(literal, Negation):
        held: Days = ()
        for _, days in level.rows(literal.atom, env):
            held = union(held, days)
        if remaining := complement(held):
            yield env, remaining
    else:
        yield from level.rows(literal, env)


def dated_tables(
    names: Collection[str], program: CompiledProgram, tables: FactStore
) -> dict[str, Relation]:
    """The relations of the date-parametric predicates ``names`` (one level: each uses only
    lower levels and its own recursive group). Each rule is evaluated once; the rules of a
    recursive group again until no row gains a day (days only ever grow, so this ends)."""
    level = _Level(program, tables, {name: {} for name in names})
    rules = [rule for name in sorted(names) for rule in program.rules.rules_for(name)]
    recursive = [rule for rule in rules if rule.head.predicate in program.recursive]
    changed = _derive(level, rules)
    while changed and recursive:
        changed = _derive(level, recursive)
    return level.relations


def _derive(level: _Level, rules: list[Rule]) -> bool:
    """Add what ``rules`` derive to the level's relations; whether any row gained a day."""
    changed = False
    for rule in rules:
        level.day = rule.head.terms[-1].name  # type: ignore[union-attr]
        relation = level.relations[rule.head.predicate]
        for env, days in _solutions(level, rule):
            row = tuple(value_of(term, env) for term in rule.head.terms[:-1])
            before = relation.get(row, ())  # type: ignore[arg-type]
            after = union(before, days)
            if after != before:
                relation[row] = after  # type: ignore[index]
                changed = True
    return changed


def store_dated(
    tables: FactStore, arities: Mapping[str, int], relations: Mapping[str, Relation]
) -> None:
    """Declare each relation a dated table of ``tables`` and add its rows with their periods."""
    for name, relation in relations.items():
        tables.declare(name, arities[name], dated=True)
        for row, days in relation.items():
            for start, end in days:
                tables.add(name, (*row, start, end))


# ---- on demand, in a what-if store ----------------------------------------------------------


class DatedOnDemand:
    """The dated tables ``names`` of a what-if store, computed again for the rows a question
    asks, when it first asks (:meth:`FactStore.replace_rows` calls this with each pattern).

    Facts a what-if assumes or takes away may change a dated table (an ownership record changes
    who is wholly the state's), so its stored rows cannot answer. Computing the whole table
    again costs what loading does (1–2 s for the ownership chains of a world of 1,000
    executors), and so does evaluating the rules top-down as pyDatalog must (a recursive
    relation in the order that keeps it terminating enumerates it whole). A question only asks
    about a few rows, though — one organization's holders, up their chain — so the rows asked
    are computed with their days, as a top-down evaluation over sets of days: each pattern
    asked of a relation of the recursive group is a call whose rows grow round by round until
    no call gains a row or a day (days only grow, so this ends; a negated condition is of a
    lower group, complete before it is read). Once complete, a call's rows go into the store."""

    def __init__(self, names: frozenset[str], program: CompiledProgram, overlay: FactStore):
        self.names = names
        self.program = program
        self.overlay = overlay
        self._done: dict[str, list[Pattern]] = {}
        """Predicate → the patterns whose rows are in the store."""

    def __call__(self, predicate: str, pattern: Pattern) -> None:
        """Put every row of ``predicate`` matching ``pattern`` (its day left out) into the
        store, unless an earlier call has."""
        if self._covered(predicate, pattern):
            return
        group = self.program.recursive_group(predicate) | {predicate}
        level = _Calls(self.program, self.overlay, {name: {} for name in group})
        level.calls[(predicate, pattern)] = {}
        while level.round():
            pass
        for (name, asked), relation in level.calls.items():
            if self._covered(name, asked):
                continue
            for row, days in relation.items():
                for start, end in days:
                    self.overlay.add(name, (*row, start, end))
            self._done.setdefault(name, []).append(asked)

    def _covered(self, predicate: str, pattern: Pattern) -> bool:
        return any(
            all(
                v is None or (type(v) is type(w) and v == w)
                for v, w in zip(done, pattern, strict=True)
            )
            for done in self._done.get(predicate, ())
        )


@dataclass
class _Calls(_Level):
    """One recursive group evaluated for the patterns asked of it (the calls), each with the
    rows it has so far; a pattern asked for the first time is a new call."""

    calls: dict[tuple[str, Pattern], Relation] = field(default_factory=dict)
    grown: bool = False

    def _with_days(
        self, predicate: str, pattern: tuple[Value | None, ...]
    ) -> Iterator[tuple[tuple[Value, ...], Days]]:
        if predicate not in self.relations:
            yield from super()._with_days(predicate, pattern)
            return
        relation = self.calls.get((predicate, pattern))
        if relation is None:
            relation = self.calls[(predicate, pattern)] = {}
            self.grown = True  # its rows are sought in the next round
        yield from list(relation.items())

    def round(self) -> bool:
        """Each call's rules evaluated once more; whether a call was added or gained a row or
        a day."""
        self.grown = False
        for (name, pattern), relation in list(self.calls.items()):
            for rule in self.program.rules.rules_for(name):
                start = bind_pattern(rule.head.terms[:-1], pattern)
                if start is None:
                    continue
                self.day = rule.head.terms[-1].name  # type: ignore[union-attr]
                for env, days in _solutions(self, rule, start):
                    row = tuple(value_of(term, env) for term in rule.head.terms[:-1])
                    before = relation.get(row, ())  # type: ignore[arg-type]
                    after = union(before, days)
                    if after != before:
                        relation[row] = after  # type: ignore[index]
                        self.grown = True
        return self.grown
