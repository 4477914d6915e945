"""Materialization: question-independent predicates computed bottom-up once per fact-base
version, level by level, into tables the compiled program then reads.

(This is not "tabling" in the Datalog sense, which memoises top-down evaluation within one
question: these tables outlive questions and are computed before any is asked.)

A derived predicate that needs no question input can be computed for the whole fact base when it
loads and then answered from a table. Four things make that pay at national scale:

* **Levels in dependency order.** Predicates are computed level by level (everything a level
  uses is below it), and each level is compiled with the levels below already tables. Asking a
  predicate then never re-derives what it depends on — in particular not a recursive relation
  under a negation, which pyDatalog would otherwise recompute for every negated subgoal.
* **Only tables that do not multiply.** A predicate whose estimated size exceeds the sizes of
  the relations it is computed from (a cross product filtered by a date, a join on a column
  with few values such as a city) is left to be evaluated per question, where its arguments are
  bound and it costs a lookup. Recursive predicates are always tabled: that is where a question
  would otherwise pay most.
* **Slices last.** The question-independent part of each rule that needs the question
  (:mod:`policyeval.engine.slicing`) is computed over all the tables, under the same size rule.
* **Set at a time.** A table is computed bottom-up by :mod:`policyeval.engine.bottom_up` (hash
  joins, semi-naive recursion); what that cannot compute, decided per predicate (or recursive
  group) before anything is, is asked of the compiled program for all its rows instead.

Which predicates are tabled changes only the cost of a question, never its answer; a property
test compares both ways.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from policyeval.engine.bottom_up import (
    BottomUp,
    Estimator,
    StoredRelations,
    Unsupported,
    recursive_groups,
)
from policyeval.engine.builtins import COMPARISONS, Builtin, Row
from policyeval.engine.dated_tables import date_parametric, dated_tables, store_dated
from policyeval.engine.pydatalog import CompiledProgram
from policyeval.engine.slicing import Slice, independent_atoms, slice_of
from policyeval.engine.store import FactStore
from policyeval.errors import OutOfRangeError
from policyeval.language.analysis import ProgramAnalysis
from policyeval.language.syntax import Atom, Const, Literal, Rule, RuleSet, Value, Var


@dataclass(frozen=True, slots=True)
class Tables:
    """The outcome of materialization: which predicates are tables, and the store holding them."""

    tabled: frozenset[str]
    store: FactStore
    skipped: dict[str, Estimate]
    """Predicates left to per-question evaluation, with what their table was estimated at."""
    slices: dict[str, Slice]
    """Rule id → the rule's question-independent conditions, computed into ``store``."""


def compute_tables(
    rules: RuleSet,
    store: FactStore,
    candidates: set[str],
    builtins: Mapping[str, Builtin],
    analysis: ProgramAnalysis | None = None,
) -> Tables:
    """Compute every candidate worth a table, lowest level first; ``store`` is not changed."""
    analysis = analysis or ProgramAnalysis(rules)
    schema = store.schema()
    base_inputs = store.inputs()
    tables = store.extended()
    tabled: set[str] = set()
    skipped: dict[str, Estimate] = {}
    # Built-ins and predicates with inputs are called with their inputs bound: they filter
    # (or compute one value per input) rather than add rows of their own.
    functions = (
        frozenset(builtins)
        | frozenset(COMPARISONS)
        | frozenset(rules.input_positions())
        | frozenset(base_inputs)
    )
    by_day = date_parametric(rules, analysis, store.dated()) - set(schema)
    relations = StoredRelations(tables)
    for level in analysis.levels(candidates | by_day):
        program = CompiledProgram(
            rules,
            schema,
            builtins,
            materialized=frozenset(tabled),
            analysis=analysis,
            base_inputs=base_inputs,
        )
        # A predicate tabled with its days may only read the day of others tabled so.
        dated = {
            name
            for name in level & by_day
            if not analysis.uses[name] & by_day - tabled - level
            and _worth_a_table(
                name, program, tables, skipped, functions - by_day - base_inputs.keys()
            )
        }
        store_dated(tables, program.derived, dated_tables(dated, program, tables))
        computed = [
            name
            for name in sorted(level - by_day)
            if _worth_a_table(name, program, tables, skipped, functions)
        ]
        sizes = Sizes(tables, skipped, functions)
        compute_level(computed, program, tables, estimator(sizes), relations)
        tabled.update(computed, dated)
    slices = _compute_slices(
        rules,
        schema,
        builtins,
        tables,
        frozenset(tabled),
        skipped,
        functions,
        base_inputs,
        relations,
    )
    return Tables(frozenset(tabled), tables, skipped, slices)


