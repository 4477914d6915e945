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
from dataclasses import dataclass

from policyeval.engine.bindings import Env, bind, comparison_solutions, pattern_of, value_of
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
    "EVERY_DAY",
    "Days",
    "Level",
    "Relation",
    "complement",
    "date_parametric",
    "dated_tables",
    "intersect",
    "solutions",
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
class Level:
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


def solutions(level: Level, rule: Rule, start: Env | None = None) -> list[tuple[Env, Days]]:
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


def _step(level: Level, literal: Literal, env: Env) -> Iterator[tuple[Env, Days]]:
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
    level = Level(program, tables, {name: {} for name in names})
    rules = [rule for name in sorted(names) for rule in program.rules.rules_for(name)]
    recursive = [rule for rule in rules if rule.head.predicate in program.recursive]
    changed = _derive(level, rules)
    while changed and recursive:
        changed = _derive(level, recursive)
    return level.relations


def _derive(level: Level, rules: list[Rule]) -> bool:
    """Add what ``rules`` derive to the level's relations; whether any row gained a day."""
    changed = False
    for rule in rules:
        level.day = rule.head.terms[-1].name  # type: ignore[union-attr]
        relation = level.relations[rule.head.predicate]
        for env, days in solutions(level, rule):
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
