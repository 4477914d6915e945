"""Built-in predicates: the few conditions Datalog cannot state, written in Python.

These are the generic ones (comparisons, ``add_days``); a policy package adds its own (the
decree's calendar: :mod:`policyeval.decree743.builtins`) and hands the whole set to the
compiler. Each built-in documents itself, says which arguments must be bound before it is
called, and answers a pattern (``None`` = unbound) with the rows that hold. They appear in
proofs as leaves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from policyeval.language.syntax import Value

Pattern = tuple[Value | None, ...]
Row = tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class Builtin:
    """A predicate answered by Python.

    ``inputs`` are the argument positions that must be bound when it is called; the checker and
    the compiler order conditions so that they are. ``describe``, when given, says what the
    built-in did for one row that holds (a period's skipped holidays); proofs show it.
    """

    name: str
    parameters: tuple[str, ...]
    inputs: tuple[int, ...]
    doc: str
    solve: Callable[[Pattern], Iterable[Row]]
    describe: Callable[[Row], str | None] | None = None

    @property
    def arity(self) -> int:
        return len(self.parameters)


def _compare(operator: str) -> Callable[[Pattern], Iterator[Row]]:
    tests: dict[str, Callable[[Value, Value], bool]] = {
        "!=": lambda a, b: a != b,
        "<": lambda a, b: a < b,  # type: ignore[operator]
        "<=": lambda a, b: a <= b,  # type: ignore[operator]
        ">": lambda a, b: a > b,  # type: ignore[operator]
        ">=": lambda a, b: a >= b,  # type: ignore[operator]
    }
    test = tests[operator]

    def solve(pattern: Pattern) -> Iterator[Row]:
        left, right = pattern
        if left is None or right is None or not comparable(left, right):
            return
        if test(left, right):
            yield (left, right)

    return solve


def _equals(pattern: Pattern) -> Iterator[Row]:
    left, right = pattern
    if left is None and right is None:
        return
    if left is None:
        yield (right, right)  # type: ignore[misc]
    elif right is None or (comparable(left, right) and left == right):
        yield (left, left)


def comparable(left: Value, right: Value) -> bool:
    """Values compare only within one type: dates with dates, numbers with numbers, text with text.

    >>> comparable(1, 2), comparable("a", dt.date(2026, 1, 1))
    (True, False)
    """
    return type(left) is type(right)


COMPARISONS: dict[str, Builtin] = {
    op: Builtin(op, ("Left", "Right"), (0, 1), f"`Left {op} Right`", _compare(op))
    for op in ("!=", "<", "<=", ">", ">=")
}
COMPARISONS["="] = Builtin(
    "=", ("Left", "Right"), (), "`Left = Right`; binds an unbound side", _equals
)


def _add_days(pattern: Pattern) -> Iterator[Row]:
    start, days, _ = pattern
    if isinstance(start, dt.date) and isinstance(days, int):
        end = start + dt.timedelta(days=days)
        if pattern[2] is None or pattern[2] == end:
            yield (start, days, end)


BUILTINS: dict[str, Builtin] = {
    b.name: b
    for b in (
        Builtin(
            "add_days",
            ("Start", "Days", "End"),
            (0, 1),
            "`End` is `Days` calendar days after `Start`.",
            _add_days,
        ),
    )
}
