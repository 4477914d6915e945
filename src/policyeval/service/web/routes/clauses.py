"""The decree clause by clause: the list (with its search), a clause's page, a rule's address.

Every signed-in role may read them: they are the law's text and the rules written from it.
The pages read the served snapshot's clause index (built when it was loaded) and its latest
redaction's rules.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from policyeval import ClauseEntry, Rule, Snapshot
from policyeval.service.deps import SnapshotDep
from policyeval.service.errors import NotFoundError
from policyeval.service.web.clause_search import filter_text, search
from policyeval.service.web.clause_view import clause_view, code_spans
from policyeval.service.web.pages import render
from policyeval.service.web.session import Viewer

router = APIRouter(include_in_schema=False)

STATUSES = ("encoded", "partly", "not encoded", "not a condition", None)
"""A sentence's statuses in the order the list counts them (None: no status line)."""


@router.get("/clauses")
def clauses(
    request: Request,
    principal: Viewer,
    snapshot: SnapshotDep,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """Every clause with its sentences' statuses; with ``q``, the clauses it finds."""
    query = q.strip()
    rules = snapshot.knowledge_base.rules.rules
    by_clause: dict[str, list[Rule]] = {}
    for rule in rules:
        by_clause.setdefault(rule.clause, []).append(rule)
    return render(
        request,
        "clauses.html.j2",
        principal,
        entries=snapshot.clauses,
        query=query,
        hits=search(snapshot.clauses, rules, query) if query else None,
        filters={e.clause: filter_text(e, by_clause.get(e.clause, ())) for e in snapshot.clauses},
        counts=_status_counts(snapshot.clauses),
        **_texts(snapshot),
    )


@router.get("/clauses/{clause}")
def clause(request: Request, clause: str, principal: Viewer, snapshot: SnapshotDep) -> Response:
    """A clause's text, each sentence with the rules implementing it, and its scenarios."""
    entry = snapshot.clause(clause)
    if entry is None:
        raise NotFoundError(f"no clause `{clause[:40]}` in the rule files")
    return render(
        request,
        "clauses_clause.html.j2",
        principal,
        view=clause_view(snapshot.clauses, entry, snapshot.knowledge_base.rules),
        **_texts(snapshot),
    )


@router.get("/rules/{rule_id}")
def rule(rule_id: str, principal: Viewer, snapshot: SnapshotDep) -> Response:
    """A rule's address: its place on its clause's page."""
    found = snapshot.knowledge_base.rules.rule(rule_id)
    if found is None:
        raise NotFoundError(f"no rule `{rule_id[:80]}`")
    target = f"/clauses/{quote(found.clause, safe='')}#rule-{quote(found.id, safe='')}"
    return RedirectResponse(target, status_code=303)


def _status_counts(entries: Sequence[ClauseEntry]) -> list[tuple[str | None, int]]:
    """How many quoted sentences have each status (a status none has is left out)."""
    counted: Counter[str | None] = Counter(s.status for e in entries for s in e.sentences)
    return [(status, counted[status]) for status in STATUSES if counted[status]]


def _texts(snapshot: Snapshot) -> dict[str, Any]:
    """What both pages need to write the rule files' texts: the redaction shown (the latest)
    when several are served, and the rule ids a note's `code` may name (linked)."""
    redactions = snapshot.redactions
    return {
        "redaction": redactions[-1] if len(redactions) > 1 else None,
        "code_spans": code_spans,
        "rule_ids": frozenset(rule.id for rule in snapshot.knowledge_base.rules.rules),
    }
