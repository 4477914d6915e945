"""The transfer question: may this customer transfer these secrets to this executor that day?

``GET /ask`` is the form, its choices from the facts with their names (an officer's customers
only, for an officer); ``POST /ask`` decides exactly as ``POST /v1/decisions/transfer`` does
(the same roles, rules in force, limits and log) and sends the browser to the decision's page
(``/decisions/{id}``, post-redirect-get), so a reload never decides twice. A form with a
problem comes back as it was sent, with a 422 and every problem naming its field.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from policyeval import Principal, Snapshot
from policyeval.service.auth import may_ask
from policyeval.service.deps import DecisionLogDep, SnapshotDep
from policyeval.service.limits import EvaluationsDep
from policyeval.service.web.deciding import Decider, over_limits
from policyeval.service.web.forms import (
    FieldProblem,
    QuestionForm,
    check_question,
    question_choices,
)
from policyeval.service.web.pages import render
from policyeval.service.web.session import Viewer, needs

router = APIRouter(include_in_schema=False)


async def posted_form(request: Request) -> FormData:
    """The posted form, read on the event loop (the page's work then runs in a thread)."""
    return await request.form()


Posted = Annotated[FormData, Depends(posted_form)]


@router.get("/ask")
def ask_form(request: Request, snapshot: SnapshotDep, principal: Viewer) -> Response:
    """The question's form, filled from the query string if it names a question."""
    needs(principal, "officer", "lawyer")
    return page(request, snapshot, principal, QuestionForm.offered(request.query_params))


@router.post("/ask")
def ask(
    request: Request,
    form: Posted,
    snapshot: SnapshotDep,
    decision_log: DecisionLogDep,
    evaluations: EvaluationsDep,
    principal: Viewer,
) -> Response:
    """Decide the question, log it, and show it on its page."""
    needs(principal, "officer", "lawyer")
    values = QuestionForm.read(form)
    if values.customer or not principal.roles & {"officer", "admin"}:
        may_ask(principal, values.customer, what_if=False)  # a lawyer, another's customer: 403
    question, problems = check_question(values, snapshot.fact_base.kind_of)
    limits = over_limits(evaluations, values.secrets, [])
    if question is None or limits:
        return page(request, snapshot, principal, values, problems, limits)
    decision = Decider(snapshot, evaluations).decide(question)
    decision_log.record(decision, principal.name, serialized=decision.model_dump_json())
    return RedirectResponse(f"/decisions/{decision.decision_id}", status_code=303)


def page(
    request: Request,
    snapshot: Snapshot,
    principal: Principal,
    values: QuestionForm,
    problems: list[FieldProblem] | None = None,
    limits: list[str] | None = None,
) -> Response:
    """The form with ``values``; a 422 when there are problems."""
    problems = problems or []
    texts = [p.text for p in problems] + (limits or [])
    return render(
        request,
        "ask.html.j2",
        principal,
        status_code=422 if texts else 200,
        values=values,
        choices=question_choices(snapshot.fact_base, principal),
        problems=texts,
        field_problems={p.field for p in problems},
        may_decide=bool(principal.roles & {"officer", "admin"}),
    )
