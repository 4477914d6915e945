"""What-if: the transfer question with records assumed (and repairs tried), the facts untouched.

One form carries the question, the records assumed so far (hidden fields, each shown as YAML
with buttons to edit or drop it), a record being written (its kind's fields, generated from
the fact schema: ``GET /whatif?kind=permit`` or the kind chosen on the page), a box for records
typed as YAML or JSON, and the repairs being tried. Its buttons post it back here with an
``action``; ``decide`` decides with everything assumed, logs the decision as a what-if (as
``POST /v1/decisions/transfer`` with ``assume`` does), and shows it beside the decision without
them, so the change ("refused → allowed") is plain. Officers ask for their customers, lawyers
for any; nothing assumed here reaches the fact base.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from policyeval import DecisionLog, Principal, Snapshot, TransferDecision, UnknownEntityError
from policyeval.service.auth import may_ask
from policyeval.service.deps import DecisionLogDep, SnapshotDep
from policyeval.service.limits import Evaluations, EvaluationsDep
from policyeval.service.web.deciding import Decider, over_limits
from policyeval.service.web.forms import (
    Question,
    QuestionForm,
    check_question,
    question_choices,
    record_links,
)
from policyeval.service.web.pages import render
from policyeval.service.web.record_form import (
    FIELD_PREFIX,
    form_from_record,
    kind_description,
    record_fields,
    record_from_form,
    record_kinds,
)
from policyeval.service.web.routes.ask import Posted
from policyeval.service.web.session import Viewer, needs
from policyeval.service.web.texts import texts
from policyeval.service.web.whatifs import WhatIf, assumed_facts, read_records_text

router = APIRouter(include_in_schema=False)


@dataclass
class Screen:
    """Everything the what-if page shows: the question, the what-if so far, the record being
    written, the YAML box, what is wrong, and the decisions once decided."""

    values: QuestionForm
    state: WhatIf = field(default_factory=WhatIf)
    kind: str = ""
    kind_values: dict[str, str] = field(default_factory=dict)
    records_text: str = ""
    problems: list[str] = field(default_factory=list)
    field_problems: set[str] = field(default_factory=set)
    decided: dict[str, Any] | None = None
    without: dict[str, Any] | None = None

    @classmethod
    def read(cls, form: FormData) -> Screen:
        state, problems = WhatIf.read(form)
        kind = _text(form.get("kind"))
        return cls(
            values=QuestionForm.read(form),
            state=state,
            kind=kind if kind in record_kinds() else "",
            kind_values={
                k: _text(v) for k, v in form.items() if k.startswith(FIELD_PREFIX) and _text(v)
            },
            records_text=_text(form.get("records_text"), strip=False),
            problems=problems,
        )


@router.get("/whatif")
def whatif_form(request: Request, snapshot: SnapshotDep, principal: Viewer) -> Response:
    """The what-if form: the question from the query string (if any), the fields of ``kind``."""
    needs(principal, "officer", "lawyer")
    query = request.query_params
    screen = Screen(QuestionForm.offered(query))
    kind = query.get("kind", "")
    if kind and kind not in record_kinds():
        screen.problems.append(texts()("ask.whatif.problem.kind", kind=kind[:60]))
    screen.kind = kind if kind in record_kinds() else ""
    return page(request, snapshot, principal, screen)


@router.post("/whatif")
def whatif(
    request: Request,
    form: Posted,
    snapshot: SnapshotDep,
    decision_log: DecisionLogDep,
    evaluations: EvaluationsDep,
    principal: Viewer,
) -> Response:
    """Act on the form: decide, or edit the what-if (add, edit or drop a record or a repair)."""
    needs(principal, "officer", "lawyer")
    screen = Screen.read(form)
    action = _text(form.get("action")) or "decide"
    if not screen.problems:
        if action == "decide":
            decide(screen, snapshot, evaluations, decision_log, principal)
        else:
            edit(screen, snapshot, action)
    return page(request, snapshot, principal, screen)


def decide(
    screen: Screen,
    snapshot: Snapshot,
    evaluations: Evaluations,
    decision_log: DecisionLog,
    principal: Principal,
) -> None:
    """Decide with the what-if assumed and without it; log the what-if. Problems (naming the
    field or the record) stop it before anything is decided."""
    t = texts()
    if screen.values.customer:  # none typed: a problem of the form, named below
        may_ask(principal, screen.values.customer, what_if=True)
    if not _take_records_text(screen, snapshot):
        return
    question, problems = check_question(screen.values, screen.state.kind_of(snapshot))
    screen.field_problems = {p.field for p in problems}
    screen.problems += [p.text for p in problems]
    screen.problems += over_limits(evaluations, screen.values.secrets, screen.state.records)
    if screen.state.empty:
        screen.problems.append(t("ask.whatif.problem.nothing_assumed"))
    facts, record_problems = assumed_facts(snapshot, screen.state.records)
    screen.problems += record_problems
    if question is None or screen.problems:
        return
    decider = Decider(snapshot, evaluations)
    add, remove, replay_problems = decider.replay(question, facts, screen.state.repairs)
    screen.problems += replay_problems
    if replay_problems:
        return
    decision = decider.decide(question, add, remove)
    payload = decision.model_dump_json()
    decision_log.record(decision, principal.name, serialized=payload)
    screen.decided = decision.model_dump(mode="json")
    screen.without = _without(decider, question)


def _without(decider: Decider, question: Question) -> dict[str, Any] | None:
    """The decision without the what-if (not logged); None when the question names ids only
    the what-if's records introduce."""
    try:
        decision: TransferDecision = decider.decide(question)
    except UnknownEntityError:
        return None
    return decision.model_dump(mode="json")


