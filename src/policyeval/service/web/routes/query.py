"""The decree's other questions: presets (a sentence and its arguments) and any predicate.

``GET /query`` lists the presets; ``?preset=request_lacks`` (or ``?predicate=owns``) shows the
question's arguments, each offering the records it may name; ``&run=1`` answers it, as
``POST /v1/query`` does (``Snapshot.query`` on the rules in force that day, each argument read by
the type the predicate declares for it). A blank argument is unknown: the answers are a table
whose columns are the blank arguments, 50 a page, each row's proof folded beneath it; a
question without answers shows why not, in words, with the full why-not tree folded.
Answering is a GET: a question is a link to keep and share.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import QueryParams

from policyeval import (
    DatedQueryResult,
    Principal,
    ProofNode,
    QueryError,
    Snapshot,
    Value,
)
from policyeval.service.deps import SnapshotDep
from policyeval.service.limits import Evaluations, EvaluationsDep
from policyeval.service.schemas import QueryRequest
from policyeval.service.web.forms import (
    Choice,
    question_choices,
    read_date,
    record_choices,
    record_links,
)
from policyeval.service.web.pages import render
from policyeval.service.web.presets import Arg, predicate_args, predicates, preset, presets
from policyeval.service.web.session import Viewer, needs
from policyeval.service.web.texts import texts

router = APIRouter(include_in_schema=False)

PAGE = 50


@dataclass
class Asked:
    """The question the query string names: its predicate, arguments, values typed and date."""

    predicate: str = ""
    preset: str = ""
    args: tuple[Arg, ...] = ()
    values: list[str] = field(default_factory=list)
    on: str = ""
    problems: list[str] = field(default_factory=list)
    field_problems: set[str] = field(default_factory=set)


@dataclass
class Answered:
    """A question's answers (one page of them, each with its proof) or why there are none."""

    result: DatedQueryResult
    columns: list[tuple[int, str]]
    rows: list[tuple[list[Any], ProofNode | None]]
    page: int
    pages: int


@router.get("/query")
def query_page(
    request: Request, snapshot: SnapshotDep, evaluations: EvaluationsDep, principal: Viewer
) -> Response:
    """The presets; a chosen question's form; its answers once run."""
    needs(principal, "officer", "lawyer", "auditor")
    params = request.query_params
    asked = _asked(snapshot, params)
    answered = None
    if params.get("run") and asked.predicate and not asked.problems:
        answered = _answer(snapshot, evaluations, asked, _page_number(params.get("page")))
    return render(
        request,
        "query.html.j2",
        principal,
        status_code=422 if asked.problems else 200,
        asked=asked,
        answered=answered,
        presets=presets(snapshot),
        predicates=predicates(snapshot),
        record_url=record_links(snapshot.fact_base),
        choices=_choices(snapshot, principal, asked),
        page_url=lambda number: "/query?" + urlencode(_link(asked, number), doseq=True),
    )


def _asked(snapshot: Snapshot, params: QueryParams) -> Asked:
    """The question named by ``preset`` or ``predicate``, with the values typed; problems
    name the field."""
    t = texts()
    asked = Asked(on=params.get("on", "").strip(), values=params.getlist("arg"))
    key, name = params.get("preset", ""), params.get("predicate", "").strip()
    chosen = preset(key) if key else None
    if chosen is not None and chosen in presets(snapshot):
        asked.preset, asked.predicate, asked.args = chosen.key, chosen.predicate, chosen.args
    elif key:
        asked.problems.append(t("ask.query.problem.preset", preset=key[:60]))
    elif name and name in snapshot.argument_types:
        asked.predicate, asked.args = name, predicate_args(snapshot, name)
    elif name:
        asked.problems.append(t("ask.query.problem.predicate", predicate=name[:80]))
        asked.field_problems.add("predicate")
    asked.values = [v.strip() for v in asked.values[: len(asked.args)]]
    asked.values += [""] * (len(asked.args) - len(asked.values))
    if params.get("run") and asked.predicate:
        _check_values(asked)
    return asked


def _check_values(asked: Asked) -> None:
    """Arguments that must be given, and the date, checked (their types are checked with the
    predicate's, when asked)."""
    t = texts()
    for position, (arg, value) in enumerate(zip(asked.args, asked.values, strict=True)):
        if arg.given and not value:
            text = t("ask.query.problem.given", name=arg.name)
            asked.problems.append(t("ask.problem.field", field=arg.name, text=text))
            asked.field_problems.add(f"arg{position}")
    if asked.on:
        _, problem = read_date(asked.on)
        if problem:
            asked.problems.append(t("ask.problem.field", field=t("ask.query.on"), text=problem))
            asked.field_problems.add("on")


def _answer(
    snapshot: Snapshot, evaluations: Evaluations, asked: Asked, page: int
) -> Answered | None:
    """The answers of ``asked`` (one page with proofs), or None with its problems noted."""
    t = texts()
    arguments = _typed(snapshot, asked)
    if arguments is None:
        return None
    on = dt.date.fromisoformat(asked.on) if asked.on else None
    try:
        with evaluations.slot():
            result = snapshot.query(asked.predicate, arguments, on=on, proofs=False)
            pages = max(1, -(-len(result.answers) // PAGE))
            page = min(page, pages)
            shown = result.answers[(page - 1) * PAGE : page * PAGE]
            evaluator = snapshot.in_force(result.on).evaluator()
            rows = [
                (answer.values, evaluator.prove(asked.predicate, answer.values)) for answer in shown
            ]
    except QueryError as exc:
        asked.problems.append(t("ask.query.problem.query", text=exc.message))
        return None
    columns = [(i, arg.name) for i, arg in enumerate(asked.args) if not asked.values[i]]
    return Answered(result, columns, rows, page, pages)


def _typed(snapshot: Snapshot, asked: Asked) -> list[Value | None] | None:
    """The arguments as constants of the predicate's declared types (the API's reading,
    ``QueryRequest.arguments``); None with each problem named by its argument."""
    t = texts()
    try:
        request = QueryRequest.model_validate(
            {
                "predicate": asked.predicate,
                "args": [v or None for v in asked.values],
                "on": asked.on or None,
            }
        )
    except ValidationError as exc:
        asked.problems += [t("ask.query.problem.query", text=e["msg"]) for e in exc.errors()]
        return None
    values, problems = request.arguments(snapshot.argument_types.get(asked.predicate, ()))
    for index, message in problems:
        name = asked.args[index].name
        asked.problems.append(t("ask.problem.field", field=name, text=message))
        asked.field_problems.add(f"arg{index}")
    return None if problems else values


def _choices(snapshot: Snapshot, principal: Principal, asked: Asked) -> dict[str, list[Choice]]:
    """What the asked question's arguments offer: records of a kind, executors, clauses."""
    fact_base = snapshot.fact_base
    offered: dict[str, list[Choice]] = {}
    for kind in {arg.choose for arg in asked.args}:
        if kind == "executor":
            offered[kind] = question_choices(fact_base, principal).executors
        elif kind == "clause":
            offered[kind] = [Choice(entry.clause, entry.title) for entry in snapshot.clauses]
        elif kind in fact_base.records:
            offered[kind] = record_choices(fact_base, kind)
    return offered


def _link(asked: Asked, page: int) -> dict[str, Any]:
    """The query string of ``asked``, answered, at ``page``."""
    named = {"preset": asked.preset} if asked.preset else {"predicate": asked.predicate}
    return {**named, "arg": asked.values, "on": asked.on, "run": "1", "page": str(page)}


def _page_number(text: str | None) -> int:
    return int(text) if text and text.isdigit() and int(text) >= 1 else 1
