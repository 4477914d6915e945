"""A decision's report as an HTML page (Jinja2, escaped) and as a PDF (WeasyPrint)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

import jinja2

from policyeval.decision_log import DecisionRecord
from policyeval.decree743.decisions import TransferDecision
from policyeval.errors import ReportError
from policyeval.loading import Snapshot
from policyeval.report.view import report_view
from policyeval.scenarios.clause_index import ClauseEntry

__all__ = ["logged_report_html", "render_report_html", "render_report_pdf", "report_clauses"]

TEMPLATE = "report.html.j2"


@cache
def _environment() -> jinja2.Environment:
    """The templates shipped in this package; every value is escaped."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("policyeval.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_report_html(
    decision: TransferDecision | Mapping[str, Any],
    *,
    asked_by: str,
    asked_at: dt.datetime,
    clauses: Iterable[ClauseEntry],
) -> str:
    """The report of ``decision`` (a model, or its JSON as the decision log keeps it): the
    question, the answer with its proof or reasons, the decree's text of every clause cited,
    the facts with their sources, versions, who asked and when. One self-contained page."""
    data = decision.model_dump(mode="json") if isinstance(decision, TransferDecision) else decision
    view = report_view(data, asked_by=asked_by, asked_at=asked_at, clauses=clauses)
    return _environment().get_template(TEMPLATE).render(report=view)


def logged_report_html(record: DecisionRecord, clauses: Iterable[ClauseEntry]) -> str:
    """The report of a decision from the decision log: who asked it, and when it was logged."""
    return render_report_html(
        record.detail, asked_by=record.asked_by, asked_at=record.recorded_at, clauses=clauses
    )


def report_clauses(snapshot: Snapshot, redaction: str | None) -> tuple[ClauseEntry, ...]:
    """The clause index of the redaction named (the one a decision applied), else the latest's."""
    for edition in snapshot.editions:
        if edition.redaction.redaction == redaction:
            return edition.clauses
    return snapshot.clauses


def render_report_pdf(html: str) -> bytes:
    """``html`` printed to PDF by WeasyPrint, which fetches nothing (the page is self-contained);
    raises `ReportError` when WeasyPrint or its system libraries (Pango) are missing."""
    try:
        import weasyprint
        from weasyprint.urls import URLFetcher
    except (ImportError, OSError) as exc:  # OSError: WeasyPrint found no Pango
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ReportError(
            "cannot print the report to PDF: WeasyPrint or the system libraries it needs "
            f"(Pango) are not installed ({first}); the HTML report needs neither"
        ) from exc
    no_fetching = URLFetcher(allowed_protocols=())
    pdf = weasyprint.HTML(string=html, url_fetcher=no_fetching).write_pdf()
    return bytes(pdf)
