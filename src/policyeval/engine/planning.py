"""Planning a rule body for the engine: the order its conditions are evaluated in, and the runs
of conditions the store alone answers, fused into one lookup.

Planning changes the cost of a question, never its answer; proofs and why-not walk the rules as
written (:mod:`policyeval.explain`).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass

from policyeval.language.syntax import (
    Atom,
    Comparison,
    Const,
    Literal,
    Negation,
    Rule,
    Term,
    Var,
    is_anonymous,
)

__all__ = ["LOOKUP_PREFIX", "Lookup", "evaluation_order", "fuse_lookups", "renamed_body"]

LOOKUP_PREFIX = "j:"
"""The engine-internal name prefix of a fused lookup."""


@dataclass(frozen=True, slots=True)
class Lookup:
    """Consecutive conditions answered from the store alone (stored atoms, comparisons and
    negated stored atoms), fused into one engine literal over their named variables.

    pyDatalog pays a subgoal for every literal; a run of index lookups costs one this way, and
    is joined in Python over the same indexes. The name is made from the conditions' text, so
    programs that fuse the same run share its resolver (resolvers are process-global).
    """

    literals: tuple[Literal, ...]
    variables: tuple[Var, ...]

    @property
    def name(self) -> str:
        text = ", ".join(str(lit) for lit in self.literals)
        return LOOKUP_PREFIX + hashlib.sha1(text.encode()).hexdigest()[:16]


def fuse_lookups(body: Sequence[Literal], stored: frozenset[str]) -> list[Literal | Lookup]:
    """``body`` with every run of two or more conditions the store alone answers fused."""
    parts: list[Literal | Lookup] = []
    for answered, group in itertools.groupby(body, key=lambda lit: _from_store(lit, stored)):
        run = list(group)
        parts.extend(_fused(run) if answered else run)
    return parts


def _from_store(literal: Literal, stored: frozenset[str]) -> bool:
    """Whether the store alone answers ``literal``: a comparison, or a ``stored`` atom (negated
    or not)."""
    if isinstance(literal, Comparison):
        return True
    atom = literal.atom if isinstance(literal, Negation) else literal
    return atom.predicate in stored


def _fused(run: list[Literal]) -> list[Literal | Lookup]:
    """A run of conditions the store answers, from its first atom on fused into one lookup when
    that leaves two or more (the tests before the atom only read what is bound already)."""
    start = next((i for i, lit in enumerate(run) if isinstance(lit, Atom)), len(run))
    fused = run[start:]
    if len(fused) < 2:
        return list(run)
    names = dict.fromkeys(v.name for lit in fused for v in lit.variables() if not is_anonymous(v))
    return [*run[:start], Lookup(tuple(fused), tuple(Var(name) for name in names))]


def evaluation_order(
    rule: Rule,
    inputs: Mapping[str, tuple[int, ...]],
    recursive: Collection[str] = frozenset(),
) -> tuple[Literal, ...]:
    """The body in the order it is evaluated: atoms as written, each once the arguments it needs
    bound are (``inputs``: builtins and ``@given`` predicates), every negation and comparison as
    soon as its variables are bound.

    Atoms of predicates ``recursive`` with the head go first (left recursion): pyDatalog 0.22.4
    does not terminate on right recursion over a cycle of three or more facts (an ownership
    ring, say), and does on the left-recursive form. The rule text keeps the lawyer's order.
    """

    bound = set(rule.given)
    ordered: list[Literal] = []
    waiting = list(rule.body)

    def ready(literal: Literal) -> bool:
        names = {v.name for v in literal.variables()}
        if isinstance(literal, Comparison):
            return comparison_ready(literal, bound)
        if isinstance(literal, Negation):
            return names <= bound
        needed = [literal.terms[i] for i in inputs.get(literal.predicate, ()) if i < literal.arity]
        return all(not isinstance(t, Var) or t.name in bound for t in needed)

    while waiting:
        test = next((lit for lit in waiting if not isinstance(lit, Atom) and ready(lit)), None)
        atoms = [lit for lit in waiting if isinstance(lit, Atom) and ready(lit)]
        loop = next((lit for lit in atoms if lit.predicate in recursive), None)
        chosen = test or loop or next(iter(atoms), None) or waiting[0]
        ordered.append(chosen)
        waiting.remove(chosen)
        bound.update(v.name for v in chosen.variables())
    return tuple(ordered)


def renamed_body(
    rule: Rule, body: Sequence[Literal], call: Atom, fresh: Iterator[int]
) -> tuple[Literal, ...] | None:
    """``body`` (of ``rule``) as it reads where ``call`` asks the rule's head: head variables
    replaced by the call's terms, every other variable renamed apart (``fresh`` numbers them).
    ``None`` when the head is not distinct variables, the one shape unfolded."""
    head = rule.head.terms
    if not all(isinstance(t, Var) for t in head) or len(set(head)) != len(head):
        return None
    renaming = _Renaming({}, fresh)
    for variable, argument in zip(head, call.terms, strict=True):
        # An anonymous argument ("any value") must stay one value inside the body: in a
        # negated condition there an anonymous variable would mean any value again.
        named = isinstance(argument, Var) and is_anonymous(argument)
        value = Var(f"Any'{next(fresh)}") if named else argument
        renaming.mapping[variable.name] = value  # type: ignore[union-attr]
    return tuple(renaming.literal(lit) for lit in body)


@dataclass
class _Renaming:
    """Variable name → the term it becomes; unseen variables get fresh names."""

    mapping: dict[str, Term]
    fresh: Iterator[int]

    def term(self, term: Term) -> Term:
        if isinstance(term, Const):
            return term
        if term.name not in self.mapping:
            number = next(self.fresh)
            name = f"_{number}" if is_anonymous(term) else f"{term.name}'{number}"
            self.mapping[term.name] = Var(name)
        return self.mapping[term.name]

    def atom(self, atom: Atom) -> Atom:
        return Atom(atom.predicate, tuple(self.term(t) for t in atom.terms), atom.location)

    def literal(self, literal: Literal) -> Literal:
        if isinstance(literal, Negation):
            return Negation(self.atom(literal.atom))
        if isinstance(literal, Comparison):
            return Comparison(literal.operator, self.term(literal.left), self.term(literal.right))
        return self.atom(literal)


def comparison_ready(comparison: Comparison, bound: Collection[str]) -> bool:
    """Whether ``comparison`` can be evaluated once the variables ``bound`` are: all of its
    variables bound, or for ``=`` one side a variable it gives the other side's value to
    (``X = X`` waits until ``X`` is bound: it can give ``X`` no value).

    >>> from policyeval.language.syntax import Const
    >>> same, two = Comparison("=", Var("X"), Var("X")), Comparison("=", Var("X"), Const(2))
    >>> comparison_ready(same, ()), comparison_ready(same, {"X"}), comparison_ready(two, ())
    (False, True, True)
    """
    unbound = {v.name for v in comparison.variables()} - set(bound)
    if not unbound:
        return True
    if comparison.operator != "=" or len(unbound) != 1:
        return False
    sides = (comparison.left, comparison.right)
    return sum(isinstance(side, Var) and side.name in unbound for side in sides) == 1
