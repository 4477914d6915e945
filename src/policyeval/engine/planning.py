"""Planning a rule body for the engine: the order its conditions are evaluated in, and the runs
of conditions the store alone answers, fused into one lookup.

Planning changes the cost of a question, never its answer; proofs and why-not walk the rules as
written (:mod:`policyeval.explain`).
"""

from __future__ import annotations

import functools
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

    The order is kept per body, what its atoms need bound and which are recursive (every
    program compiled from the same rules asks again): the rule's own conditions are returned.
    """
    body = rule.body
    needs = tuple(inputs.get(lit.predicate, ()) if isinstance(lit, Atom) else () for lit in body)
    loops = tuple(isinstance(lit, Atom) and lit.predicate in recursive for lit in body)
    return tuple(body[i] for i in _order(rule.given, body, needs, loops))


@functools.lru_cache(maxsize=4096)
def _order(
    given: tuple[str, ...],
    body: tuple[Literal, ...],
    needs: tuple[tuple[int, ...], ...],
    loops: tuple[bool, ...],
) -> tuple[int, ...]:
    """:func:`evaluation_order` as positions in ``body``: ``needs`` are the argument positions
    each atom needs bound, ``loops`` whether it is recursive with the head. It reads nothing
    but its arguments, and equal bodies (conditions compared without their places) are
    ordered alike."""
    bound = set(given)
    ordered: list[int] = []
    waiting = list(range(len(body)))

    def ready(i: int) -> bool:
        literal = body[i]
        if isinstance(literal, Comparison):
            return comparison_ready(literal, bound)
        if isinstance(literal, Negation):
            return all(v.name in bound for v in literal.variables())
        needed = [literal.terms[n] for n in needs[i] if n < literal.arity]
        return all(not isinstance(t, Var) or t.name in bound for t in needed)

    while waiting:
        test = next((i for i in waiting if not isinstance(body[i], Atom) and ready(i)), None)
        atoms = [i for i in waiting if isinstance(body[i], Atom) and ready(i)]
        loop = next((i for i in atoms if loops[i]), None)
        chosen = next(i for i in (test, loop, *atoms[:1], waiting[0]) if i is not None)
        ordered.append(chosen)
        waiting.remove(chosen)
        bound.update(v.name for v in body[chosen].variables())
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
