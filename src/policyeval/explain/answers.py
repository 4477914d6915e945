"""The rows of a condition for one question, as the engine would give them, found without it
where that is cheaper.

Proofs and why-not ask many small questions: the solutions of a derived condition with some
arguments open, or whether a negated one holds. Each question to pyDatalog costs a fixed 40–100 µs
before any work (a fresh subgoal table), more than the work itself here. So the rows of a derived
predicate that is neither tabled nor recursive are found by walking its rules in Python, over the
same store, built-ins and bindings the engine uses, and kept for the rest of the question: a
sub-question asked by the proof, then by the why-not, is answered once. Recursive predicates
(which need the engine's tabling to terminate) and everything stored are asked as before.
"""

from __future__ import annotations

from collections.abc import Iterator

from policyeval.engine import budget
from policyeval.engine.bindings import Env, bind, bind_pattern, comparison_solutions, pattern_of
from policyeval.engine.builtins import Pattern, Row
from policyeval.engine.pydatalog import CompiledProgram
from policyeval.engine.store import FactStore
from policyeval.language.syntax import Atom, Comparison, Literal, Negation, Rule, row_order

_Key = tuple[str, Pattern]


class _Unsafe(Exception):
    """A rule left a head argument unbound: the engine answers such a question."""


class Answers:
    """The rows of conditions under one program and store, kept for one question."""

    def __init__(self, program: CompiledProgram, store: FactStore) -> None:
        self.program = program
        self.store = store
        self._rows: dict[_Key, list[Row]] = {}
        self._holds: dict[_Key, bool] = {}

    def rows(self, predicate: str, pattern: Pattern) -> list[Row]:
        """Every row of ``predicate`` matching ``pattern`` (``None`` = any), in value order:
        explanations do not depend on the order the engine or an index returns rows in."""
        if not self.walked(predicate):
            rows = self.program.ask(predicate, pattern, self.store)
            return sorted(rows, key=row_order) if len(rows) > 1 else rows
        key = (predicate, pattern)
        found = self._rows.get(key)
        if found is None:
            found = self._derived_rows(predicate, pattern)
            self._rows[key] = found
            self._holds[key] = bool(found)
        return found

    def holds(self, predicate: str, pattern: Pattern) -> bool:
        """Whether some row of ``predicate`` matches ``pattern``: the first one found will do."""
        if not self.walked(predicate):
            return bool(self.program.ask(predicate, pattern, self.store))
        key = (predicate, pattern)
        known = self._holds.get(key)
        if known is None:
            try:
                known = next(self._derive(predicate, pattern), None) is not None
            except _Unsafe:
                known = bool(self.program.ask(predicate, pattern, self.store))
            self._holds[key] = known
        return known

    def answered(self) -> dict[_Key, bool]:
        """Every question found here by the rules so far, and whether some row matched."""
        return dict(self._holds)

    def walked(self, predicate: str) -> bool:
        """Whether rows of ``predicate`` are found here by its rules rather than asked."""
        program = self.program
        return (
            predicate in program.derived
            and predicate not in program.materialized
            and predicate not in program.recursive
            and predicate not in program.never_holds
        )

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
        for solution in self.solutions(self.program.explain_order[rule.id], env):
            row = pattern_of(rule.head.terms, solution)
            if None in row:
                raise _Unsafe(rule.id)
            yield row  # type: ignore[misc]

    def solutions(self, body: tuple[Literal, ...], env: Env, index: int = 0) -> Iterator[Env]:
        """Every extension of ``env`` under which ``body[index:]`` holds (in no set order)."""
        if index == len(body):
            yield env
            return
        budget.check()
        for extended in self._step(body[index], env):
            yield from self.solutions(body, extended, index + 1)

    def _step(self, literal: Literal, env: Env) -> Iterator[Env]:
        """Every extension of ``env`` under which the one condition ``literal`` holds."""
        if isinstance(literal, Comparison):
            return comparison_solutions(literal, env)
        if isinstance(literal, Negation):
            atom = literal.atom
            held = self.holds(atom.predicate, pattern_of(atom.terms, env))
            return iter(()) if held else iter((env,))
        return self._atom_step(literal, env)

    def _atom_step(self, atom: Atom, env: Env) -> Iterator[Env]:
        pattern = pattern_of(atom.terms, env)
        predicate = atom.predicate
        if self.walked(predicate):
            rows = self.rows(predicate, pattern)
        else:
            rows = self.program.ask(predicate, pattern, self.store)
        for row in rows:
            extended = bind(atom.terms, row, env)
            if extended is not None:
                yield extended
