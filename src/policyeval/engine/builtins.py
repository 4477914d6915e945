"""Built-in predicates: the few conditions Datalog cannot state, written in Python.

These are the generic ones (comparisons, ``add_days``); a policy package adds its own (the
decree's calendar: :mod:`policyeval.decree743.builtins`) and hands the whole set to the
compiler. Each built-in documents itself, says which arguments must be bound before it is
called, and answers a pattern (``None`` = unbound) with the rows that hold. They appear in
proofs as leaves.

A value outside a built-in's domain (a date the calendar does not know, a period that would end
after 9999-12-31, a count too large) raises :class:`~policyeval.errors.OutOfRangeError`
(:func:`out_of_range`) naming the call and the value, rather than answering no row: no row would
read as "not established" in a why-not, blaming the facts for what is a bad input. Stored facts
that would feed one such value are refused when they are loaded, so only a question (its
arguments, its assumed facts) can reach the error, and it is reported as a malformed question.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from policyeval.errors import OutOfRangeError
from policyeval.language.syntax import Value, format_value

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


def out_of_range(
    builtin: str, parameters: Sequence[str], pattern: Pattern, why: str
) -> OutOfRangeError:
    """The error of a call given a value outside its domain, naming the call and why.

    >>> str(out_of_range("add_days", ("Start", "Days", "End"), (dt.date.max, 1, None), "too late"))
    '`add_days(9999-12-31, 1, End)`: too late'
    """
    args = ", ".join(
        name if value is None else format_value(value)
        for name, value in zip(parameters, pattern, strict=True)
    )
    return OutOfRangeError(f"`{builtin}({args})`: {why}")


_ADD_DAYS = ("Start", "Days", "End")


def _add_days(pattern: Pattern) -> Iterator[Row]:
    start, days, _ = pattern
    if isinstance(start, dt.date) and isinstance(days, int):
        try:
            end = start + dt.timedelta(days=days)
        except OverflowError:
            why = f"the end would fall outside {dt.date.min} to {dt.date.max}"
            raise out_of_range("add_days", _ADD_DAYS, pattern, why) from None
        if pattern[2] is None or pattern[2] == end:
            yield (start, days, end)


BUILTINS: dict[str, Builtin] = {
    b.name: b
    for b in (
        Builtin(
            "add_days",
            _ADD_DAYS,
            (0, 1),
            "`End` is `Days` calendar days after `Start`.",
            _add_days,
        ),
    )
}