def _worth_a_table(
    name: str,
    program: CompiledProgram,
    tables: FactStore,
    skipped: dict[str, Estimate],
    functions: frozenset[str],
) -> bool:
    """Whether ``name``'s table would not multiply the rows it is computed from (recursive
    predicates always are worth one); when not, the estimate goes to ``skipped``."""
    if name in program.analysis.recursive:
        return True
    expected = estimate(program.rules.rules_for(name), Sizes(tables, skipped, functions))
    if expected.rows > expected.reads:
        skipped[name] = expected
        return False
    return True


def compute_level(
    names: Sequence[str],
    program: CompiledProgram,
    tables: FactStore,
    estimate: Estimator,
    relations: StoredRelations | None = None,
) -> None:
    """Compute ``names`` (predicates of one level) into ``tables``: bottom-up, set at a time,
    each recursive group or predicate that :class:`~policyeval.engine.bottom_up.BottomUp`
    supports; the others by asking ``program`` (compiled with the levels below as tables)."""
    evaluator = BottomUp(program, tables, estimate, relations)
    for group in recursive_groups(names, program):
        rows = _bottom_up(evaluator, group)
        for name in sorted(group):
            found = rows[name] if rows is not None else _ask_all(program, name, tables)
            for row in found:
                tables.add(name, row)


def _bottom_up(evaluator: BottomUp, group: frozenset[str]) -> dict[str, list[Row]] | None:
    """The group's rows computed bottom-up; ``None`` when that is not supported (by its rules,
    or by a value met on the way). A built-in's value out of range is left to the compiled
    program too: joining in another order, it may never ask the built-in for that value."""
    if evaluator.unsupported(group) is not None:
        return None
    try:
        return evaluator.derive(group)
    except (Unsupported, OutOfRangeError):
        return None


def _ask_all(program: CompiledProgram, name: str, tables: FactStore) -> list[Row]:
    return program.ask(name, (None,) * program.derived[name], tables)


def estimator(sizes: Sizes) -> Estimator:
    """The join-order estimate of :func:`join_order` (:func:`_factor`) as the bottom-up
    evaluator asks it."""
    return lambda atom, bound: _factor(atom, set(bound), sizes)


def _compute_slices(
    rules: RuleSet,
    schema: Mapping[str, int],
    builtins: Mapping[str, Builtin],
    tables: FactStore,
    tabled: frozenset[str],
    skipped: Mapping[str, Estimate],
    functions: frozenset[str],
    base_inputs: Mapping[str, tuple[int, ...]],
    relations: StoredRelations,
) -> dict[str, Slice]:
    """The slices of the rules that take question inputs, each computed into ``tables`` unless
    it would multiply (as for predicates). Returns rule id → slice for those computed."""
    sizes = Sizes(tables, skipped, functions)
    kept: list[Slice] = []
    for rule in rules.rules:
        if rule.head.predicate in tabled:
            continue
        piece = _widest_slice(rule, functions, sizes)
        if piece is not None:
            kept.append(piece)
    if not kept:
        return {}
    with_tables = RuleSet((*rules.rules, *(piece.table_rule() for piece in kept)), rules.clauses)
    program = CompiledProgram(
        with_tables, schema, builtins, materialized=tabled, base_inputs=base_inputs
    )
    kept = [
        piece
        for piece in kept
        if not any(
            isinstance(lit, Atom) and lit.predicate in program.never_holds for lit in piece.body
        )
    ]
    names = [piece.atom.predicate for piece in kept]
    compute_level(names, program, tables, estimator(sizes), relations)
    return {piece.rule.id: piece for piece in kept}


@dataclass(frozen=True, slots=True)
class Estimate:
    """What a predicate left untabled is estimated to hold: rows, distinct values per argument,
    and how many stored rows its rules read (what it would have been computed from)."""

    rows: float
    distinct: tuple[float, ...]
    reads: float


