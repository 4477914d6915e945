"""SQL both backends share: the columns read, and a search's ``WHERE`` from its filters."""

from __future__ import annotations

from dataclasses import dataclass

from policyeval.decision_log.entries import CONTENT, DecisionFilter

__all__ = ["COLUMNS", "Dialect", "where"]

COLUMNS = ", ".join(("seq", "prev_hash", "entry_hash", *CONTENT))
"""What every read selects: the chain's columns, then the content (`entries.linked`)."""


@dataclass(frozen=True, slots=True)
class Dialect:
    """How a backend writes a parameter and "this JSON list of secrets holds one"."""

    mark: str
    has_secret: str


def where(filters: DecisionFilter, dialect: Dialect) -> tuple[str, list[object]]:
    """``WHERE …`` (or nothing) and its parameters, for ``filters`` and the cursor."""
    mark = dialect.mark
    equal = {
        "customer": filters.customer,
        "executor": filters.executor,
        "on_date": filters.on and filters.on.isoformat(),
        "decision": filters.decision,
        "asked_by": filters.asked_by,
        "redaction": filters.redaction,
    }
    conditions = [f"{column} = {mark}" for column, value in equal.items() if value is not None]
    params: list[object] = [value for value in equal.values() if value is not None]
    bounds = (("on_date >=", filters.on_from), ("on_date <=", filters.on_to))
    for test, day in bounds:
        if day is not None:
            conditions.append(f"{test} {mark}")
            params.append(day.isoformat())
    if filters.secret is not None:
        conditions.append(dialect.has_secret)
        params.append(filters.secret)
    if filters.hypothetical != "any":
        conditions.append(f"hypothetical = {mark}")
        params.append(filters.hypothetical == "true")
    if filters.before is not None:
        conditions.append(f"seq < {mark}")
        params.append(filters.before)
    return (f"WHERE {' AND '.join(conditions)}" if conditions else ""), params
