"""The decision log's pages: the log filtered and paged by its cursor, one decision, its report.

The same roles as the API, by the same functions (``officer_scope``, ``check_customer`` of
:mod:`policyeval.service.auth`): auditors and admins read every decision, an officer its
customers' only, a lawyer none.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from policyeval import (
    DecisionFilter,
    DecisionLog,
    DecisionRecord,
    Principal,
    QueryError,
    explained,
    logged_report_html,
    render_report_pdf,
    report_clauses,
)
from policyeval.service.auth import check_customer, officer_scope
from policyeval.service.deps import SnapshotDep, StateDep
from policyeval.service.errors import NotFoundError
from policyeval.service.limits import EvaluationsDep
from policyeval.service.web.fact_index import fact_index
from policyeval.service.web.pages import SECURITY_HEADERS, render
from policyeval.service.web.session import Viewer, needs
from policyeval.service.web.texts import texts

router = APIRouter(include_in_schema=False)

PAGE = 50
FIELDS = (
    *("customer", "executor", "secret", "on_from", "on_to", "decision", "asked_by"),
    *("redaction", "hypothetical", "before"),
)
"""The query string's filters (`DecisionFilter`'s fields a person sets) and the cursor."""


@dataclass(frozen=True)
class LogPage:
    """A page of the log: the filters applied (without the cursor), its rows, the cursor of the
    next page if there is one, and what was wrong with the filters."""

    filters: dict[str, str]
    rows: list[DecisionRecord]
    following: int | None = None
    problems: tuple[str, ...] = ()


@router.get("/decisions")
def decision_log(request: Request, state: StateDep, principal: Viewer) -> Response:
    """The decisions the filters of the query string select, 50 a page, newest first."""
    needs(principal, "auditor", "officer")
    chosen = {k: v.strip() for k, v in request.query_params.items() if k in FIELDS and v.strip()}
    found = search(state.decision_log, principal, chosen)
    redactions = [r.redaction for r in state.snapshot.redactions] if state.snapshot else []
    return render(
        request,
        "decisions.html.j2",
        principal,
        found=found,
        customers=_own_customers(principal),
        redactions=redactions,
        paged="before" in chosen,
        newest_url=_url(found.filters),
        next_url=_url(found.filters, before=found.following) if found.following else None,
    )


@router.get("/decisions/{decision_id}")
def decision(request: Request, decision_id: str, state: StateDep, principal: Viewer) -> Response:
    """One logged decision: who asked it and when, its place in the log, what it rests on."""
    record = _readable(state.decision_log, principal, decision_id)
    snapshot = state.snapshot
    index = fact_index(snapshot, state.settings.facts) if snapshot is not None else None
    return render(
        request,
        "decisions_entry.html.j2",
        principal,
        record=record,
        decision=explained(record.detail, "full"),
        record_url=index.url if index is not None else None,
    )


@router.get("/decisions/{decision_id}/report")
def report(
    decision_id: str,
    state: StateDep,
    snapshot: SnapshotDep,
    principal: Viewer,
    evaluations: EvaluationsDep,
    format: Annotated[Literal["html", "pdf"], Query()] = "html",
) -> Response:
    """The decision's report: its own complete, printable page, or that page as a PDF."""
    record = _readable(state.decision_log, principal, decision_id)
    with evaluations.slot():  # as the API: rendering (and printing) is as heavy as a decision
        page = logged_report_html(record, report_clauses(snapshot, record.redaction))
        if format == "pdf":
            name = re.sub(r"[^A-Za-z0-9_-]", "_", decision_id)
            disposition = f'inline; filename="decision-{name}.pdf"'
            pdf = render_report_pdf(page)
            headers = {**SECURITY_HEADERS, "Content-Disposition": disposition}
            return Response(pdf, media_type="application/pdf", headers=headers)
    return HTMLResponse(page, headers=report_headers(page))


def report_headers(page: str) -> dict[str, str]:
    """The pages' security headers for the report ``page``, whose one ``<style>`` (in its head:
    the page is self-contained, so that it prints and files as one document) is allowed by its
    hash; any other inline style stays forbidden."""
    head = page.partition("</head>")[0]
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"
        for css in re.findall(r"<style>(.*?)</style>", head, flags=re.DOTALL)
    ]
    policy = SECURITY_HEADERS["Content-Security-Policy"].replace(
        "style-src 'self'", " ".join(["style-src 'self'", *hashes]), 1
    )
    return {**SECURITY_HEADERS, "Content-Security-Policy": policy}


def search(log: DecisionLog, principal: Principal, chosen: dict[str, str]) -> LogPage:
    """The page of ``log`` that the filters ``chosen`` select, within what ``principal`` may
    read. One row more than a page is read, so a "next" link always leads somewhere."""
    shown = {name: value for name, value in chosen.items() if name != "before"}
    try:
        filters = DecisionFilter.model_validate({**chosen, "limit": PAGE + 1, "explain": "none"})
    except ValidationError as exc:
        return LogPage(shown, [], problems=tuple(_problem(error) for error in exc.errors()))
    try:
        filters = officer_scope(principal, filters)
    except QueryError:  # an officer of several customers names none
        return LogPage(shown, [], problems=(texts()("decisions.choose_customer"),))
    found = log.search(filters)
    if filters.customer is not None:
        shown["customer"] = filters.customer
    following = found[PAGE - 1].seq if len(found) > PAGE else None
    return LogPage(shown, found[:PAGE], following)


def _problem(error: ErrorDetails) -> str:
    """A filter's validation error, named by the filter's label."""
    field = str(error["loc"][0]) if error.get("loc") else ""
    label = texts()(f"decisions.filter.{field}") if field in FIELDS else field
    return f"{label}: {error['msg']}"


def _readable(log: DecisionLog, principal: Principal, decision_id: str) -> DecisionRecord:
    """The logged decision ``decision_id``, if ``principal`` may read it."""
    needs(principal, "auditor", "officer")
    record = log.get(decision_id)
    if record is None:
        raise NotFoundError(f"no decision `{decision_id[:100]}` in the decision log")
    check_customer(principal, record.customer)
    return record


def _own_customers(principal: Principal) -> list[str] | None:
    """The customers an officer (not also an auditor or admin) chooses among, or None when it
    may name any (an auditor, or an officer for every customer)."""
    if principal.roles & {"auditor", "admin"} or "*" in principal.customers:
        return None
    return sorted(principal.customers)


def _url(filters: dict[str, str], before: int | None = None) -> str:
    """The log's page for ``filters`` (and a cursor).

    >>> _url({"customer": "mod"}, before=7), _url({})
    ('/decisions?customer=mod&before=7', '/decisions')
    """
    query = {**filters, **({"before": str(before)} if before else {})}
    return "/decisions" + (f"?{urlencode(query)}" if query else "")
