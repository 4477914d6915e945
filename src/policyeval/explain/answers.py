"""The rows of a condition, as the engine would give them, found without it where that is
cheaper.

Proofs and why-not ask many small questions: the solutions of a derived condition with some
arguments open, or whether a negated one holds. Each question to pyDatalog costs a fixed 40–100 µs
before any work (a fresh subgoal table), more than the work itself here. So the rows of a derived
predicate that is neither tabled nor recursive are found by walking its rules in Python, over the
same store, built-ins and bindings the engine uses, and kept (for the knowledge base, in its
:class:`~policyeval.explain.kept_rows.KeptRows`, else for the question): a sub-question asked by
the decision's walk, the proof, then the why-not, is answered once. Recursive predicates (which
need the engine's tabling to terminate) and everything stored are asked as before, and kept
likewise.

Each derived row keeps its *witness*: the rule and the body instance that first gave it. Rows
are walked in value order at every step, so that is the instance a proof searching the row's
rules would find first (:class:`~policyeval.explain.proof.Prover` builds its proof from it
instead of searching again). A ground condition of a walked predicate is only asked whether it
holds: its walk stops at the first row, whose witness is the one a full walk would keep.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from weakref import WeakKeyDictionary

from policyeval.engine import budget
from policyeval.engine.bindings import Env, bind_pattern, comparison_solutions, pattern_of
from policyeval.engine.builtins import COMPARISONS, Pattern, Row
from policyeval.engine.pydatalog import CompiledProgram
from policyeval.engine.store import FactStore
from policyeval.explain.kept_rows import KeptRows, Witness
from policyeval.language.syntax import (
    Atom,
    Comparison,
    Const,
    Literal,
    Negation,
    Rule,
    Term,
    Var,
    row_order,
)

_Key = tuple[str, Pattern]


Body = tuple[Rule, tuple[Literal, ...], tuple[str, ...] | None]
"""A rule, its body in evaluation order, and its head's variable names when they are all
distinct variables (bound from a pattern without :func:`bind_pattern`)."""


class _Walks:
    """What walking one program's rules reads that no question changes: the predicates whose
    rows are found by walking their rules, and each one's rules (kept per program)."""

    __slots__ = ("_bodies", "_program", "walked")

    def __init__(self, program: CompiledProgram) -> None:
        self._program = program
        walked = frozenset(program.derived) - program.materialized - program.recursive
        self.walked = walked - program.never_holds
        self._bodies: dict[str, tuple[Body, ...]] = {}

    def bodies(self, predicate: str) -> tuple[Body, ...]:
        """The rules of ``predicate`` in file order, each with its walked body."""
        found = self._bodies.get(predicate)
        if found is None:
            program = self._program
            found = self._bodies[predicate] = tuple(
                (rule, program.explain_order[rule.id], _head_names(rule))
                for rule in program.rules.rules_for(predicate)
            )
        return found


_WALKS: WeakKeyDictionary[CompiledProgram, _Walks] = WeakKeyDictionary()


def _walks(program: CompiledProgram) -> _Walks:
    """The walks of ``program``, kept while it lives."""
    walks = _WALKS.get(program)
    if walks is None:
        walks = _WALKS[program] = _Walks(program)
    return walks


def bind_head(body: Body, pattern: Pattern) -> Env | None:
    """The bindings under which the head of ``body``'s rule matches ``pattern``, as
    :func:`bind_pattern` gives them; ``None`` when it cannot."""
    rule, _, names = body
    if names is None:
        return bind_pattern(rule.head.terms, pattern)
    return {name: value for name, value in zip(names, pattern, strict=True) if value is not None}


def _head_names(rule: Rule) -> tuple[str, ...] | None:
    """The names of the head's terms when each is a variable of its own, else ``None``."""
    terms = rule.head.terms
    names = tuple(t.name for t in terms if isinstance(t, Var))
    return names if len(set(names)) == len(terms) else None


class _Unsafe(Exception):
    """A rule left a head argument unbound: the engine answers such a question."""


