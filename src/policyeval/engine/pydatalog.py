"""The one boundary around pyDatalog: rules compiled through its Python objects, never its text.

pyDatalog's ``load()`` and ``ask()`` compile strings as Python; nothing here calls them. Rules
become ``pyEngine.Clause`` objects, questions become ``pyEngine.Literal(...).ask()``, constants
are only ever ``pyEngine.Const`` values. Base predicates and built-ins are answered by Python
resolvers that read the fact store chosen for the current question (a thread-local), so a
what-if store never leaks into another question. pyDatalog keeps its state per thread: each
thread installs the compiled knowledge base before asking (a shallow copy; clause tables are
shared and never written after compilation).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Collection, Iterator, Mapping, Sequence

from pyDatalog import pyEngine
from pyDatalog.Logic import Logic

from policyeval.engine.bindings import Env, bind, comparison_solutions, pattern_of
from policyeval.engine.builtins import COMPARISONS, Builtin, Pattern, Row
from policyeval.engine.planning import Lookup, evaluation_order, fuse_lookups, renamed_body
from policyeval.engine.slicing import Slice
from policyeval.engine.store import FactStore
from policyeval.language.analysis import ProgramAnalysis
from policyeval.language.syntax import (
    Atom,
    Comparison,
    Const,
    Literal,
    Negation,
    Rule,
    RuleSet,
    Var,
    is_anonymous,
)

_DERIVED, _BASE, _BUILTIN, _COMPARE, _HIDDEN = "i:", "e:", "b:", "c:", "n:"
_COMPARE_NAMES = {"=": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}

MAX_UNFOLD_DEPTH = 3
"""Levels of calls unfolded into a rule body."""
MAX_UNFOLDED = 48
"""Conditions an unfolded body may grow to (beyond, the calls stay subgoals)."""

FIRST_FRESH = 1_000_000
"""Variables an unfolded body brings in are numbered from here: above the parser's numbering of
a rule's own anonymous variables (``_1``, ``_2``, …), so the two never meet."""

_thread = threading.local()
_registered: set[str] = set()
_register_lock = threading.Lock()


