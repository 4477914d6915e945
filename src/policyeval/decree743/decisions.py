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
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, Field

from policyeval.engine.store import BaseFact, FactStore
from policyeval.errors import Problem, QueryError, UnknownEntityError
from policyeval.evaluator import Evaluator, Outcome
from policyeval.explain.model import FailedCondition, ProofNode
from policyeval.explain.reasons import Reason, cited_clauses
from policyeval.language.syntax import Value
from policyeval.redactions import UNDECLARED, AppliedRedaction, RedactionWarning, Timeline
from policyeval.repairs import RepairAdvice, find_repairs

__all__ = [
    "EXPLAIN_LEVELS",
    "TRANSFER_PREDICATE",
    "ExplainLevel",
    "SecretDecision",
    "TransferDecision",
    "TransferReason",
    "decide_transfer",
    "explained",
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


ExplainLevel = Literal["none", "reasons", "full"]
"""How much of the explanation a response carries (like OPA's ``explain``): ``none`` the
decision only; ``reasons`` (the default) the reasons with their repairs and the clauses each
secret's decision rests on; ``full`` also the proof and why-not trees. The log keeps ``full``."""

EXPLAIN_LEVELS: tuple[ExplainLevel, ...] = ("none", "reasons", "full")

_LEFT_OUT: dict[ExplainLevel, dict[str, Any]] = {
    "none": {"reasons": True, "per_secret": {"__all__": {"proof", "why_not", "repairs"}}},
    "reasons": {"per_secret": {"__all__": {"proof", "why_not"}}},
    "full": {},
}
"""What each level leaves out of a decision, as a pydantic ``exclude``."""


class SecretDecision(BaseModel):
    """The decision for one secret: its proof when allowed, its why-not and the repairs that
    would make it allowed when refused; ``clauses`` and ``rules`` summarize either."""

    secret: str
    decision: Outcome
    clauses: list[str] = Field(
        default_factory=list, description="the clauses the proof or the reasons cite"
    )
    rules: list[str] = Field(default_factory=list, description="the rules the proof uses")
    repairs: RepairAdvice | None = Field(
        default=None, description="what would make it allowed, each repair checked"
    )
    proof: ProofNode | None = Field(default=None, description="level `full`: the proof tree")
    why_not: FailedCondition | None = Field(
        default=None, description="level `full`: every failed condition, as a tree"
    )
    reasons: list[Reason] = Field(default_factory=list, exclude=True)
    """This secret's reasons (merged into the decision's, which say which secrets)."""


class TransferReason(Reason):
    """A refusal reason of a transfer, with the secrets it refuses."""

    secrets: list[str] = Field(default_factory=list)


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
    reasons: list[TransferReason] = Field(
        default_factory=list, description="every refusal reason, merged across secrets"
    )
    assumed: int = Field(
        default=0,
        description="number of what-if facts the decision assumed: added, or taken away from "
        "the facts on record",
    )
    redaction: AppliedRedaction = Field(description="the redaction of the decree applied")
    warnings: list[RedactionWarning] = Field(
        default_factory=list,
        description="why the redaction applied may not be the law on the transfer's date",
    )
    policy_version: str
    facts_version: str

    def at_level(self, level: ExplainLevel) -> str:
        """This decision as JSON with what ``level`` leaves out left out; below ``full``,
        fields without a value (``null``) are left out too, to keep every answer small."""
        return self.model_dump_json(exclude=_LEFT_OUT[level], exclude_none=level != "full")


def explained(detail: Mapping[str, Any], level: ExplainLevel) -> dict[str, Any]:
    """A logged decision (its JSON, of any version) with what ``level`` leaves out left out."""
    trimmed: dict[str, Any] = _without(detail, _LEFT_OUT[level])
    return trimmed


def _without(value: Any, exclude: Any) -> Any:
    """``value`` without what a pydantic-style ``exclude`` (mapping, set or ``True``) names."""
    if isinstance(value, list):
        inner = exclude.get("__all__")
        return [_without(item, inner) if inner else item for item in value]
    if not isinstance(value, Mapping):
        return value
    kept: dict[str, Any] = {}
    for key, item in value.items():
        spec = exclude.get(key) if isinstance(exclude, Mapping) else None
        if spec is True or (isinstance(exclude, set) and key in exclude):
            continue
        kept[key] = _without(item, spec) if isinstance(spec, Mapping | set) else item
    return kept


def decide_transfer(
    evaluator: Evaluator,
    customer: str,
    executor: str,
    secrets: Sequence[str],
    on: dt.date,
    assume: Iterable[BaseFact] = (),
    *,
    retract: Iterable[BaseFact] = (),
    redaction: AppliedRedaction | None = None,
    warnings: Iterable[RedactionWarning] = (),
    explain: ExplainLevel = "full",
) -> TransferDecision:
    """Decide one transfer request; raises `UnknownEntityError` naming every unknown id.

    ``redaction`` is the redaction whose rules ``evaluator`` holds and ``warnings`` the doubts
    about it on ``on`` (``Snapshot.in_force(on)`` gives both); without them, the decision says
    the rules declare no redaction. With ``explain="none"`` only the engine's bare answer is
    sought (no proof, why-not or repairs: the cheap path); otherwise everything is, and a
    response may leave part of it out (:meth:`TransferDecision.at_level`). A what-if adds the
    ``assume`` facts and takes the ``retract`` facts (as stored) away, for this decision only
    (a repair's :meth:`~policyeval.repairs.Repair.facts`)."""
    wanted = list(dict.fromkeys(secrets))
    if not wanted:
        raise QueryError("a transfer request names at least one secret")
    what = _WhatIf(list(assume), list(retract))
    # One snapshot for every secret: `Evaluator.replace` on the shared one cannot interleave.
    snapshot = Evaluator(evaluator.knowledge_base)
    kb = snapshot.knowledge_base
    _, store = kb.world(what.add, what.remove)
    unknown = unknown_entities(store, customer, executor, wanted)
    if unknown:
        raise UnknownEntityError(
            "the facts do not know " + ", ".join(f"{kind} `{id_}`" for kind, id_ in unknown),
            [Problem("unknown_entity", f"unknown {kind} `{id_}`") for kind, id_ in unknown],
        )
    decide = _decide_bare if explain == "none" else _decide_one
    per_secret = [decide(snapshot, customer, executor, secret, on, what) for secret in wanted]
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
        reasons=_merge(per_secret),
        assumed=len(what.add) + len(what.remove),
        redaction=redaction,
        warnings=list(warnings),
        policy_version=kb.policy_version,
        facts_version=kb.facts_version,
    )


