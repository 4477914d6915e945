"""Questions about any predicate, with proofs and why-not."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.exceptions import RequestValidationError

from policyeval import DatedQueryResult, Snapshot, Value
from policyeval.service.auth import require
from policyeval.service.deps import SnapshotDep
from policyeval.service.errors import PROBLEM_RESPONSES
from policyeval.service.limits import EvaluationsDep
from policyeval.service.schemas import QueryRequest

router = APIRouter(
    prefix="/v1",
    tags=["query"],
    responses=PROBLEM_RESPONSES,
    dependencies=[Depends(require("officer", "lawyer", "auditor"))],
)


@router.post("/query", response_model=DatedQueryResult)
def query(
    body: QueryRequest, snapshot: SnapshotDep, evaluations: EvaluationsDep
) -> DatedQueryResult:
    """Every row of the predicate matching the arguments; when none, why not. Answered by the
    redaction in force on ``on`` (by default the latest date among the arguments, else today),
    which the result names with its warnings. Each argument is read by the type the predicate
    declares for it; one that is not of it is a 422 naming ``body.args.N``."""
    evaluations.check(body)
    arguments = typed_arguments(body, snapshot)
    with evaluations.slot():
        return snapshot.query(
            body.predicate,
            arguments,
            on=body.on,
            assume=snapshot.assumed(body.assume),
            proofs=body.proofs,
        )


def typed_arguments(body: QueryRequest, snapshot: Snapshot) -> list[Value | None]:
    """The request's arguments read by the predicate's declared types; raises a validation
    error naming each argument that is not of its type."""
    values, problems = body.arguments(snapshot.argument_types.get(body.predicate, ()))
    if problems:
        raise RequestValidationError(
            [
                {"loc": ("body", "args", index), "msg": message, "type": "argument_type"}
                for index, message in problems
            ]
        )
    return values
