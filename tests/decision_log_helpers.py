"""Decisions to log in the decision log's tests: the toy world's, decided once and copied."""

from __future__ import annotations

import datetime as dt
import functools

from paths import TOY_FACTS, TOY_POLICIES
from policyeval import TransferDecision, decide_transfer, load

ON = dt.date(2026, 2, 1)
AT = dt.datetime(2026, 2, 1, 9, 30, tzinfo=dt.UTC)


@functools.cache
def _decided(secret: str) -> TransferDecision:
    snapshot = load(TOY_POLICIES, TOY_FACTS)
    rules = snapshot.in_force(ON)
    return decide_transfer(
        rules.evaluator(),
        "mod",
        "acme",
        [secret],
        ON,
        redaction=rules.redaction,
        warnings=rules.warnings,
    )


def decision(number: int, secret: str = "s1", **changes: object) -> TransferDecision:
    """The toy decision about ``secret`` (s1 allowed, s2 refused) with its own id."""
    return _decided(secret).model_copy(update={"decision_id": f"d{number:04d}", **changes})
