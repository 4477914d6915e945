"""Health and reload."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from policyeval import Snapshot, load
from policyeval.service.auth import require
from policyeval.service.deps import SnapshotDep, StateDep
from policyeval.service.errors import PROBLEM_RESPONSES
from policyeval.service.schemas import Health, ReloadResult, Versions

router = APIRouter(tags=["system"], responses=PROBLEM_RESPONSES)


@router.get("/healthz", response_model=Health)
def healthz(snapshot: SnapshotDep) -> Health:
    """Up, and serving these versions."""
    return Health(**_versions(snapshot).model_dump())


@router.post("/v1/reload", response_model=ReloadResult, dependencies=[Depends(require("admin"))])
def reload(state: StateDep) -> ReloadResult:
    """Reload rules and facts; on any problem the old ones keep serving (422 lists them all).

    The new snapshot is built completely, then swapped in with one assignment.
    """
    with state.reloading:
        old = state.snapshot
        settings = state.settings
        new = load(settings.rule_directories, settings.facts, settings.scenarios)
        state.snapshot = new
    return ReloadResult(
        **_versions(new).model_dump(),
        previous_policy_version=old.policy_version,
        previous_facts_version=old.facts_version,
    )


def _versions(snapshot: Snapshot) -> Versions:
    return Versions(
        policy_version=snapshot.policy_version,
        facts_version=snapshot.facts_version,
        rules=len(snapshot.knowledge_base.rules.rules),
        clauses=len(snapshot.clauses),
        facts=len(snapshot.knowledge_base.facts),
        redactions=snapshot.redactions,
    )
