"""A time budget per evaluation, spent cooperatively.

pyDatalog cannot be interrupted from outside, but it calls Python for every base-fact lookup
(:meth:`~policyeval.engine.store.FactStore.match`, ``rows``, ``first``), and proofs, why-not
and repairs loop in Python: each calls :func:`check` at those points, which raises
:class:`~policyeval.errors.EvaluationTimeout` once the deadline set by :func:`deadline` has
passed. The deadline is a context variable: it is the current thread's (and task's), so an
evaluation never stops another one. An aborted question leaves the engine usable: pyDatalog's
tables are per question (each question starts with empty ones), and nothing shared is
written while a question is answered.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from policyeval.errors import EvaluationTimeout

__all__ = ["check", "deadline"]

_deadline: ContextVar[tuple[float, float] | None] = ContextVar("policyeval_deadline", default=None)
"""The monotonic time an evaluation must stop at, and the budget it was given (seconds)."""

clock = time.monotonic
"""The clock deadlines are read on (a test may replace it)."""


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Within the block, evaluations stop once ``seconds`` have passed (``None``: no budget;
    a nested deadline never extends the one around it)."""
    if seconds is None:
        yield
        return
    end = clock() + seconds
    outer = _deadline.get()
    if outer is not None and outer[0] < end:
        end, seconds = outer
    token = _deadline.set((end, seconds))
    try:
        yield
    finally:
        _deadline.reset(token)


def check() -> None:
    """Raise :class:`~policyeval.errors.EvaluationTimeout` when the current deadline is past.

    >>> with deadline(0):
    ...     check()
    Traceback (most recent call last):
    ...
    policyeval.errors.EvaluationTimeout: the evaluation was stopped at its time budget, 0 s
    >>> check()  # no deadline: never
    """
    current = _deadline.get()
    if current is not None and clock() >= current[0]:
        raise EvaluationTimeout(f"the evaluation was stopped at its time budget, {current[1]:g} s")
