"""The solutions of one condition under the bindings of a rule's variables.

Proofs and why-not both walk a rule's body condition by condition; this is the step they share.
Every lookup goes through the compiled program, so they see exactly what the engine sees.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

from policyeval.bindings import Env, bind, pattern_of, value_of
from policyeval.builtin_predicates import Row
from policyeval.engine import CompiledProgram
from policyeval.explanations import render_value
from policyeval.store import FactStore
from policyeval.syntax import Atom, Comparison, Literal, Negation, Value


def atom_solutions(
    program: CompiledProgram, store: FactStore, atom: Atom, env: Env
) -> Iterator[tuple[Env, Row]]:
    """Every extension of ``env`` under which ``atom`` holds, with the matching row, in value
    order: explanations do not depend on the order the engine or an index returns rows in."""
    rows = program.ask(atom.predicate, pattern_of(atom.terms, env), store)
    for row in sorted(rows, key=row_order) if len(rows) > 1 else rows:
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


def row_order(row: Sequence[Value]) -> tuple[tuple[str, str], ...]:
    """A total order on rows of mixed value types: integers, then text, then dates.

    >>> sorted([("b",), (10,), (2,), ("a",)], key=row_order)
    [(2,), (10,), ('a',), ('b',)]
    """
    return tuple(_value_order(v) for v in row)


def _value_order(value: Value) -> tuple[str, str]:
    if isinstance(value, dt.date):
        return ("3", value.isoformat())
    if isinstance(value, int):
        return ("1", f"{value:+021d}")
    return ("2", value)