class CompiledProgram:
    """A rule set compiled into one pyDatalog knowledge base; read-only once built. A what-if
    asks the same program over a store whose changed tables are computed again
    (:mod:`policyeval.engine.what_if_tables`): nothing is compiled per question."""

    def __init__(
        self,
        rules: RuleSet,
        base_predicates: Mapping[str, int],
        builtins: Mapping[str, Builtin],
        materialized: frozenset[str] = frozenset(),
        slices: Mapping[str, Slice] | None = None,
        analysis: ProgramAnalysis | None = None,
        base_inputs: Mapping[str, tuple[int, ...]] | None = None,
        unfold: bool = True,
    ) -> None:
        self.rules = rules
        self.base_inputs = dict(base_inputs or {})
        """Base predicate → the positions a question must bind (a dated predicate's day)."""
        self.analysis = analysis or ProgramAnalysis(rules)
        """The rules' dependency analysis, shared with the checker and the materialization."""
        self.slices = dict(slices or {})
        """Rule id → its question-independent conditions, answered from a hidden table."""
        self.base_predicates = dict(base_predicates)
        self.materialized = materialized
        self.builtins = dict(builtins)
        self.derived = self.analysis.derived
        self.inputs: dict[str, tuple[int, ...]] = {
            **self.base_inputs,
            **{name: b.inputs for name, b in self.builtins.items()},
            **self.analysis.inputs,
        }
        self.arities: dict[str, int] = {
            **self.base_predicates,
            **{name: b.arity for name, b in self.builtins.items()},
            **self.derived,
        }
        """Name → arity of every predicate a question may ask."""
        self.recursive = frozenset(self.analysis.recursive)
        """Derived predicates that depend on themselves."""
        self.body_order: dict[str, tuple[Literal, ...]] = {
            rule.id: evaluation_order(
                self.slices[rule.id].compiled_rule() if rule.id in self.slices else rule,
                self.inputs,
                self.recursive_group(rule.head.predicate),
            )
            for rule in rules.rules
        }
        self._slice_rules = {
            piece.atom.predicate: piece.table_rule() for piece in self.slices.values()
        }
        """A slice's table → its hidden rule (``Slice.table_rule``), which a what-if evaluates
        again when the table's facts change; ``_slice_reads``: what each rule reads."""
        self._slice_reads = {
            table: frozenset(rule.body_predicates()) for table, rule in self._slice_rules.items()
        }
        self.explain_order: dict[str, tuple[Literal, ...]] = {
            rule.id: evaluation_order(rule, self.inputs)
            for rule in (*rules.rules, *self._slice_rules.values())
        }
        """The order proofs and why-not walk a body in (and a what-if computes tables in): as
        written (each condition once what it needs is bound), by rule id; a slice's hidden
        rule's by its table's name. Each step is a separate question to the engine, so the
        left-recursive order that keeps pyDatalog terminating is not needed there, and would
        make a proof try every member of a recursive relation before the condition that
        selects one."""
        self.never_holds = self.analysis.never_derivable(
            set(self.base_predicates) | set(self.builtins)
        )
        self.unfold = unfold
        self.unfoldable = self._unfoldable() if unfold else frozenset()
        """Derived predicates whose one rule's body is compiled in place of each positive call
        (pyDatalog pays a subgoal per call; the body's store lookups then fuse with the
        caller's). Proofs and why-not still walk the rules as written."""
        self._logic = self._compile()

    def recursive_group(self, predicate: str) -> frozenset[str]:
        """The predicates ``predicate`` is mutually recursive with (empty when it is not)."""
        return self.analysis.recursive.get(predicate, frozenset())

    def stale_tables(self, touched: Collection[str]) -> frozenset[str]:
        """The tables, and the tables of slices, that facts of ``touched`` could change: what
        a what-if assuming or taking away such facts must compute again."""
        changed = self.analysis.affected_by(touched)
        cut = {table for table, reads in self._slice_reads.items() if reads & changed}
        return (self.materialized & changed) | cut

    def table_arity(self, table: str) -> int:
        """The arity of a table: a derived predicate's, or a slice's."""
        rule = self._slice_rules.get(table)
        return rule.head.arity if rule is not None else self.derived[table]

    def table_rules(self, table: str) -> list[Rule]:
        """The rules whose relation is ``table``: a derived predicate's, or a slice's hidden
        rule."""
        rule = self._slice_rules.get(table)
        return [rule] if rule is not None else self.rules.rules_for(table)

    # -- questions -------------------------------------------------------------------------

    def ask(self, predicate: str, pattern: Pattern, store: FactStore) -> list[Row]:
        """Every row of ``predicate`` matching ``pattern`` (``None`` = any) against ``store``."""
        if predicate in self.never_holds:
            return []
        if predicate in self.derived and predicate not in self.materialized:
            return self._ask_engine(predicate, pattern, store)
        if predicate in self.builtins:
            return list(self.builtins[predicate].solve(pattern))
        if predicate in COMPARISONS:
            return list(COMPARISONS[predicate].solve(pattern))
        return store.rows(predicate, pattern)

    def _ask_engine(self, predicate: str, pattern: Pattern, store: FactStore) -> list[Row]:
        self._install()
        _thread.store = store
        terms = [
            pyEngine.Var(f"Q{i}") if value is None else pyEngine.Const(value)
            for i, value in enumerate(pattern)
        ]
        answer = _solve(pyEngine.Literal(_DERIVED + predicate, terms))
        if answer is True:  # a ground question that holds
            return [tuple(v for v in pattern if v is not None)] if None not in pattern else []
        return answer or []

    def _install(self) -> None:
        if getattr(_thread, "program", None) is not self:
            Logic(self._logic)
            _thread.program = self

    # -- compilation -----------------------------------------------------------------------

    def _compile(self) -> object:
        """A fresh knowledge base of this program: its resolvers, rules and bridges."""
        _thread.program = None
        Logic()  # a fresh, empty knowledge base for this thread
        self._register_resolvers()
        stored = self.stored_predicates()
        for rule in self.rules.rules:
            body = self._compiled_body(rule, stored)
            if body is not None:
                pyEngine.assert_(pyEngine.Clause(self._atom(rule.head), body))
        self._assert_bridges()
        logic = Logic(True)
        _thread.program = self
        return logic

    def _register_resolvers(self) -> None:
        """The Python resolvers of base predicates, builtins, comparisons, tables and slices."""
        for name, arity in self.base_predicates.items():
            _register(_BASE + name, arity, _base_resolver(name))
        for builtin in self.builtins.values():
            _register(_BUILTIN + builtin.name, builtin.arity, _builtin_resolver(builtin))
        for op, builtin in COMPARISONS.items():
            _register(_COMPARE + _COMPARE_NAMES[op], 2, _builtin_resolver(builtin))
        for name in self.materialized:
            _register(_BASE + name, self.derived[name], _base_resolver(name))
        for piece in self.slices.values():
            table = piece.atom
            _register(_BASE + table.predicate, table.arity, _base_resolver(table.predicate))

    def _compiled_body(self, rule: Rule, stored: frozenset[str]) -> list[object] | None:
        """The engine literals of ``rule``'s body, runs of ``stored`` conditions fused; ``None``
        when the rule is not compiled (answered from its table, or it can never fire)."""
        order = self.body_order[rule.id]
        if rule.head.predicate in self.materialized or any(
            isinstance(lit, Atom) and lit.predicate in self.never_holds for lit in order
        ):
            return None
        kept = [
            lit
            for lit in self._unfolded(rule, order)
            if not (isinstance(lit, Negation) and lit.atom.predicate in self.never_holds)
        ]
        return [
            self._body_part(part, rule.id, i) for i, part in enumerate(fuse_lookups(kept, stored))
        ]

    def _unfoldable(self) -> frozenset[str]:
        """Derived predicates asked through the engine that have one rule, recursive with
        nothing, and that can hold: what :meth:`_unfolded` replaces by its body."""
        return frozenset(
            name
            for name in self.derived
            if name not in self.materialized
            and name not in self.base_predicates
            and name not in self.recursive
            and name not in self.never_holds
            and len(self.rules.rules_for(name)) == 1
        )

    def _unfolded(self, rule: Rule, order: tuple[Literal, ...]) -> tuple[Literal, ...]:
        """``order`` with each positive call of an unfoldable predicate replaced by its rule's
        body (renamed apart, calls in it unfolded too, up to :data:`MAX_UNFOLDED` conditions),
        put back in evaluation order."""
        if not self.unfoldable:
            return order
        fresh = itertools.count(FIRST_FRESH)
        body = list(order)
        for _ in range(MAX_UNFOLD_DEPTH):
            spliced = list(self._splice(body, fresh))
            if spliced == body or len(spliced) > MAX_UNFOLDED:
                break
            body = spliced
        if body == list(order):
            return order
        flat = Rule(
            id=rule.id,
            clause=rule.clause,
            reading=rule.reading,
            head=rule.head,
            body=tuple(body),
            given=rule.given,
        )
        return evaluation_order(flat, self.inputs, self.recursive_group(rule.head.predicate))

    def _splice(self, body: list[Literal], fresh: Iterator[int]) -> Iterator[Literal]:
        for literal in body:
            if isinstance(literal, Atom) and literal.predicate in self.unfoldable:
                callee = self.rules.rules_for(literal.predicate)[0]
                inner = renamed_body(callee, self.body_order[callee.id], literal, fresh)
                if inner is not None:
                    yield from inner
                    continue
            yield literal

    def _body_part(self, part: Literal | Lookup, rule_id: str, position: int) -> object:
        """The engine literal of one part of a body; a fused lookup's resolver is registered."""
        if isinstance(part, Lookup):
            _register(part.name, len(part.variables), _lookup_resolver(part))
            return pyEngine.Literal(part.name, [_term(v) for v in part.variables])
        return self._literal(part, rule_id, position)

    def _assert_bridges(self) -> None:
        """``i:p(X…) :- e:p(X…)`` for each derived predicate that also has base facts (and is
        not answered from its table)."""
        for name, arity in self.derived.items():
            if name in self.base_predicates and name not in self.materialized:
                variables = [pyEngine.Var(f"X{i}") for i in range(arity)]
                bridge = pyEngine.Literal(_BASE + name, variables)
                head = pyEngine.Literal(_DERIVED + name, list(variables))
                pyEngine.assert_(pyEngine.Clause(head, [bridge]))

    def stored_predicates(self) -> frozenset[str]:
        """Predicates answered straight from the store: base facts, tables and slices."""
        base = set(self.base_predicates) - (set(self.derived) - self.materialized)
        slices = {piece.atom.predicate for piece in self.slices.values()}
        return frozenset(base | self.materialized | slices)

    def internal_name(self, predicate: str) -> str:
        if predicate in self.derived and predicate not in self.materialized:
            return _DERIVED + predicate
        if predicate in self.builtins:
            return _BUILTIN + predicate
        return _BASE + predicate

    def _atom(self, atom: Atom, negated: bool = False) -> object:
        name = ("~" if negated else "") + self.internal_name(atom.predicate)
        return pyEngine.Literal(name, [_term(t) for t in atom.terms])

    def _literal(self, literal: Literal, rule_id: str, position: int) -> object:
        if isinstance(literal, Negation):
            return self._negation(literal.atom, f"{rule_id}#{position}")
        if isinstance(literal, Comparison):
            name = _COMPARE + _COMPARE_NAMES[literal.operator]
            return pyEngine.Literal(name, [_term(literal.left), _term(literal.right)])
        return self._atom(literal)

    def _negation(self, atom: Atom, name: str) -> object:
        """``not p(X, _)``: pyDatalog negates only bound literals, so the "any value" positions
        are projected away by a hidden rule ``n:name(X) :- p(X, _)`` and that is negated."""
        kept = [t for t in atom.terms if not (isinstance(t, Var) and is_anonymous(t))]
        if len(kept) == len(atom.terms):
            return self._atom(atom, negated=True)
        projection = pyEngine.Literal(_HIDDEN + name, [_term(t) for t in kept])
        pyEngine.assert_(pyEngine.Clause(projection, [self._atom(atom)]))
        return pyEngine.Literal("~" + _HIDDEN + name, [_term(t) for t in kept])


