"""Transfer decisions, and the log of decisions served."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from policyeval import (
    DecisionFilter,
    DecisionRecord,
    ExplainLevel,
    Principal,
    TransferDecision,
    decide_transfer,
    explained,
)
from policyeval.service.auth import (
    BEARER_SECURITY,
    Serving,
    check_customer,
    may_ask,
    officer_scope,
    require,
    serving,
)
from policyeval.service.deps import DecisionLogDep
from policyeval.service.errors import PROBLEM_RESPONSES, NotFoundError
from policyeval.service.schemas import TransferRequest

router = APIRouter(prefix="/v1/decisions", tags=["decisions"], responses=PROBLEM_RESPONSES)

Asking = Annotated[Serving, Depends(serving("officer", "lawyer"))]
"""Decisions are asked by officers (for their customers) and, as what-ifs, by lawyers."""
Reader = Annotated[Principal, Depends(require("auditor", "officer"))]
"""The log is read by auditors, and by officers for their customers' decisions."""

ExplainQuery = Annotated[
    ExplainLevel,
    Query(
        description="none: the decision only; reasons (default): with the reasons, the checked "
        "repairs and the clauses each secret's decision rests on; full: with the proof and "
        "why-not trees. The log keeps the full explanation of every decision asked at `reasons` "
        "or `full`; `none` takes the cheap path (the bare answer) and logs only that"
    ),
]


@router.post("/transfer", response_model=TransferDecision, openapi_extra=BEARER_SECURITY)
def decide(body: TransferRequest, asking: Asking, explain: ExplainQuery = "reasons") -> Response:
    """Decide whether the customer may transfer the secrets; the decision is logged in full.

    The response carries what ``explain`` asks for; the full tree is one request away
    (``GET /v1/decisions/{id}?explain=full``). The decision was built from checked values, so it
    is not validated again on the way out. The rules are those of the redaction in force on
    ``on``; the decision names it, with its warnings.
    """
    principal, snapshot, evaluations = asking.principal, asking.snapshot, asking.evaluations
    may_ask(principal, body.customer, what_if=bool(body.assume))
    evaluations.check(body)
    rules = snapshot.in_force(body.on)
    with evaluations.slot():
        decision = decide_transfer(
            rules.evaluator(),
            body.customer,
            body.executor,
            body.secrets,
            body.on,
            snapshot.assumed(body.assume),
            redaction=rules.redaction,
            warnings=rules.warnings,
            explain=explain,
        )
        payload = decision.model_dump_json()
    asking.decision_log.record(decision, principal.name, serialized=payload)
    shown = payload if explain == "full" else decision.at_level(explain)
    return Response(content=shown, media_type="application/json")


@router.get("", response_model=list[DecisionRecord])
def recent(
    decision_log: DecisionLogDep,
    filters: Annotated[DecisionFilter, Query()],
    request: Request,
    response: Response,
    principal: Reader,
) -> list[DecisionRecord]:
    """Logged decisions matching every filter given, newest first; what-ifs only when asked
    (``hypothetical``). A full page links the next (``Link: <…&before=seq>; rel="next"``). An
    unknown parameter is a 422 naming it. An officer sees its customers' decisions only."""
    filters = officer_scope(principal, filters)
    found = decision_log.search(filters)
    if len(found) == filters.limit:
        following = request.url.include_query_params(before=found[-1].seq)
        response.headers["Link"] = f'<{following}>; rel="next"'
    return found


@router.get("/{decision_id}", response_model=DecisionRecord)
def get(
    decision_id: str,
    decision_log: DecisionLogDep,
    principal: Reader,
    explain: ExplainQuery = "reasons",
) -> DecisionRecord:
    """A logged decision with who asked, the answer and, as ``explain`` asks, its reasons and
    repairs or its full proof and why-not trees."""
    entry = decision_log.get(decision_id)
    if entry is None:
        raise NotFoundError(f"no decision `{decision_id}` in the decision log")
    check_customer(principal, str(entry.detail.get("customer", "")))
    return entry.model_copy(update={"detail": explained(entry.detail, explain)})
