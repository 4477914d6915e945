"""The rules and the clauses of the decree they implement."""

from __future__ import annotations

from fastapi import APIRouter

from policyeval.clause_index import clause_index
from policyeval.service.deps import EvaluatorDep, SettingsDep
from policyeval.service.errors import PROBLEM_RESPONSES, NotFoundError
from policyeval.service.schemas import ClauseOut, RuleOut

router = APIRouter(prefix="/v1", tags=["rules"], responses=PROBLEM_RESPONSES)


@router.get("/rules", response_model=list[RuleOut])
def rules(evaluator: EvaluatorDep) -> list[RuleOut]:
    """Every rule served, in file order."""
    return [RuleOut.of(rule) for rule in evaluator.knowledge_base.rules.rules]


@router.get("/rules/{rule_id}", response_model=RuleOut)
def rule(rule_id: str, evaluator: EvaluatorDep) -> RuleOut:
    """One rule by its ``@id``."""
    found = evaluator.knowledge_base.rules.rule(rule_id)
    if found is None:
        raise NotFoundError(f"no rule `{rule_id}`")
    return RuleOut.of(found)


@router.get("/clauses", response_model=list[ClauseOut])
def clauses(evaluator: EvaluatorDep, settings: SettingsDep) -> list[ClauseOut]:
    """Every clause: number, title, quoted text, the rules implementing it."""
    return clause_index(evaluator.knowledge_base.rules, settings.scenarios)


@router.get("/clauses/{clause}", response_model=ClauseOut)
def clause(clause: str, evaluator: EvaluatorDep, settings: SettingsDep) -> ClauseOut:
    """One clause by number, e.g. ``3.1``."""
    entries = clause_index(evaluator.knowledge_base.rules, settings.scenarios)
    found = next((entry for entry in entries if entry.clause == clause), None)
    if found is None:
        raise NotFoundError(f"no clause `{clause}` in the rule files")
    return found
