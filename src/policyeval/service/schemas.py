"""Request and response bodies of the service, in small families.

Requests carry only constants: nothing of a request is ever evaluated as code or Datalog source.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, StrictStr

from policyeval import AppliedRedaction, ClauseEntry, Rule, Value

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_text(value: object) -> object:
    """Only ``YYYY-MM-DD`` text is a date here (pydantic alone would take numbers too)."""
    if isinstance(value, dt.date) or (isinstance(value, str) and _DATE.fullmatch(value)):
        return value
    raise ValueError("expected a date written YYYY-MM-DD")


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date_text)]
"""A date given as ``YYYY-MM-DD``."""

_SURROGATE = re.compile("[\ud800-\udfff]")


def _utf8_text(value: object) -> object:
    r"""A string with a lone surrogate (JSON's ``"\ud800"``) is no text UTF-8 can carry: it
    is refused here, naming its field, before it reaches an answer that could not be written.

    >>> _utf8_text("acme"), _utf8_text(7)
    ('acme', 7)
    >>> _utf8_text("r_\ud800")
    Traceback (most recent call last):
    ValueError: contains a lone surrogate (\ud800), which is not text
    """
    if isinstance(value, str) and (found := _SURROGATE.search(value)):
        shown = found.group().encode("utf-8", "backslashreplace").decode("ascii")
        raise ValueError(f"contains a lone surrogate ({shown}), which is not text")
    return value


Utf8 = BeforeValidator(_utf8_text)
"""Refuses a string with a lone surrogate; a union's strings too when put on the union."""

Text = Annotated[StrictStr, Utf8]
"""A string of a request: strict, and text UTF-8 can carry."""

FactRecord = dict[str, Any]
"""A fact record, of the same shape as a record of a fact file."""


# -- what-if: facts assumed for one question only ------------------------------------------


class WhatIf(BaseModel):
    """Facts added for this question only; the served fact base is not changed."""

    model_config = ConfigDict(extra="forbid")

    assume: list[FactRecord] = Field(
        default_factory=list, description="fact records, as in a fact file, assumed for this call"
    )


# -- decisions ------------------------------------------------------------------------------


class TransferRequest(WhatIf):
    """May ``customer`` transfer ``secrets`` to ``executor`` on ``on``?"""

    customer: Annotated[Text, Field(min_length=1, description="the customer's id")]
    executor: Annotated[Text, Field(min_length=1, description="the executor's id")]
    secrets: Annotated[list[Text], Field(min_length=1, description="ids of the secrets")]
    on: Annotated[IsoDate, Field(description="the transfer date, YYYY-MM-DD")]


# -- queries --------------------------------------------------------------------------------


class QueryRequest(WhatIf):
    """Every row of ``predicate`` matching ``args`` (``null`` = any), with proofs if asked."""

    predicate: Annotated[
        str, Field(pattern=r"^[a-z][A-Za-z0-9_]*$", description="a predicate name"), Utf8
    ]
    args: list[Annotated[StrictStr | StrictInt | None, Utf8]] = Field(
        description="constants, read by the type the predicate declares for each argument: "
        'a string argument takes text or an integer (`8` is `"8"`), an integer argument an '
        'integer or its decimal text (`"8"` is `8`), a date argument YYYY-MM-DD text; any '
        "other value is a 422 naming the argument. Where no type is declared, strings of the "
        "form YYYY-MM-DD are dates. null matches any"
    )
    proofs: bool = True
    on: IsoDate | None = Field(
        default=None,
        description="the date the question is asked for, which picks the redaction of the "
        "decree; by default the latest date among `args`, else today",
    )

    def arguments(
        self, types: tuple[str | None, ...] = ()
    ) -> tuple[list[Value | None], list[tuple[int, str]]]:
        """The arguments as the engine's constants, each read by its declared type
        (``types``, by position: ``string``, ``integer``, ``date`` or ``None``), and each
        argument that is not of its type as (index, why)."""
        values: list[Value | None] = []
        problems: list[tuple[int, str]] = []
        for index, arg in enumerate(self.args):
            expected = types[index] if index < len(types) else None
            try:
                values.append(self._typed(arg, expected))
            except ValueError as exc:
                problems.append((index, f"argument {index + 1} of `{self.predicate}` {exc}"))
        return values, problems

    @staticmethod
    def _typed(arg: str | int | None, expected: str | None) -> Value | None:
        """``arg`` as a constant of type ``expected``, converted only when nothing is lost.

        >>> QueryRequest._typed(8, "string"), QueryRequest._typed("8", "integer")
        ('8', 8)
        >>> QueryRequest._typed("2026-03-02", "string"), QueryRequest._typed("08", "string")
        ('2026-03-02', '08')
        """
        decimal = r"0|-?[1-9][0-9]*"  # the text of an integer, nothing lost (not "08")
        if arg is None or expected is None:
            return _constant(arg)
        if expected == "string":
            return str(arg)
        if expected == "integer" and (isinstance(arg, int) or re.fullmatch(decimal, arg)):
            return int(arg)
        date = _constant(arg) if expected == "date" else None
        if isinstance(date, dt.date):
            return date
        shown = f'"{arg}"' if isinstance(arg, str) else str(arg)
        raise ValueError(f"is {'an' if expected == 'integer' else 'a'} {expected}, not {shown}")


def _constant(arg: str | int | None) -> Value | None:
    """A JSON argument as a constant: ISO date strings become dates.

    >>> _constant("2026-03-02"), _constant("acme"), _constant(7), _constant(None)
    (datetime.date(2026, 3, 2), 'acme', 7, None)
    """
    if isinstance(arg, str) and _DATE.fullmatch(arg):
        try:
            return dt.date.fromisoformat(arg)
        except ValueError:
            return arg
    return arg


# -- rules and clauses ----------------------------------------------------------------------


class RuleOut(BaseModel):
    """A rule as a lawyer reviews it: clause, reading, its Datalog and where it is written."""

    id: str
    clause: str
    reading: str
    interpretation: str | None = None
    datalog: str
    location: str | None = Field(default=None, description="file:line")

    @classmethod
    def of(cls, rule: Rule) -> RuleOut:
        where = rule.location
        return cls(
            id=rule.id,
            clause=rule.clause,
            reading=rule.reading,
            interpretation=rule.interpretation,
            datalog=str(rule),
            location=f"{where.file}:{where.line}" if where else None,
        )


ClauseOut = ClauseEntry
"""A clause of the decree with its rules and the scenarios citing it."""


# -- operations -----------------------------------------------------------------------------


class Versions(BaseModel):
    """What is being served."""

    policy_version: str
    facts_version: str
    rules: int
    clauses: int
    facts: int
    redactions: list[AppliedRedaction] = Field(
        default_factory=list, description="the redactions of the decree served, oldest first"
    )


class Health(Versions):
    """The service is up and serves these versions."""

    status: Literal["ok"] = "ok"


class ReloadResult(Versions):
    """The new versions after a successful reload, and the ones they replaced."""

    status: Literal["reloaded"] = "reloaded"
    previous_policy_version: str
    previous_facts_version: str


class Loading(BaseModel):
    """The service is up but has no rules and facts to serve yet (or its first load failed)."""

    status: Literal["loading", "failed"]
    progress: list[str] = Field(default_factory=list, description="the load's latest steps")
    problems: list[str] = Field(default_factory=list, description="why the load failed")


class LoadStatus(BaseModel):
    """A load of rules and facts (``POST /v1/reload``): running, done or failed."""

    id: str
    state: Literal["running", "done", "failed"]
    started: dt.datetime
    finished: dt.datetime | None = None
    progress: list[str] = Field(default_factory=list)
    result: ReloadResult | None = Field(default=None, description="when done: what is served")
    problems: list[str] = Field(default_factory=list, description="when failed: every problem")


# -- errors ---------------------------------------------------------------------------------


class ProblemItem(BaseModel):
    """One located problem: ``text`` is ``file:line:col: code: message``."""

    code: str
    message: str
    location: str | None = None
    field: str | None = Field(default=None, description="the request field, for invalid requests")
    text: str


class ProblemDetails(BaseModel):
    """An RFC 9457 ``application/problem+json`` body with every problem found."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str
    problems: list[ProblemItem] = Field(default_factory=list)