@dataclass(frozen=True, slots=True)
class Sizes:
    """What the estimate knows: the rows in ``store`` (facts and tables so far), the estimates
    of predicates left untabled, and which names are functions of their inputs (built-ins and
    ``@given`` predicates: at most one answer per input is assumed)."""

    store: FactStore
    untabled: Mapping[str, Estimate]
    functions: frozenset[str]

    def rows(self, predicate: str) -> float | None:
        """Rows of a predicate; ``None`` for a function; 0 for one that can never hold."""
        if predicate in self.untabled:
            return self.untabled[predicate].rows
        if predicate in self.functions:
            return None
        return float(self.store.size(predicate))

    def distinct(self, predicate: str, position: int) -> float:
        if predicate in self.untabled:
            return self.untabled[predicate].distinct[position]
        return float(self.store.distinct(predicate, position))

    def with_value(self, predicate: str, position: int, value: Value) -> float:
        """Rows whose argument ``position`` is ``value`` (a guess for one left untabled)."""
        if predicate in self.untabled:
            estimate = self.untabled[predicate]
            return estimate.rows / max(estimate.distinct[position], 1.0)
        return float(self.store.count(predicate, position, value))

    def reads(self, predicate: str) -> float:
        """Stored rows behind a predicate: its own, or for one left untabled, its inputs'."""
        if predicate in self.untabled:
            return self.untabled[predicate].reads
        return self.rows(predicate) or 0.0


def estimate(rules: list[Rule], sizes: Sizes) -> Estimate:
    """A textbook join-size estimate of what ``rules`` derive.

    Each positive atom multiplies the rows by its size divided by the product of the distinct
    values of its bound arguments (columns taken as independent); negations, comparisons and
    functions are taken not to add rows. A head argument takes at most as many values as the
    fewest of any atom it appears in.
    """
    total = 0.0
    arity = rules[0].head.arity if rules else 0
    distinct = [0.0] * arity
    reads = 0.0
    for rule in rules:
        rows = 1.0
        values: dict[str, float] = {}
        for atom, factor in join_order(rule.body, sizes):
            if factor is not None:
                reads += sizes.reads(atom.predicate)
                rows *= factor
                for i, term in enumerate(atom.terms):
                    if isinstance(term, Var):
                        seen = sizes.distinct(atom.predicate, i)
                        values[term.name] = min(values.get(term.name, seen), seen)
        total += rows
        for i, term in enumerate(rule.head.terms):
            count = values.get(term.name, 1.0) if isinstance(term, Var) else 1.0
            distinct[i] += min(count, rows)
    return Estimate(total, tuple(distinct), reads)


def _widest_slice(rule: Rule, functions: frozenset[str], sizes: Sizes) -> Slice | None:
    """The largest slice of ``rule`` that does not multiply: its independent conditions as
    written, dropping from the end until the estimate fits. (Written first, a condition is
    usually the one that binds the rule's arguments: the slice takes its place.)

    The hidden rule is nobody's reading, so its body is kept in join order: the engine never
    starts with a cross product the written order might begin with."""
    written = independent_atoms(rule, functions)
    for count in range(len(written), 1, -1):
        piece = slice_of(rule, written[:count], functions)
        if piece is None:
            return None
        expected = estimate([piece.table_rule()], sizes)
        if expected.rows <= expected.reads:
            return replace(piece, body=_in_join_order(piece.body, sizes))
    return None


def _in_join_order(body: Sequence[Literal], sizes: Sizes) -> tuple[Literal, ...]:
    atoms = [atom for atom, _ in join_order(body, sizes)]
    return (*atoms, *(lit for lit in body if not isinstance(lit, Atom)))


def join_order(body: Sequence[Literal], sizes: Sizes) -> list[tuple[Atom, float | None]]:
    """The positive atoms of ``body`` in greedy join order — each time the atom that multiplies
    the rows least given what is bound so far; functions last, as they only add a value per
    input — each with its factor (``None`` for a function)."""
    waiting = [lit for lit in body if isinstance(lit, Atom)]
    bound: set[str] = set()
    ordered: list[tuple[Atom, float | None]] = []
    while waiting:
        factor, atom = min(
            ((_factor(lit, bound, sizes), lit) for lit in waiting),
            key=lambda pair: (pair[0] is None, pair[0] or 0.0),
        )
        waiting.remove(atom)
        ordered.append((atom, factor))
        bound.update(v.name for v in atom.variables())
    return ordered


def _factor(atom: Atom, bound: set[str], sizes: Sizes) -> float | None:
    """Rows per binding that ``atom`` yields once ``bound`` is; ``None`` for a function. A
    constant argument counts exactly (the index knows how many rows have it)."""
    size = sizes.rows(atom.predicate)
    if size is None:
        return None
    constants = [
        sizes.with_value(atom.predicate, i, term.value)
        for i, term in enumerate(atom.terms)
        if isinstance(term, Const)
    ]
    size = min([size, *constants])
    selectivity = math.prod(
        max(sizes.distinct(atom.predicate, i), 1.0)
        for i, term in enumerate(atom.terms)
        if isinstance(term, Var) and term.name in bound
    )
    return size / selectivity
