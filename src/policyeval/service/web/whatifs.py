"""What a what-if page carries from one post to the next, and reading it.

The records assumed so far travel as hidden fields (one JSON record each), the repairs tried
as hidden fields too (:class:`~policyeval.service.web.deciding.AppliedRepair`); records typed
as YAML or JSON in the box for power users are read with ``yaml.safe_load`` only (data, never
code). Everything is checked by the fact loader (``Snapshot.assumed``) before it is decided:
its problems name the record (by its number on the page) and the field.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml
from starlette.datastructures import FormData

from policyeval import BaseFact, FactError, Snapshot
from policyeval.service.web.deciding import MAX_REPAIRS_TRIED, AppliedRepair
from policyeval.service.web.forms import KindOf
from policyeval.service.web.record_form import form_from_record
from policyeval.service.web.texts import texts

RECORDS_FILE = "<what-if>"
"""How the fact loader names the what-if's records in its problems (their line: their number)."""


@dataclass
class WhatIf:
    """The records a what-if assumes and the repairs it tries, in the order given."""

    records: list[dict[str, Any]] = field(default_factory=list)
    repairs: list[AppliedRepair] = field(default_factory=list)

    @classmethod
    def read(cls, form: FormData) -> tuple[WhatIf, list[str]]:
        """The hidden fields of a posted what-if form, and what could not be read."""
        t = texts()
        state, problems = cls(), []
        for number, raw in enumerate(_strings(form.getlist("record")), start=1):
            try:
                record = json.loads(raw)
            except ValueError:
                record = None
            if isinstance(record, dict):
                state.records.append(record)
            else:
                problems.append(t("ask.whatif.problem.record_unreadable", number=number))
        for raw in _strings(form.getlist("repair")):
            try:
                state.repairs.append(AppliedRepair.load(raw))
            except ValueError:
                problems.append(t("ask.whatif.problem.repair_unreadable"))
        if len(state.repairs) > MAX_REPAIRS_TRIED:
            problems.append(t("ask.whatif.problem.too_many_repairs", count=MAX_REPAIRS_TRIED))
        return state, problems

    @property
    def empty(self) -> bool:
        return not self.records and not self.repairs

    def hidden_records(self) -> list[str]:
        return [json.dumps(record, ensure_ascii=False, default=str) for record in self.records]

    def hidden_repairs(self) -> list[str]:
        return [repair.dump() for repair in self.repairs]

    def shown_records(self) -> list[dict[str, Any]]:
        """Each record for the page: its number, kind, id, YAML and fields for the form."""
        return [
            {
                "number": number,
                "kind": str(record.get("kind", "")),
                "id": str(record.get("id", "")),
                "yaml": yaml.safe_dump(record, allow_unicode=True, sort_keys=False).strip(),
                "fields": form_from_record(record),
            }
            for number, record in enumerate(self.records, start=1)
        ]

    def kind_of(self, snapshot: Snapshot) -> KindOf:
        """Ids known to the fact base or introduced by these records, with their kinds."""
        own = {str(r.get("id")): str(r.get("kind")) for r in self.records if r.get("id")}
        base: Callable[[str], str | None] = snapshot.fact_base.kind_of
        return lambda id_: base(id_) or own.get(id_)


def read_records_text(text: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Records typed as YAML or JSON: a list of records, ``records:`` and its list, or one
    record; and what is wrong with the text."""
    t = texts()
    if not text.strip():
        return [], []
    try:
        # An alias repeats a node without copying it: nested, a few lines expand to billions
        # of values the moment anything prints or serializes them. Values are written out.
        if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, yaml.SafeLoader)):
            return [], [t("ask.whatif.problem.alias")]
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = t("ask.whatif.problem.at_line", line=mark.line + 1) if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return [], [t("ask.whatif.problem.yaml", where=where, problem=problem)]
    if isinstance(document, dict) and set(document) == {"records"}:
        document = document["records"]
    if isinstance(document, dict):
        document = [document]
    if not isinstance(document, list) or not all(isinstance(r, dict) for r in document):
        return [], [t("ask.whatif.problem.not_records")]
    return document, []


def assumed_facts(
    snapshot: Snapshot, records: list[dict[str, Any]], written: int | None = None
) -> tuple[list[BaseFact], list[str]]:
    """The records as facts over the snapshot's fact base, or every problem the fact loader
    finds, each naming the record by its number (record ``written``, the one being written in
    the form, as such) and the field."""
    t = texts()
    try:
        return snapshot.assumed(records, RECORDS_FILE), []
    except FactError as exc:
        if not exc.problems:
            return [], [exc.message]
        problems = []
        for problem in exc.problems:
            number = problem.location.line if problem.location is not None else None
            if number is None:
                problems.append(problem.message)
            elif number == written:
                problems.append(t("ask.whatif.problem.written", text=problem.message))
            else:
                problems.append(t("ask.whatif.problem.record", number=number, text=problem.message))
        return [], problems


def _strings(values: list[Any]) -> list[str]:
    return [value for value in values if isinstance(value, str)]