def _solve(question: object) -> list[Row] | bool:
    """``question.ask()``: pyDatalog's own loop (``pyEngine.Literal.ask``), run here so that the
    question's subgoals are released once it is answered.

    Subgoals refer to one another (waiters, pending tasks, completions), so left as pyDatalog
    leaves them they are freed only by the cyclic garbage collector (hundreds of objects a
    question); emptied here, reference counting frees them. The thread's engine state is
    restored whatever the answer (pyDatalog keeps a true question's until the next one).
    """
    logic = Logic.tl.logic
    saved = logic.Tasks, logic.Recursive_Tasks, logic.Recursive, logic.Subgoals, logic.Goal
    goal = pyEngine.Subgoal(question)
    subgoals: dict[object, object] = {}
    logic.Tasks, logic.Recursive_Tasks = pyEngine.TaskList(), pyEngine.TaskDeque()
    logic.Subgoals, logic.Goal, logic.gc_uncollected, logic.Recursive = subgoals, goal, True, False
    try:
        todo, arguments = pyEngine.SEARCH, (goal,)
        while todo is not None:
            step = todo(*arguments)
            if step is None:
                break
            todo, arguments = step
        facts = goal.facts
        if facts is True:
            return True
        if not isinstance(facts, dict):
            return []
        return [tuple(t.id for t in fact.terms) for fact in facts.values()]
    finally:
        logic.Tasks, logic.Recursive_Tasks, logic.Recursive, logic.Subgoals, logic.Goal = saved
        _release(goal, *subgoals.values())


