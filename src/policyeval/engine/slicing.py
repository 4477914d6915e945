"""The question-independent part of a rule that needs a question input, computed once.

``notice_given(C, E, A, S, D)`` needs the date ``D`` of the question, but most of its eleven
conditions do not mention it: which notice names the agreement, the customer and the secret,
when it was sent, to which security authority. Those conditions form the rule's *slice*; it is
computed as a hidden table when the fact base loads, and the rule is compiled onto the engine as
``slice(...)`` followed by the conditions that do need the question (``Day <= D``). One lookup
replaces eight subgoals per question. (The executor's city is left out of that slice: every
notice paired with every executor of its authority's city would be a table that multiplies.)

Only the compiled program changes: proofs and why-not still walk the rule as written, and the
rule files are untouched.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from policyeval.language.syntax import Atom, Comparison, Literal, Negation, Rule, Var, is_anonymous

SLICE_PREFIX = "slice:"


@dataclass(frozen=True, slots=True)
class Slice:
    """A rule's question-independent conditions (``body``) as one hidden table ``atom``, and
    the conditions left for each question (``rest``)."""

    rule: Rule
    atom: Atom
    body: tuple[Literal, ...]
    rest: tuple[Literal, ...]

    def table_rule(self) -> Rule:
        """The hidden rule whose relation is the slice's table."""
        return Rule(
            id=self.atom.predicate,
            clause=self.rule.clause,
            reading=f"the conditions of {self.rule.id} that do not depend on the question",
            head=self.atom,
            body=self.body,
        )

    def compiled_rule(self) -> Rule:
        """The rule as compiled: the slice where its first condition was written, the
        conditions that depend on the question around it in their written order."""
        members = {id(lit) for lit in self.body}
        first = next(i for i, lit in enumerate(self.rule.body) if id(lit) in members)
        before = sum(1 for lit in self.rule.body[:first] if id(lit) not in members)
        return Rule(
            id=self.rule.id,
            clause=self.rule.clause,
            reading=self.rule.reading,
            head=self.rule.head,
            body=(*self.rest[:before], self.atom, *self.rest[before:]),
            given=self.rule.given,
        )


def independent_atoms(rule: Rule, question_dependent: Collection[str]) -> list[Atom]:
    """The positive conditions of a rule with ``@given`` inputs that do not need the question:
    no input variable among their arguments, and a predicate that takes no question input
    (``question_dependent``: ``@given`` predicates and built-ins with inputs)."""
    if not rule.given:
        return []
    given = set(rule.given)
    return [
        lit
        for lit in rule.body
        if isinstance(lit, Atom)
        and lit.predicate not in question_dependent
        and not {v.name for v in lit.variables()} & given
    ]


def slice_of(
    rule: Rule, atoms: Sequence[Atom], question_dependent: Collection[str]
) -> Slice | None:
    """The slice made of ``atoms`` (independent conditions of ``rule``) and every comparison or
    negation they bind that does not need the question; ``None`` when that is fewer than two
    conditions."""
    given = set(rule.given)
    bound = {v.name for atom in atoms for v in atom.variables() if not is_anonymous(v)}
    tests: list[Literal] = [
        lit
        for lit in rule.body
        if isinstance(lit, (Comparison, Negation))
        and not {v.name for v in lit.variables()} & given
        and {v.name for v in lit.variables() if not is_anonymous(v)} <= bound
        and (not isinstance(lit, Negation) or lit.atom.predicate not in question_dependent)
    ]
    chosen = {id(lit) for lit in (*atoms, *tests)}
    body = tuple(lit for lit in rule.body if id(lit) in chosen)
    if len(body) < 2:
        return None
    rest = tuple(lit for lit in rule.body if id(lit) not in chosen)
    needed = {v.name for v in rule.head.variables()}
    needed |= {v.name for lit in rest for v in lit.variables()}
    kept = sorted(name for name in bound if name in needed)
    atom = Atom(SLICE_PREFIX + rule.id, tuple(Var(name) for name in kept))
    return Slice(rule, atom, body, rest)
