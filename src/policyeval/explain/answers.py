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
instead of searching again).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from weakref import WeakKeyDictionary

from policyeval.engine import budget
from policyeval.engine.bindings import Env, bind_pattern, comparison_solutions
from policyeval.engine.builtins import Pattern, Row
from policyeval.engine.pydatalog import CompiledProgram
from policyeval.engine.store import FactStore
from policyeval.explain.kept_rows import KeptRows, Witness
from policyeval.language.syntax import (
    Atom,
    Const,
    Literal,
    Negation,
    Rule,
    Term,
    row_order,
)

_Key = tuple[str, Pattern]


_WALKED: WeakKeyDictionary[CompiledProgram, frozenset[str]] = WeakKeyDictionary()
"""Per program, the predicates whose rows are found by walking their rules."""


def _walked(program: CompiledProgram) -> frozenset[str]:
    """The predicates of ``program`` whose rows are found by walking their rules (kept)."""
    walked = _WALKED.get(program)
    if walked is None:
        walked = frozenset(program.derived) - program.materialized - program.recursive
        walked -= program.never_holds
        _WALKED[program] = walked
    return walked


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
        self._walked = _walked(program)

    def rows(self, predicate: str, pattern: Pattern) -> list[Row]:
        """Every row of ``predicate`` matching ``pattern`` (``None`` = any), in value order:
        explanations do not depend on the order the engine or an index returns rows in."""
        key = (predicate, pattern)
        found = self._rows.get(key)
        if found is None:
            if self.walked(predicate):
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
        if not self.walked(predicate):
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
            yield from (row for row, _ in self.store.match(predicate, pattern))
        for rule in self.program.rules.rules_for(predicate):
            yield from self._rule_rows(rule, pattern)

    def _rule_rows(self, rule: Rule, pattern: Pattern) -> Iterator[Row]:
        env = bind_pattern(rule.head.terms, pattern)
        if env is None:
            return
        predicate = rule.head.predicate
        witnesses = self._witnesses
        for solution in self.solutions(self.program.explain_order[rule.id], env):
            pattern_row = pattern_under(rule.head.terms, solution)
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
            return () if self.holds(atom.predicate, pattern_under(atom.terms, env)) else (env,)
        return comparison_solutions(literal, env)

    def extensions(self, atom: Atom, env: Env) -> list[Env]:
        """``env`` extended by each row of ``atom`` under it. The rows match the pattern asked,
        so only its open positions are bound (a variable open twice must agree)."""
        terms = atom.terms
        pattern = pattern_under(terms, env)
        rows = self.rows(atom.predicate, pattern)
        if not rows:
            return []
        open_ = [(i, t.name) for i, t in enumerate(terms) if pattern[i] is None]  # type: ignore[union-attr]
        if not open_:
            return [env] * len(rows)
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


def pattern_under(terms: tuple[Term, ...], env: Env) -> Pattern:
    """The values of ``terms`` under ``env`` (``None`` for an unbound variable): as
    :func:`~policyeval.engine.bindings.pattern_of`, without a call per term."""
    return tuple([t.value if type(t) is Const else env.get(t.name) for t in terms])  # type: ignore[union-attr]
