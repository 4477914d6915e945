"""Bindings of rule variables to values: reading a term under them, extending them to match a row.

Shared by the engine's fused lookups, proofs and why-not: all three bind the same way (a value
matches only a value of the same type: ``1`` is not ``True`` nor ``"1"``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from policyeval.engine.builtins import COMPARISONS, Pattern
from policyeval.language.syntax import Comparison, Const, Term, Value

Env = dict[str, Value]


def value_of(term: Term, env: Env) -> Value | None:
    """The term's value under ``env``; ``None`` when it is an unbound variable."""
    if isinstance(term, Const):
        return term.value
    return env.get(term.name)


def pattern_of(terms: Sequence[Term], env: Env) -> Pattern:
    """Each term's value under ``env`` (:func:`value_of`), ``None`` where it is unbound."""
    return tuple([t.value if isinstance(t, Const) else env.get(t.name) for t in terms])


def bind(terms: Sequence[Term], row: Sequence[Value], env: Env) -> Env | None:
    """``env`` extended so that ``terms`` equal ``row``; ``None`` when they cannot.

    >>> from policyeval.language.syntax import Var
    >>> bind([Var("X"), Const("a")], ["b", "a"], {})
    {'X': 'b'}
    >>> bind([Var("X"), Var("X")], ["b", "c"], {}) is None
    True
    """
    extended = dict(env)
    for term, value in zip(terms, row, strict=True):
        if isinstance(term, Const):
            if type(term.value) is not type(value) or term.value != value:
                return None
            continue
        known = extended.get(term.name)
        if known is None:
            extended[term.name] = value
        elif type(known) is not type(value) or known != value:
            return None
    return extended


def bind_pattern(terms: Sequence[Term], pattern: Pattern) -> Env | None:
    """The bindings under which ``terms`` match ``pattern`` where it gives a value (``None`` =
    any); ``None`` when they cannot.

    >>> from policyeval.language.syntax import Var
    >>> bind_pattern([Var("X"), Var("Y")], ("a", None))
    {'X': 'a'}
    """
    bound = [(t, v) for t, v in zip(terms, pattern, strict=True) if v is not None]
    return bind([t for t, _ in bound], [v for _, v in bound], {})


def comparison_solutions(comparison: Comparison, env: Env) -> Iterator[Env]:
    """``env`` (extended by ``=``) when the comparison holds."""
    pattern = (value_of(comparison.left, env), value_of(comparison.right, env))
    for row in COMPARISONS[comparison.operator].solve(pattern):
        extended = bind((comparison.left, comparison.right), row, env)
        if extended is not None:
            yield extended
