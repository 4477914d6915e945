"""Reports to file: one decision as a printable page (HTML, PDF) with everything that justifies
it — the question and answer, the proof or the reasons, the decree's text of each clause cited,
the facts with their sources, the versions, who asked and when.

The page is built from the decision's JSON (:mod:`~policyeval.report.view`), so decisions logged
by older versions still render; :mod:`~policyeval.report.render` fills the shipped template.
"""

from policyeval.report.render import (
    logged_report_html,
    render_report_html,
    render_report_pdf,
    report_clauses,
)

__all__ = ["logged_report_html", "render_report_html", "render_report_pdf", "report_clauses"]