class Answers:
    """The rows of conditions under one program and store, kept in ``kept`` (the knowledge
    base's, when ``store`` is its own) or, without one, for this question only."""

    def __init__(
        self, program: CompiledProgram, store: FactStore, kept: KeptRows | None = None
    ) -> None:
        self.program = program
        self.store = store
        kept = (kept if kept is not None else KeptRows()).bounded()
        self._rows = kept.rows
        self._holds = kept.holds
        self._witnesses = kept.witnesses
        self._walks = _walks(program)
        self._walked = self._walks.walked

    def rows(self, predicate: str, pattern: Pattern) -> list[Row]:
        """Every row of ``predicate`` matching ``pattern`` (``None`` = any), in value order:
        explanations do not depend on the order the engine or an index returns rows in."""
        key = (predicate, pattern)
        found = self._rows.get(key)
        if found is None:
            if predicate in self._walked:
                found = self._derived_rows(predicate, pattern)
                self._holds[key] = bool(found)
            else:
                found = self.program.ask(predicate, pattern, self.store)
                if len(found) > 1:
                    found.sort(key=row_order)
            self._rows[key] = found
        return found

    def witness(self, predicate: str, row: Row) -> Witness | None:
        """The rule and body instance that first gave ``row`` of a walked predicate (in the
        order a proof searches), if it was found here."""
        return self._witnesses.get((predicate, row))

    def holds(self, predicate: str, pattern: Pattern) -> bool:
        """Whether some row of ``predicate`` matches ``pattern``: the first one found will do."""
        key = (predicate, pattern)
        if predicate not in self._walked:
            found = self._rows.get(key)
            return bool(found if found is not None else self.rows(predicate, pattern))
        known = self._holds.get(key)
        if known is None:
            try:
                known = next(self._derive(predicate, pattern), None) is not None
            except _Unsafe:
                known = bool(self.program.ask(predicate, pattern, self.store))
            self._holds[key] = known
        return known

    def answered(self) -> dict[_Key, bool]:
        """Every question found by the rules so far (kept for the knowledge base, when it has
        a :class:`KeptRows`), and whether some row matched."""
        return self._holds.copy()

    def walked(self, predicate: str) -> bool:
        """Whether rows of ``predicate`` are found here by its rules rather than asked."""
        return predicate in self._walked

    def _derived_rows(self, predicate: str, pattern: Pattern) -> list[Row]:
        try:
            rows = list(dict.fromkeys(self._derive(predicate, pattern)))
        except _Unsafe:
            return self.program.ask(predicate, pattern, self.store)
        return sorted(rows, key=row_order) if len(rows) > 1 else rows

    def _derive(self, predicate: str, pattern: Pattern) -> Iterator[Row]:
        """The rows of ``predicate`` matching ``pattern``: its own facts, then each rule's."""
        if predicate in self.program.base_predicates:
            yield from self.store.rows(predicate, pattern)
        for body in self._walks.bodies(predicate):
            yield from self._rule_rows(body, pattern)

    def bodies(self, predicate: str) -> tuple[Body, ...]:
        """The rules of ``predicate`` in file order, each with its body as walked."""
        return self._walks.bodies(predicate)

    def _rule_rows(self, body: Body, pattern: Pattern) -> Iterator[Row]:
        env = bind_head(body, pattern)
        if env is None:
            return
        rule, conditions, _ = body
        head = rule.head.terms
        predicate = rule.head.predicate
        witnesses = self._witnesses
        for solution in self.solutions(conditions, env):
            pattern_row = pattern_of(head, solution)
            if None in pattern_row:
                raise _Unsafe(rule.id)
            row: Row = pattern_row  # type: ignore[assignment]
            if (predicate, row) not in witnesses:
                witnesses[(predicate, row)] = (rule, solution)
            yield row

    def solutions(self, body: tuple[Literal, ...], env: Env, index: int = 0) -> Iterator[Env]:
        """Every extension of ``env`` under which ``body[index:]`` holds, depth first in row
        order (one stack of steps, not a generator per condition)."""
        end = len(body)
        if index == end:
            yield env
            return
        budget.check()
        stack = [iter(self._step(body[index], env))]
        while stack:
            extended = next(stack[-1], None)
            if extended is None:
                stack.pop()
            elif index + len(stack) == end:
                yield extended
            else:
                budget.check()
                stack.append(iter(self._step(body[index + len(stack)], extended)))

    def _step(self, literal: Literal, env: Env) -> Iterable[Env]:
        """Every extension of ``env`` under which the one condition ``literal`` holds."""
        if isinstance(literal, Atom):
            return self.extensions(literal, env)
        if isinstance(literal, Negation):
            atom = literal.atom
            return () if self.holds(atom.predicate, pattern_of(atom.terms, env)) else (env,)
        return compared(literal, env)

    def extensions(self, atom: Atom, env: Env) -> list[Env]:
        """``env`` extended by each row of ``atom`` under it. The rows match the pattern asked,
        so only its open positions are bound (a variable open twice must agree). A ground
        condition of a walked predicate needs only whether it holds (its rows are distinct):
        the walk stops at its first row."""
        predicate = atom.predicate
        pattern = pattern_of(atom.terms, env)
        if None not in pattern:
            if predicate in self._walked:
                return [env] if self.holds(predicate, pattern) else []
            return [env] * len(self.rows(predicate, pattern))
        return _extended(env, atom.terms, pattern, self.rows(predicate, pattern))


def compared(comparison: Comparison, env: Env) -> Iterable[Env]:
    """The extensions of ``env`` under which ``comparison`` holds: ``env`` itself when both
    sides are bound (there is nothing to bind), else as the engine binds them."""
    left, right = comparison.left, comparison.right
    pattern = (
        left.value if type(left) is Const else env.get(left.name),  # type: ignore[union-attr]
        right.value if type(right) is Const else env.get(right.name),  # type: ignore[union-attr]
    )
    if None in pattern:
        return comparison_solutions(comparison, env)
    holds = next(iter(COMPARISONS[comparison.operator].solve(pattern)), None) is not None
    return (env,) if holds else ()


def _extended(env: Env, terms: tuple[Term, ...], pattern: Pattern, rows: list[Row]) -> list[Env]:
    """``env`` extended by each of ``rows`` at the positions ``pattern`` leaves open."""
    if not rows:
        return []
    open_ = [(i, t.name) for i, t in enumerate(terms) if pattern[i] is None]  # type: ignore[union-attr]
    found = []
    for row in rows:
        extended = dict(env)
        for i, name in open_:
            value = row[i]
            known = extended.get(name)
            if known is None:
                extended[name] = value
            elif type(known) is not type(value) or known != value:
                break
        else:
            found.append(extended)
    return found
