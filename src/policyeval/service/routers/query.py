"""Questions about any predicate, with proofs and why-not."""

from __future__ import annotations

from fastapi import APIRouter

from policyeval import QueryResult
from policyeval.service.deps import SnapshotDep
from policyeval.service.errors import PROBLEM_RESPONSES
from policyeval.service.schemas import QueryRequest

router = APIRouter(prefix="/v1", tags=["query"], responses=PROBLEM_RESPONSES)


@router.post("/query", response_model=QueryResult)
def query(body: QueryRequest, snapshot: SnapshotDep) -> QueryResult:
    """Every row of the predicate matching the arguments; when none, why not."""
    return snapshot.evaluator().query(
        body.predicate, body.arguments(), assume=snapshot.assumed(body.assume), proofs=body.proofs
    )
