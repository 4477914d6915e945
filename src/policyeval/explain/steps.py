"""The solutions of one condition under the bindings of a rule's variables.

Proofs and why-not both walk a rule's body condition by condition; this is the step they share.
Every lookup goes through one question's :class:`~policyeval.explain.answers.Answers`, so they see
exactly what the engine sees.
"""

from __future__ import annotations

from collections.abc import Iterator

from policyeval.engine.bindings import Env, bind, pattern_of, value_of
from policyeval.engine.builtins import Row
from policyeval.explain.answers import Answers
from policyeval.explain.model import render_value
from policyeval.language.syntax import (
    Atom,
    Comparison,
    Literal,
    Negation,
)


def atom_solutions(answers: Answers, atom: Atom, env: Env) -> Iterator[tuple[Env, Row]]:
    """Every extension of ``env`` under which ``atom`` holds, with the matching row, in value
    order (:meth:`Answers.rows`)."""
    for row in answers.rows(atom.predicate, pattern_of(atom.terms, env)):
        extended = bind(atom.terms, row, env)
        if extended is not None:
            yield extended, row


def render_atom(atom: Atom, env: Env) -> str:
    """The atom with bound variables filled in and unbound ones shown as ``_``."""
    return f"{atom.predicate}({', '.join(render_value(v) for v in pattern_of(atom.terms, env))})"


def render_literal(literal: Literal, env: Env) -> str:
    if isinstance(literal, Negation):
        return "not " + render_atom(literal.atom, env)
    if isinstance(literal, Comparison):
        left, right = (value_of(t, env) for t in (literal.left, literal.right))
        return f"{render_value(left)} {literal.operator} {render_value(right)}"
    return render_atom(literal, env)
