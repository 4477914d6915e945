"""Health and reload."""

from __future__ import annotations

from fastapi import APIRouter

from policyeval import loading
from policyeval.clause_index import clause_index
from policyeval.evaluator import KnowledgeBase
from policyeval.service.deps import EvaluatorDep, StateDep
from policyeval.service.errors import PROBLEM_RESPONSES
from policyeval.service.schemas import Health, ReloadResult, Versions

router = APIRouter(tags=["system"], responses=PROBLEM_RESPONSES)


@router.get("/healthz", response_model=Health)
def healthz(evaluator: EvaluatorDep) -> Health:
    """Up, and serving these versions."""
    return Health(**_versions(evaluator.knowledge_base).model_dump())


@router.post("/v1/reload", response_model=ReloadResult)
def reload(state: StateDep) -> ReloadResult:
    """Reload rules and facts; on any problem the old ones keep serving (422 lists them all)."""
    with state.reloading:
        old = state.evaluator.knowledge_base
        new = loading.reload(state.evaluator, state.settings.policies, state.settings.facts)
        state.fact_base = new.fact_base
    return ReloadResult(
        **_versions(new.knowledge_base).model_dump(),
        previous_policy_version=old.policy_version,
        previous_facts_version=old.facts_version,
    )


def _versions(kb: KnowledgeBase) -> Versions:
    return Versions(
        policy_version=kb.policy_version,
        facts_version=kb.facts_version,
        rules=len(kb.rules.rules),
        clauses=len(clause_index(kb.rules)),
        facts=len(kb.facts),
    )
