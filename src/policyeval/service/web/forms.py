"""The transfer question as a form: its choices from the facts, and its fields read and checked.

A form is read into :class:`QuestionForm` (the text typed, kept to show the form again) and
checked into a :class:`Question`; every problem names its field (:class:`FieldProblem`), and a
page with problems answers 422 with the form as it was sent. Ids are checked against the fact
base (and, for a what-if, the records it assumes) so an unknown id is named before anything is
decided.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from starlette.datastructures import ImmutableMultiDict

from policyeval import ALL_CUSTOMERS, FactBase, FactRecord, Principal
from policyeval.service.web.texts import texts

MAX_CHOICES = 2000
"""Options a datalist offers at most: a longer one is left out and the id typed."""
CHECKBOX_SECRETS = 60
"""Secrets offered as checkboxes at most; more are typed, with suggestions."""
LABEL_LENGTH = 90
"""Characters of a record's name shown beside its id in a choice."""

KindOf = Callable[[str], str | None]
"""The kind of the record with an id, None when there is none."""

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NOT_CUSTOMERS = frozenset({"state", "foreign"})
"""Kinds of organization never offered as customers (the Republic as owner, foreign parties)."""
QUESTION_KINDS: dict[str, tuple[str, ...]] = {
    "customer": ("organization",),
    "executor": ("organization", "person"),
    "secret": ("secret",),
}
"""The record kinds each party of the question may be (cl. 2.3: a citizen may execute)."""


@dataclass(frozen=True)
class FieldProblem:
    """What is wrong with one field of a form, in words naming the field."""

    field: str
    text: str


@dataclass(frozen=True)
class Choice:
    """An id offered in a form, with the words people know it by."""

    id: str
    label: str


@dataclass(frozen=True)
class Choices:
    """What the question's fields offer: customers, executors, secrets."""

    customers: list[Choice]
    executors: list[Choice]
    secrets: list[Choice]
    customers_fixed: bool = False
    """The principal acts for a few named customers only: a closed list, not free text."""
    most: int = MAX_CHOICES
    """The longest list offered as suggestions (a datalist)."""
    checkboxes: int = CHECKBOX_SECRETS
    """The most secrets offered as a list of checkboxes (more: typed, with suggestions)."""


@dataclass
class QuestionForm:
    """The question's fields as typed."""

    customer: str = ""
    executor: str = ""
    secrets: list[str] = field(default_factory=list)
    on: str = ""

    @classmethod
    def read(cls, form: ImmutableMultiDict[str, Any]) -> QuestionForm:
        """The fields of a posted form or a query string (``secret`` repeated, or ids
        separated by commas)."""
        values = form.getlist("secret")
        secrets = [part for value in _strings(values) for part in re.split(r"[,\s]+", value)]
        return cls(
            customer=_text(form.get("customer")),
            executor=_text(form.get("executor")),
            secrets=list(dict.fromkeys(s for s in secrets if s)),
            on=_text(form.get("on")),
        )

    @classmethod
    def today(cls) -> QuestionForm:
        return cls(on=dt.date.today().isoformat())

    @classmethod
    def offered(cls, query: ImmutableMultiDict[str, Any]) -> QuestionForm:
        """A new form, filled from a query string naming a question (the date: today)."""
        values = cls.read(query)
        values.on = values.on or dt.date.today().isoformat()
        return values


@dataclass(frozen=True)
class Question:
    """A checked transfer question."""

    customer: str
    executor: str
    secrets: list[str]
    on: dt.date


def check_question(
    form: QuestionForm, kind_of: KindOf
) -> tuple[Question | None, list[FieldProblem]]:
    """The question ``form`` asks, or None and what is wrong, each problem naming its field.
    ``kind_of`` tells the kind of a known id (``FactBase.kind_of``, or it and a what-if's
    records), None for an unknown one."""
    t = texts()
    problems: list[FieldProblem] = []
    for name in ("customer", "executor"):
        value = getattr(form, name)
        problems += _id_problems(name, [value] if value else [], kind_of)
    problems += _id_problems("secret", form.secrets, kind_of)
    on, date_problem = read_date(form.on)
    if date_problem:
        problems.append(
            FieldProblem("on", t("ask.problem.field", field=t("ask.field.on"), text=date_problem))
        )
    if problems or on is None:
        return None, problems
    return Question(form.customer, form.executor, form.secrets, on), []


def read_date(text: str) -> tuple[dt.date | None, str | None]:
    """A date typed ``YYYY-MM-DD``, or why it is not one.

    >>> read_date("2026-03-10")
    (datetime.date(2026, 3, 10), None)
    >>> read_date("10.03.2026")[1]
    'write the date as YYYY-MM-DD (got `10.03.2026`)'
    """
    t = texts()
    if not text:
        return None, t("ask.problem.date_missing")
    if not _DATE.fullmatch(text):
        return None, t("ask.problem.date_format", value=text[:40])
    try:
        return dt.date.fromisoformat(text), None
    except ValueError:
        return None, t("ask.problem.date_invalid", value=text)