def _take_records_text(screen: Screen, snapshot: Snapshot) -> bool:
    """Move the records typed in the box to the what-if's records, if they read as records
    the fact loader accepts with the others; else keep the box and say what is wrong."""
    records, problems = read_records_text(screen.records_text)
    if not problems and records:
        _, problems = assumed_facts(snapshot, [*screen.state.records, *records])
    if problems:
        screen.problems += problems
        screen.field_problems.add("records_text")
        return False
    screen.state.records += records
    screen.records_text = ""
    return True


def edit(screen: Screen, snapshot: Snapshot, action: str) -> None:
    """Change the what-if as the button pressed says (``verb`` or ``verb:N``, N from 1);
    nothing is decided."""
    verb, _, number = action.partition(":")
    index = int(number) - 1 if number.isdigit() else -1
    if verb == "add":
        _add_record(screen, snapshot)
    elif verb == "add-records":
        _take_records_text(screen, snapshot)
    elif verb in _EDITS:
        _EDITS[verb](screen, index)


def _choose_kind(screen: Screen, index: int) -> None:
    screen.kind_values = {}


def _edit_record(screen: Screen, index: int) -> None:
    """Take record N out of the list and into the fields of its kind, to change it."""
    if 0 <= index < len(screen.state.records):
        record = screen.state.records.pop(index)
        screen.kind = str(record.get("kind", ""))
        screen.kind_values = form_from_record(record)


def _drop_record(screen: Screen, index: int) -> None:
    if 0 <= index < len(screen.state.records):
        del screen.state.records[index]


def _drop_repair(screen: Screen, index: int) -> None:
    """Stop trying repair N, and those after it (each was found on top of those before)."""
    if 0 <= index < len(screen.state.repairs):
        del screen.state.repairs[index:]


def _clear(screen: Screen, index: int) -> None:
    screen.state = WhatIf()


_EDITS: dict[str, Callable[[Screen, int], None]] = {
    "kind": _choose_kind,
    "edit-record": _edit_record,
    "drop-record": _drop_record,
    "drop-repair": _drop_repair,
    "clear": _clear,
}


def _add_record(screen: Screen, snapshot: Snapshot) -> None:
    """The record written in the kind's fields, added once the fact loader accepts it."""
    t = texts()
    if not screen.kind:
        screen.problems.append(t("ask.whatif.problem.no_kind"))
        return
    record, unread = record_from_form(screen.kind, screen.kind_values)
    problems = [t("ask.whatif.problem.field", field=name, text=why) for name, why in unread]
    if not problems:
        records = [*screen.state.records, record]
        _, problems = assumed_facts(snapshot, records, written=len(records))
    if problems:
        screen.problems += problems
        screen.field_problems.add("record")
        return
    screen.state.records.append(record)
    screen.kind_values = {}


def page(request: Request, snapshot: Snapshot, principal: Principal, screen: Screen) -> Response:
    """The what-if page; a 422 when something is wrong."""
    return render(
        request,
        "whatif.html.j2",
        principal,
        status_code=422 if screen.problems else 200,
        screen=screen,
        values=screen.values,
        field_problems=screen.field_problems,
        choices=question_choices(snapshot.fact_base, principal),
        record_url=record_links(snapshot.fact_base),
        kinds=record_kinds(),
        kind_fields=record_fields(screen.kind) if screen.kind else (),
        kind_text=kind_description(screen.kind) if screen.kind else "",
        records=screen.state.shown_records(),
        hidden_records=screen.state.hidden_records(),
        hidden_repairs=screen.state.hidden_repairs(),
        whatif={
            "records": screen.state.hidden_records(),
            "repairs": screen.state.hidden_repairs(),
        },
        changes=_changes(screen),
        may_read_log=bool(principal.roles & {"officer", "auditor", "admin"}),
    )


def _changes(screen: Screen) -> list[dict[str, str]]:
    """Per secret: the decision without the what-if and with it."""
    if screen.decided is None:
        return []
    before = {s["secret"]: s["decision"] for s in (screen.without or {}).get("per_secret", [])}
    return [
        {"secret": s["secret"], "before": before.get(s["secret"], ""), "after": s["decision"]}
        for s in screen.decided["per_secret"]
    ]


def _text(value: object, *, strip: bool = True) -> str:
    if not isinstance(value, str):
        return ""
    return value.strip() if strip else value
