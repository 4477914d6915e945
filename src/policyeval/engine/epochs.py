"""Tables of predicates that depend on the question only through its day.

``foreign_participation(O, D)`` needs the question's day ``D`` only to pick the ownership
records in force that day. Between two days on which some dated fact it reads begins or ends
(an *epoch*), its relation cannot change; so it is computed once per epoch when the fact base
loads and kept as a dated table: each row with the days it holds. A question then costs one
lookup, as for a question-independent table, instead of a walk up the ownership chain.

A predicate qualifies when its day is its last argument and, in every rule, the day only
reaches the day argument of dated facts or of other such predicates (never a comparison or a
built-in, which could change the answer between two boundaries).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator

from policyeval.engine.store import FactStore, Period
from policyeval.language.analysis import ProgramAnalysis
from policyeval.language.syntax import Comparison, Rule, RuleSet, Value, Var

__all__ = ["MAX_EPOCHS", "date_parametric", "epochs", "periods_of_rows"]

MAX_EPOCHS = 512
"""Epochs above which a predicate is left to per-question evaluation."""


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


def epochs(store: FactStore, predicates: Collection[str]) -> list[Period]:
    """The periods over which no fact of the dated ``predicates`` begins or ends, in order."""
    starts = {dt.date.min}
    for predicate in predicates:
        for _, source in store.facts(predicate):
            if source is None or source.period is None:
                continue
            first, last = source.period
            starts.add(first)
            if last < dt.date.max:
                starts.add(last + dt.timedelta(days=1))
    ordered = sorted(starts)
    ends = [start - dt.timedelta(days=1) for start in ordered[1:]] + [dt.date.max]
    return list(zip(ordered, ends, strict=True))


def periods_of_rows(
    by_epoch: Iterator[tuple[Period, list[tuple[Value, ...]]]],
) -> list[tuple[Value, ...]]:
    """Rows found epoch by epoch (the day left out), as stored dated rows: each with the
    first and last day of every run of consecutive epochs it holds in."""
    open_runs: dict[tuple[Value, ...], list[dt.date]] = {}
    closed: list[tuple[Value, ...]] = []
    for (first, last), rows in by_epoch:
        for row in dict.fromkeys(rows):
            run = open_runs.get(row)
            if run is not None and run[1] + dt.timedelta(days=1) == first:
                run[1] = last
                continue
            if run is not None:
                closed.append((*row, run[0], run[1]))
            open_runs[row] = [first, last]
    closed.extend((*row, run[0], run[1]) for row, run in open_runs.items())
    return closed
