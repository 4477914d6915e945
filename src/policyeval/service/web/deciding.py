"""Deciding a transfer question for a page, exactly as the API does, and replaying repairs.

:class:`Decider` asks ``decide_transfer`` with the rules of the redaction in force on the
question's date, in one of the service's evaluation slots (its time budget and its limit on
decisions at once), at the level ``full`` the decision log keeps.

A repair offered with a refusal is tried as a what-if by *replaying* it: the question is
decided again (for that secret, with what was assumed before) and the repair of the same
number, whose changes must read the same, gives the facts to add and take away
(``Repair.facts``). Nothing of a fact is ever taken from the browser: a page names a repair by
its secret, number and words, and the server finds it again, or says it is no longer offered
(the facts or rules changed since it was shown).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from fastapi.exceptions import RequestValidationError

from policyeval import BaseFact, Repair, Snapshot, TransferDecision, decide_transfer
from policyeval.service.limits import Evaluations
from policyeval.service.web.forms import Question
from policyeval.service.web.texts import texts

MAX_REPAIRS_TRIED = 5
"""Repairs one what-if may stack (each is one more decision to replay)."""


@dataclass(frozen=True)
class AppliedRepair:
    """A repair tried as a what-if: the secret it was offered for, its number among that
    secret's repairs (from 1) and its changes in words, which must match when it is replayed."""

    secret: str
    number: int
    text: str

    def dump(self) -> str:
        """As a form keeps it (a hidden field)."""
        return json.dumps({"secret": self.secret, "number": self.number, "text": self.text})

    @classmethod
    def load(cls, raw: str) -> AppliedRepair:
        """From a hidden field; raises ValueError when it is not one."""
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("not a repair")
        secret, number, text = data.get("secret"), data.get("number"), data.get("text")
        if not (isinstance(secret, str) and isinstance(number, int) and isinstance(text, str)):
            raise ValueError("not a repair")
        return cls(secret, number, text)


def repair_words(changes: Iterable[Mapping[str, Any]] | Repair) -> str:
    """A repair's changes in one line: how a page names it and a replay recognises it."""
    if isinstance(changes, Repair):
        return "; ".join(change.text for change in changes.changes)
    return "; ".join(str(change.get("text", "")) for change in changes)


class Decider:
    """Decides questions over one snapshot within the service's evaluation limits."""

    def __init__(self, snapshot: Snapshot, evaluations: Evaluations) -> None:
        self.snapshot = snapshot
        self.evaluations = evaluations

    def decide(
        self,
        question: Question,
        add: Sequence[BaseFact] = (),
        remove: Sequence[BaseFact] = (),
    ) -> TransferDecision:
        """The decision, fully explained, with ``add`` assumed and ``remove`` taken away."""
        rules = self.snapshot.in_force(question.on)
        with self.evaluations.slot():
            return decide_transfer(
                rules.evaluator(),
                question.customer,
                question.executor,
                question.secrets,
                question.on,
                add,
                retract=remove,
                redaction=rules.redaction,
                warnings=rules.warnings,
                explain="full",
            )

    def replay(
        self, question: Question, add: Sequence[BaseFact], repairs: Sequence[AppliedRepair]
    ) -> tuple[list[BaseFact], list[BaseFact], list[str]]:
        """The facts to add and to take away once ``repairs`` are applied in turn over the
        facts ``add``, and what could not be replayed (in words)."""
        added: list[BaseFact] = list(add)
        removed: list[BaseFact] = []
        for applied in repairs:
            if applied.secret not in question.secrets:
                return added, removed, [_missing(applied, "not_asked")]
            one = Question(question.customer, question.executor, [applied.secret], question.on)
            repair = _offered(self.decide(one, added, removed), applied)
            if repair is None:
                return added, removed, [_missing(applied, "gone")]
            more, less = repair.facts()
            added += more
            removed += less
        return added, removed, []


def _offered(decision: TransferDecision, applied: AppliedRepair) -> Repair | None:
    """The repair ``applied`` names, if ``decision`` still offers it, reading the same."""
    for item in decision.per_secret:
        if item.secret != applied.secret or item.repairs is None:
            continue
        offered = item.repairs.repairs
        if 1 <= applied.number <= len(offered):
            repair = offered[applied.number - 1]
            if repair_words(repair) == applied.text:
                return repair
    return None


def _missing(applied: AppliedRepair, why: str) -> str:
    t = texts()
    return t(f"ask.whatif.problem.repair_{why}", number=applied.number, secret=applied.secret)


def over_limits(evaluations: Evaluations, secrets: list[str], records: list[Any]) -> list[str]:
    """What of a question goes over the service's limits (secrets, records assumed), in words
    naming the field, as the API's 422 would say it."""
    t = texts()
    fields = {"secrets": t("ask.field.secret"), "assume": t("ask.whatif.records")}
    try:
        evaluations.check(SimpleNamespace(secrets=secrets, assume=records))
    except RequestValidationError as exc:
        return [
            t("ask.problem.field", field=fields.get(str(e["loc"][-1]), "?"), text=e["msg"])
            for e in exc.errors()
        ]
    return []
