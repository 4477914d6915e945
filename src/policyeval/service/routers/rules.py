"""The rules and the clauses of the decree they implement."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from policyeval import ROLES
from policyeval.service.auth import require
from policyeval.service.deps import SnapshotDep
from policyeval.service.errors import PROBLEM_RESPONSES, NotFoundError
from policyeval.service.schemas import ClauseOut, RuleOut

router = APIRouter(
    prefix="/v1",
    tags=["rules"],
    responses=PROBLEM_RESPONSES,
    dependencies=[Depends(require(*ROLES))],  # the law's text: every signed-in role
)


@router.get("/rules", response_model=list[RuleOut])
def rules(snapshot: SnapshotDep) -> list[RuleOut]:
    """Every rule served, in file order."""
    return [RuleOut.of(rule) for rule in snapshot.knowledge_base.rules.rules]


@router.get("/rules/{rule_id}", response_model=RuleOut)
def rule(rule_id: str, snapshot: SnapshotDep) -> RuleOut:
    """One rule by its ``@id``."""
    found = snapshot.knowledge_base.rules.rule(rule_id)
    if found is None:
        raise NotFoundError(f"no rule `{rule_id}`")
    return RuleOut.of(found)


@router.get("/clauses", response_model=list[ClauseOut])
def clauses(snapshot: SnapshotDep) -> list[ClauseOut]:
    """Every clause: number, title, quoted text, the rules implementing it and the scenarios
    exercising it (indexed once when the snapshot was loaded)."""
    return list(snapshot.clauses)


@router.get("/clauses/{clause}", response_model=ClauseOut)
def clause(clause: str, snapshot: SnapshotDep) -> ClauseOut:
    """One clause by number, e.g. ``3.1``."""
    found = snapshot.clause(clause)
    if found is None:
        raise NotFoundError(f"no clause `{clause}` in the rule files")
    return found
