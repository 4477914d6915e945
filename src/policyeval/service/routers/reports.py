"""A logged decision's report, as a printable HTML page or a PDF."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Response

from policyeval import Principal, logged_report_html, render_report_pdf, report_clauses
from policyeval.service.auth import check_customer, require
from policyeval.service.deps import DecisionLogDep, SnapshotDep
from policyeval.service.errors import PROBLEM_RESPONSES, NotFoundError
from policyeval.service.limits import EvaluationsDep

router = APIRouter(prefix="/v1/decisions", tags=["decisions"], responses=PROBLEM_RESPONSES)

HTML, PDF = "text/html; charset=utf-8", "application/pdf"


@router.get(
    "/{decision_id}/report",
    response_class=Response,
    responses={
        200: {
            "content": {"text/html": {}, PDF: {}},
            "description": "the report: HTML, or PDF (`format=pdf`, `Accept: application/pdf`)",
        }
    },
)
def report(
    decision_id: str,
    snapshot: SnapshotDep,
    decision_log: DecisionLogDep,
    principal: Annotated[Principal, Depends(require("auditor", "officer"))],
    evaluations: EvaluationsDep,
    format: Annotated[Literal["html", "pdf"] | None, Query(description="html or pdf")] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """A logged decision's report: the question, the decision, the decree's text of every clause
    cited, the proof or the reasons, the facts with their sources, the versions, who asked and
    when. (A plain ``def``: printing a PDF runs in the thread pool, not on the event loop.)"""
    record = decision_log.get(decision_id)
    if record is None:
        raise NotFoundError(f"no decision `{decision_id}` in the decision log")
    check_customer(principal, str(record.detail.get("customer", "")))
    with evaluations.slot():  # rendering a page (and printing it) is as heavy as a decision
        page = logged_report_html(record, report_clauses(snapshot, record.redaction))
        if format == "pdf" or (format is None and _prefers_pdf(accept)):
            name = re.sub(r"[^A-Za-z0-9_-]", "_", decision_id)
            disposition = f'inline; filename="decision-{name}.pdf"'
            pdf = render_report_pdf(page)
            return Response(pdf, media_type=PDF, headers={"Content-Disposition": disposition})
    return Response(page, media_type=HTML)


def _prefers_pdf(accept: str | None) -> bool:
    """Whether the Accept header asks for a PDF rather than HTML (a browser's asks for HTML).

    >>> _prefers_pdf("application/pdf"), _prefers_pdf("text/html,*/*"), _prefers_pdf(None)
    (True, False, False)
    """
    types = [part.split(";")[0].strip() for part in (accept or "").split(",")]
    return PDF in types and "text/html" not in types