def _id_problems(name: str, ids: list[str], kind_of: KindOf) -> list[FieldProblem]:
    """Problems of the ids typed into the field ``name``: none given, unknown, or of a kind
    the field does not take."""
    t = texts()
    label = t(f"ask.field.{name}")
    if not ids:
        named = t("ask.field.secrets") if name == "secret" else label
        missing = t("ask.problem.missing")
        return [FieldProblem(name, t("ask.problem.field", field=named, text=missing))]
    wanted = QUESTION_KINDS[name]
    kinds = t("ask.problem.or").join(_a(kind) for kind in wanted)
    problems = []
    for id_ in ids:
        kind = kind_of(id_)
        if kind is None:
            text = t("ask.problem.unknown", id=id_[:80], kinds=kinds)
        elif kind not in wanted:
            text = t("ask.problem.wrong_kind", id=id_, kind=_a(kind), kinds=kinds)
        else:
            continue
        problems.append(FieldProblem(name, t("ask.problem.field", field=label, text=text)))
    return problems


def _a(kind: str) -> str:
    """``a secret``, ``an organization``: a record kind with its article.

    >>> _a("organization"), _a("person")
    ('an organization', 'a person')
    """
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind.replace('_', ' ')}"


def question_choices(fact_base: FactBase, principal: Principal) -> Choices:
    """The customers ``principal`` may ask for, every executor and every secret on record."""
    records = fact_base.records
    organizations = records.get("organization", {})
    fixed = _officer_only(principal) and ALL_CUSTOMERS not in principal.customers
    if fixed:
        customers = [
            Choice(id_, label(organizations[id_]) if id_ in organizations else id_)
            for id_ in sorted(principal.customers)
        ]
    else:
        customers = choices(r for r in organizations.values() if _may_be_customer(r))
    people = list(records.get("person", {}).values())
    if len(organizations) + len(people) > MAX_CHOICES:
        people = []  # a long list: the organizations suggested, a citizen's id typed
    executors = choices(r for r in [*organizations.values(), *people] if not _of_kind(r, {"state"}))
    secrets = choices(records.get("secret", {}).values())
    return Choices(customers, executors, secrets, customers_fixed=fixed)


def record_choices(fact_base: FactBase, kind: str) -> list[Choice]:
    """The records of ``kind``, as choices."""
    return choices(fact_base.records.get(kind, {}).values())


def choices(records: Iterable[FactRecord]) -> list[Choice]:
    """Records as choices, by id."""
    return sorted((Choice(r.id, label(r)) for r in records), key=lambda c: natural(c.id))


def natural(text: str) -> tuple[tuple[int, str], ...]:
    """A sort key putting ``doc_2`` before ``doc_10``.

    >>> sorted(["doc_10", "doc_2", "a"], key=natural)
    ['a', 'doc_2', 'doc_10']
    """
    return tuple(
        (int(part), "") if part.isdigit() else (-1, part) for part in re.split(r"(\d+)", text)
    )


def label(record: FactRecord) -> str:
    """A record's name (or title, or number) as people read it, shortened."""
    for name in ("name", "title", "number"):
        value = getattr(record, name, None)
        if isinstance(value, str) and value:
            return value if len(value) <= LABEL_LENGTH else value[: LABEL_LENGTH - 1] + "…"
    return ""


def _officer_only(principal: Principal) -> bool:
    """An officer who is not also a lawyer, auditor or admin: it asks for its customers only."""
    return "officer" in principal.roles and not principal.roles & {"admin", "auditor", "lawyer"}


def _may_be_customer(record: FactRecord) -> bool:
    return not _of_kind(record, _NOT_CUSTOMERS)


def _of_kind(record: FactRecord, kinds: frozenset[str] | set[str]) -> bool:
    """Whether an organization is, on every day on record, of one of ``kinds``."""
    value = getattr(record, "org_kind", None)
    if value is None:
        return False
    values = [getattr(v, "value", v) for v in value] if isinstance(value, list) else [value]
    return all(str(v) in kinds for v in values)


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _strings(values: object) -> list[str]:
    if isinstance(values, str):
        return [values]
    if isinstance(values, list | tuple):
        return [v for v in values if isinstance(v, str)]
    return []


def record_links(fact_base: FactBase) -> Callable[[str], str | None]:
    """The page of a record by its id (an organization's or a secret's own page, any other
    record's), None for an id the facts do not know."""

    def url(record_id: str) -> str | None:
        kind = fact_base.kind_of(record_id)
        if kind is None:
            return None
        if kind in ("organization", "secret"):
            return f"/{kind}s/{quote(record_id)}"
        return f"/records/{kind}/{quote(record_id)}"

    return url
