"""The transfer decision: may a customer transfer these secrets to an executor on a date?

This is the one place that decides; the CLI and the service both call :func:`decide_transfer`.
All secrets are judged against one knowledge base (a snapshot taken at the start), so a reload
in between cannot mix versions within a decision. A decision states the redaction of the decree
whose rules decided it, and carries every warning that this redaction may not be the law on the
transfer's date (:mod:`policyeval.redactions`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, Field

from policyeval.engine.store import BaseFact, FactStore
from policyeval.errors import Problem, QueryError, UnknownEntityError
from policyeval.evaluator import Evaluator, Outcome
from policyeval.explain.model import FailedCondition, ProofNode, Reason
from policyeval.redactions import UNDECLARED, AppliedRedaction, RedactionWarning, Timeline

__all__ = [
    "TRANSFER_PREDICATE",
    "SecretDecision",
    "TransferDecision",
    "decide_transfer",
    "is_known",
    "unknown_entities",
]

TRANSFER_PREDICATE = "transfer_allowed"
"""The decree's top question: ``transfer_allowed(Customer, Executor, Secret, Date)``."""

# The vocabulary's predicates introducing each kind of entity (first argument: its id). An
# executor may be an organization or a citizen (cl. 2.3).
_ENTITY_PREDICATES = {
    "customer": ("organization",),
    "executor": ("organization", "person"),
    "secret": ("secret",),
}


class SecretDecision(BaseModel):
    """The decision for one secret: its proof when allowed, its reasons when refused."""

    secret: str
    decision: Outcome
    proof: ProofNode | None = None
    reasons: list[Reason] = Field(default_factory=list)
    why_not: FailedCondition | None = None


class TransferDecision(BaseModel):
    """The answer to a transfer request, with the diagnostics that justify it."""

    decision_id: str
    decision: Outcome = Field(description="`allowed` iff every secret is allowed")
    question: str
    customer: str
    executor: str
    secrets: list[str]
    on: dt.date
    per_secret: list[SecretDecision]
    proof: list[ProofNode] = Field(default_factory=list, description="one proof per allowed secret")
    reasons: list[Reason] = Field(
        default_factory=list, description="every refusal reason, merged across secrets"
    )
    assumed: int = Field(default=0, description="number of what-if facts the decision assumed")
    redaction: AppliedRedaction = Field(description="the redaction of the decree applied")
    warnings: list[RedactionWarning] = Field(
        default_factory=list,
        description="why the redaction applied may not be the law on the transfer's date",
    )
    policy_version: str
    facts_version: str


def decide_transfer(
    evaluator: Evaluator,
    customer: str,
    executor: str,
    secrets: Sequence[str],
    on: dt.date,
    assume: Iterable[BaseFact] = (),
    *,
    redaction: AppliedRedaction | None = None,
    warnings: Iterable[RedactionWarning] = (),
) -> TransferDecision:
    """Decide one transfer request; raises `UnknownEntityError` naming every unknown id.

    ``redaction`` is the redaction whose rules ``evaluator`` holds and ``warnings`` the doubts
    about it on ``on`` (``Snapshot.in_force(on)`` gives both); without them, the decision says
    the rules declare no redaction."""
    wanted = list(dict.fromkeys(secrets))
    if not wanted:
        raise QueryError("a transfer request names at least one secret")
    assumed = list(assume)
    # One snapshot for every secret: `Evaluator.replace` on the shared one cannot interleave.
    snapshot = Evaluator(evaluator.knowledge_base)
    kb = snapshot.knowledge_base
    _, store = kb.world(assumed)
    unknown = unknown_entities(store, customer, executor, wanted)
    if unknown:
        raise UnknownEntityError(
            "the facts do not know " + ", ".join(f"{kind} `{id_}`" for kind, id_ in unknown),
            [Problem("unknown_entity", f"unknown {kind} `{id_}`") for kind, id_ in unknown],
        )
    per_secret = [
        _decide_one(snapshot, customer, executor, secret, on, assumed) for secret in wanted
    ]
    allowed = all(item.decision == "allowed" for item in per_secret)
    if redaction is None:
        undeclared = Timeline.of([UNDECLARED]).choose(on)
        redaction, warnings = undeclared.applied, undeclared.warnings
    return TransferDecision(
        decision_id=uuid.uuid4().hex,
        decision="allowed" if allowed else "refused",
        question=_question(customer, executor, wanted, on),
        customer=customer,
        executor=executor,
        secrets=wanted,
        on=on,
        per_secret=per_secret,
        proof=[item.proof for item in per_secret if item.proof is not None],
        reasons=_merge(reason for item in per_secret for reason in item.reasons),
        assumed=len(assumed),
        redaction=redaction,
        warnings=list(warnings),
        policy_version=kb.policy_version,
        facts_version=kb.facts_version,
    )


def _decide_one(
    evaluator: Evaluator,
    customer: str,
    executor: str,
    secret: str,
    on: dt.date,
    assume: list[BaseFact],
) -> SecretDecision:
    result = evaluator.query(TRANSFER_PREDICATE, [customer, executor, secret, on], assume=assume)
    if result.answers:
        return SecretDecision(secret=secret, decision="allowed", proof=result.answers[0].proof)
    return SecretDecision(
        secret=secret, decision="refused", reasons=result.reasons, why_not=result.why_not
    )


def _merge(reasons: Iterable[Reason]) -> list[Reason]:
    """One reason per rule and reading; their missing conditions united in first-seen order."""
    merged: dict[tuple[str, str], Reason] = {}
    for reason in reasons:
        key = (reason.rule, reason.text)
        if key not in merged:
            merged[key] = reason.model_copy(update={"missing": list(reason.missing)})
            continue
        missing = merged[key].missing
        missing.extend(m for m in reason.missing if m not in missing)
    return list(merged.values())


def _question(customer: str, executor: str, secrets: list[str], on: dt.date) -> str:
    """The request as a sentence.

    >>> _question("mod", "acme", ["s1", "s2"], dt.date(2026, 3, 2))
    'may `mod` transfer `s1`, `s2` to `acme` on 2026-03-02?'
    """
    listed = ", ".join(f"`{secret}`" for secret in secrets)
    return f"may `{customer}` transfer {listed} to `{executor}` on {on.isoformat()}?"


def unknown_entities(
    store: FactStore, customer: str, executor: str, secrets: Iterable[str]
) -> list[tuple[str, str]]:
    """(kind, id) of every id of the request that the facts do not know."""
    wanted = [("customer", customer), ("executor", executor)]
    wanted += [("secret", secret) for secret in secrets]
    unknown: list[tuple[str, str]] = []
    for kind, id_ in wanted:
        if not is_known(store, id_, _ENTITY_PREDICATES[kind]):
            unknown.append((kind, id_))
    return unknown


def is_known(store: FactStore, id_: str, predicates: Sequence[str] = ()) -> bool:
    """Whether ``id_`` is the first argument of a fact of one of ``predicates``.

    When the store declares none of ``predicates``, any base fact will do.
    """
    schema = store.schema()
    declared = [p for p in predicates if p in schema] or list(schema)
    return any(
        next(store.match(p, (id_, *[None] * (schema[p] - 1))), None) is not None
        for p in declared
        if schema[p] >= 1
    )
