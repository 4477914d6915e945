"""What the log stores of a decision (one row of real columns, the decision's JSON once), how a
row is read back, and the filters a search takes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from policyeval.decision_log.chain import Content, Linked
from policyeval.decree743.decisions import ExplainLevel, TransferDecision
from policyeval.evaluator import Outcome

__all__ = ["CONTENT", "DecisionFilter", "DecisionRecord", "content_of", "record_of"]

CONTENT = (
    "decision_id",
    "asked_by",
    "question",
    "decision",
    "customer",
    "executor",
    "secrets",
    "on_date",
    "hypothetical",
    "redaction",
    "policy_version",
    "facts_version",
    "recorded_at",
    "detail",
)
"""The columns an entry's hash covers (with its ``seq``), in the order rows are read."""


class DecisionRecord(BaseModel):
    """One logged decision: who asked what, the answer with its proof or reasons, and when."""

    decision_id: str
    seq: int = Field(description="the entry's position in the log's hash chain (from 1)")
    asked_by: str
    question: str
    decision: Outcome
    customer: str
    executor: str
    secrets: list[str]
    on: dt.date | None = Field(description="the transfer's date; null in rows logged before it")
    hypothetical: bool = Field(description="a what-if: decided with assumed facts")
    detail: dict[str, Any]
    policy_version: str
    facts_version: str
    recorded_at: dt.datetime
    redaction: str | None = Field(
        default=None, description="the redaction applied; null in rows logged before it was"
    )
    entry_hash: str = Field(description="sha256 of the previous entry's hash and this content")


class DecisionFilter(BaseModel):
    """Which logged decisions a search returns, newest first (``GET /v1/decisions``)."""

    model_config = ConfigDict(extra="forbid")

    customer: str | None = None
    executor: str | None = None
    secret: str | None = Field(default=None, description="decisions about this secret")
    on: dt.date | None = Field(default=None, description="the transfer's date")
    on_from: dt.date | None = Field(default=None, description="transfers on or after this date")
    on_to: dt.date | None = Field(default=None, description="transfers on or before this date")
    decision: Outcome | None = None
    asked_by: str | None = None
    redaction: str | None = None
    hypothetical: Literal["false", "true", "any"] = Field(
        default="false", description="what-ifs: left out (false), only them (true), or any"
    )
    limit: int = Field(default=50, ge=1, le=1000)
    before: int | None = Field(
        default=None,
        ge=1,
        le=2**63 - 1,  # a database integer: beyond it SQLite overflows (found by the fuzzer)
        description="a cursor: entries logged before this `seq` only",
    )
    explain: ExplainLevel = Field(
        default="reasons", description="how much of each decision's detail to return"
    )


def content_of(
    decision: TransferDecision, asked_by: str, at: dt.datetime, serialized: str | None
) -> dict[str, str | int | bool | None]:
    """The row logged for ``decision``: its columns and its JSON (the full tree, once)."""
    return {
        "decision_id": decision.decision_id,
        "asked_by": asked_by,
        "question": decision.question,
        "decision": decision.decision,
        "customer": decision.customer,
        "executor": decision.executor,
        "secrets": json.dumps(decision.secrets, ensure_ascii=False),
        "on_date": decision.on.isoformat(),
        "hypothetical": decision.assumed > 0,
        "redaction": decision.redaction.redaction,
        "policy_version": decision.policy_version,
        "facts_version": decision.facts_version,
        "recorded_at": at.isoformat(),
        "detail": serialized or decision.model_dump_json(),
    }


def content_from_detail(row: dict[str, Any]) -> dict[str, str | int | bool | None]:
    """The new columns of a row logged before they existed, read from its JSON."""
    detail = json.loads(row["detail"])
    return {
        **row,
        "customer": str(detail.get("customer", "")),
        "executor": str(detail.get("executor", "")),
        "secrets": json.dumps(detail.get("secrets", []), ensure_ascii=False),
        "on_date": str(detail.get("on", "")),
        "hypothetical": int(detail.get("assumed", 0)) > 0,
    }


def linked(row: tuple[Any, ...]) -> Linked:
    """A row read as ``seq, prev_hash, entry_hash, *CONTENT``."""
    seq, prev_hash, entry_hash, *values = row
    content: Content = dict(zip(CONTENT, values, strict=True))
    content = {**content, "hypothetical": bool(content["hypothetical"])}
    return Linked(seq, prev_hash, entry_hash, content, str(content["decision_id"]))


def record_of(entry: Linked) -> DecisionRecord:
    """The record of a stored entry."""
    content = entry.content
    on = str(content["on_date"] or "")
    return DecisionRecord(
        decision_id=str(content["decision_id"]),
        seq=entry.seq,
        asked_by=str(content["asked_by"]),
        question=str(content["question"]),
        decision=str(content["decision"]),  # type: ignore[arg-type]  # validated by pydantic
        customer=str(content["customer"]),
        executor=str(content["executor"]),
        secrets=json.loads(str(content["secrets"])),
        on=dt.date.fromisoformat(on) if on else None,
        hypothetical=bool(content["hypothetical"]),
        detail=json.loads(str(content["detail"])),
        policy_version=str(content["policy_version"]),
        facts_version=str(content["facts_version"]),
        recorded_at=dt.datetime.fromisoformat(str(content["recorded_at"])),
        redaction=str(content["redaction"]) or None,
        entry_hash=entry.entry_hash,
    )