class _WhatIf(NamedTuple):
    """A what-if: facts added, and facts on record (as stored) taken away."""

    add: list[BaseFact]
    remove: list[BaseFact]


def _decide_bare(
    evaluator: Evaluator,
    customer: str,
    executor: str,
    secret: str,
    on: dt.date,
    what: _WhatIf,
) -> SecretDecision:
    """The decision alone: the engine's answer, without its explanation."""
    args: list[Value] = [customer, executor, secret, on]
    rows = evaluator.ask(TRANSFER_PREDICATE, args, assume=what.add, retract=what.remove)
    return SecretDecision(secret=secret, decision="allowed" if rows else "refused")


def _decide_one(
    evaluator: Evaluator,
    customer: str,
    executor: str,
    secret: str,
    on: dt.date,
    what: _WhatIf,
) -> SecretDecision:
    args = (customer, executor, secret, on)
    result = evaluator.query(TRANSFER_PREDICATE, args, assume=what.add, retract=what.remove)
    if result.answers:
        proof = result.answers[0].proof
        return SecretDecision(
            secret=secret,
            decision="allowed",
            clauses=clause_order(proof.clauses()) if proof else [],
            rules=sorted(proof.rule_ids()) if proof else [],
            proof=proof,
        )
    repairs = None
    if result.why_not is not None:
        glossary = evaluator.knowledge_base.glossary
        repairs = find_repairs(
            evaluator,
            TRANSFER_PREDICATE,
            args,
            result.why_not,
            glossary,
            what.add,
            retracted=what.remove,
        )
    return SecretDecision(
        secret=secret,
        decision="refused",
        clauses=clause_order(cited_clauses(result.reasons)),
        reasons=result.reasons,
        repairs=repairs,
        why_not=result.why_not,
    )


def _merge(per_secret: Iterable[SecretDecision]) -> list[TransferReason]:
    """One reason per rule and wording, with the secrets it refuses; their failed conditions
    and blocking facts united in first-seen order."""
    merged: dict[tuple[str, str], TransferReason] = {}
    for item in per_secret:
        for reason in item.reasons:
            key = (reason.rule, reason.text)
            if key not in merged:
                merged[key] = TransferReason(**reason.model_dump(), secrets=[item.secret])
                continue
            kept = merged[key]
            kept.secrets.append(item.secret)
            kept.missing.extend(m for m in reason.missing if m not in kept.missing)
            kept.blocking.extend(b for b in reason.blocking if b not in kept.blocking)
    return list(merged.values())


def clause_order(clauses: Iterable[str]) -> list[str]:
    """Clause ids in the decree's order: ``3`` before ``3.1`` before ``11``.

    >>> clause_order(["11", "3.1", "8", "3"])
    ['3', '3.1', '8', '11']
    """
    return sorted(set(clauses), key=lambda c: [int(p) if p.isdigit() else 0 for p in c.split(".")])


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
    return any(store.holds(p, (id_, *[None] * (schema[p] - 1))) for p in declared if schema[p] >= 1)
