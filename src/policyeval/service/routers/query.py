"""Questions about any predicate, with proofs and why-not."""

from __future__ import annotations

from fastapi import APIRouter

from policyeval import DatedQueryResult
from policyeval.service.deps import SnapshotDep
from policyeval.service.errors import PROBLEM_RESPONSES
from policyeval.service.schemas import QueryRequest

router = APIRouter(prefix="/v1", tags=["query"], responses=PROBLEM_RESPONSES)


@router.post("/query", response_model=DatedQueryResult)
def query(body: QueryRequest, snapshot: SnapshotDep) -> DatedQueryResult:
    """Every row of the predicate matching the arguments; when none, why not. Answered by the
    redaction in force on ``on`` (by default the latest date among the arguments, else today),
    which the result names with its warnings."""
    return snapshot.query(
        body.predicate,
        body.arguments(),
        on=body.on,
        assume=snapshot.assumed(body.assume),
        proofs=body.proofs,
    )