def _release(*subgoals: object) -> None:
    """Empty what links ``subgoals`` to one another and to themselves."""
    for subgoal in subgoals:
        subgoal.waiters.clear()  # type: ignore[attr-defined]
        subgoal.tasks.clear()  # type: ignore[attr-defined]
        subgoal.clauses.clear()  # type: ignore[attr-defined]
        subgoal.on_completion_.clear()  # type: ignore[attr-defined]


def _term(term: Var | Const) -> object:
    if isinstance(term, Var):
        return pyEngine.Var(term.name)
    return pyEngine.Const(term.value)


def _pattern(terms: Sequence[object]) -> Pattern:
    return tuple([t.id if t.is_const() else None for t in terms])  # type: ignore[attr-defined]


def _base_resolver(name: str) -> object:
    def resolve(*terms: object) -> list[list[object]]:
        store: FactStore = _thread.store
        return [_constants(row) for row in store.rows(name, _pattern(terms))]

    return resolve


def _builtin_resolver(builtin: Builtin) -> object:
    def resolve(*terms: object) -> Iterator[list[object]]:
        for row in builtin.solve(_pattern(terms)):
            yield _constants(row)

    return resolve


def _constants(row: Row) -> list[object]:
    """The row as pyDatalog constants, equal values as one object.

    pyDatalog matches a repeated variable (``s(X, P, P)``) by comparing constant objects by
    identity, so two equal values must be the same ``Const``.
    """
    made: dict[tuple[type, object], object] = {}
    return [made.setdefault((type(v), v), pyEngine.Const(v)) for v in row]


def _lookup_resolver(lookup: Lookup) -> object:
    names = [v.name for v in lookup.variables]

    def resolve(*terms: object) -> list[list[object]]:
        store: FactStore = _thread.store
        start = {n: v for n, v in zip(names, _pattern(terms), strict=True) if v is not None}
        return [
            _constants(tuple(env[n] for n in names)) for env in _join(lookup.literals, start, store)
        ]

    return resolve


def _join(literals: tuple[Literal, ...], env: Env, store: FactStore) -> list[Env]:
    """Every extension of ``env`` under which all ``literals`` hold in ``store``, in the order
    a depth-first search finds them."""
    found = [env]
    for literal in literals:
        found = [extended for known in found for extended in _solutions(literal, known, store)]
        if not found:
            break
    return found


def _solutions(literal: Literal, env: Env, store: FactStore) -> list[Env]:
    """Every extension of ``env`` under which the one condition ``literal`` holds in ``store``."""
    if isinstance(literal, Comparison):
        return list(comparison_solutions(literal, env))
    if isinstance(literal, Negation):
        atom = literal.atom
        return [] if store.holds(atom.predicate, pattern_of(atom.terms, env)) else [env]
    terms = literal.terms
    rows = store.rows(literal.predicate, pattern_of(terms, env))
    return [bound for row in rows if (bound := bind(terms, row, env)) is not None]


def _register(name: str, arity: int, resolver: object) -> None:
    key = f"{name}/{arity}"
    if key in _registered:
        return
    with _register_lock:
        pyEngine.Python_resolvers[key] = resolver
        _registered.add(key)
