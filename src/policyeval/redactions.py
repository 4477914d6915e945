"""Redactions: which text of the decree a rule directory encodes, and when that text governs.

A rule directory declares its redaction in ``redaction.yaml`` (read with ``yaml.safe_load`` and
checked by pydantic: data, never code): the act that made it, its entry into force (a day, or the
earliest possible day when the exact one is not known) and the later redactions known whose text
the directory lacks. Several directories form a :class:`Timeline`; a question is answered by the
redaction in force on its date, as OpenFisca picks a dated formula, and every doubt about that
choice comes back as a :class:`RedactionWarning` in the answer itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from policyeval.errors import Problem, RuleSyntaxError
from policyeval.language.syntax import Location

__all__ = [
    "DECLARATION",
    "UNDECLARED",
    "AppliedRedaction",
    "EntryIntoForce",
    "KnownRedaction",
    "Redaction",
    "RedactionChoice",
    "RedactionWarning",
    "Timeline",
    "read_redaction",
]

DECLARATION = "redaction.yaml"
"""The file of a rule directory that declares its redaction."""

WarningCode = Literal["undeclared", "not_yet_in_force", "uncertain_start", "later_redaction"]


class EntryIntoForce(BaseModel):
    """When a redaction enters into force: ``earliest`` is the day itself when ``exact``, else
    the earliest day it can be (a question on or after it may fall under it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    earliest: dt.date
    exact: bool = False
    basis: str = Field(default="", description="what the day rests on, in a sentence")

    def text(self) -> str:
        """The day as a lawyer would state it.

        >>> EntryIntoForce(earliest=dt.date(2024, 6, 22), basis="publication + 10 days").text()
        'not before 2024-06-22 (exact date unknown: publication + 10 days)'
        """
        if self.exact:
            return f"on {self.earliest.isoformat()}"
        basis = f": {self.basis}" if self.basis else ""
        return f"not before {self.earliest.isoformat()} (exact date unknown{basis})"


class KnownRedaction(BaseModel):
    """A redaction of the decree: its name, the act that made it and its entry into force."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    redaction: str = Field(min_length=1, description="its name, e.g. `2021`")
    enacted_by: str = Field(min_length=1, description="the act, e.g. `Decree No. 259 of …`")
    in_force: EntryIntoForce
    changes: str = Field(default="", description="what it changed, in a sentence")

    def label(self) -> str:
        return f"the {self.redaction} redaction ({self.enacted_by})"


class Redaction(KnownRedaction):
    """The redaction a rule directory encodes, and the later ones known whose text it lacks."""

    title: str = Field(min_length=1, description="the title of the Rules in this redaction")
    later: tuple[KnownRedaction, ...] = ()

    @property
    def declared(self) -> bool:
        return self.redaction != UNDECLARED_NAME


UNDECLARED_NAME = "undeclared"

UNDECLARED = Redaction(
    redaction=UNDECLARED_NAME,
    enacted_by="not stated",
    title="not stated",
    in_force=EntryIntoForce(earliest=dt.date.min, exact=True),
)
"""The redaction of a rule directory without a declaration (for any date, with a warning)."""


class AppliedRedaction(BaseModel):
    """The redaction whose rules answered a question, as the answer states it."""

    redaction: str
    title: str
    enacted_by: str
    period: str = Field(description="the period this redaction governs, in a sentence")
    starts: EntryIntoForce | None = Field(description="its entry into force; null if undeclared")
    ends: EntryIntoForce | None = Field(
        description="the entry into force of the next redaction known; null if none is known"
    )


class RedactionWarning(BaseModel):
    """Why the rules applied may not be the law on the question's date."""

    code: WarningCode
    message: str


@dataclass(frozen=True, slots=True)
class RedactionChoice:
    """The redaction a question dated ``day`` is answered by: its position in the timeline,
    how the answer states it, and the warnings the answer carries."""

    day: dt.date
    index: int
    applied: AppliedRedaction
    warnings: tuple[RedactionWarning, ...]


@dataclass(frozen=True)
class Timeline:
    """The encoded redactions in order of entry into force, and the later ones known."""

    encoded: tuple[Redaction, ...]

    @classmethod
    def of(cls, redactions: Iterable[Redaction]) -> Timeline:
        """The redactions sorted by entry into force; raises `RuleSyntaxError` when they do
        not form one timeline (an undeclared one among several, a name or a start twice)."""
        ordered = tuple(sorted(redactions, key=_start))
        problems = _timeline_problems(ordered)
        if problems:
            raise RuleSyntaxError("the redactions do not form one timeline", problems)
        return cls(ordered)

    def known_later(self) -> list[KnownRedaction]:
        """Later redactions declared known but whose rules are not here, by entry into force."""
        encoded = {r.redaction for r in self.encoded}
        known = {k.redaction: k for r in self.encoded for k in r.later}
        known = {name: k for name, k in known.items() if name not in encoded}
        return sorted(known.values(), key=_start)

    def choose(self, day: dt.date) -> RedactionChoice:
        """The redaction in force on ``day`` (the last to enter into force by then; the first
        if none had), stated with its period and every warning about the choice."""
        started = [i for i, r in enumerate(self.encoded) if _start(r) <= day]
        index = started[-1] if started else 0
        chosen = self.encoded[index]
        warnings = [
            *_undeclared(chosen),
            *_not_yet(chosen, day, started),
            *_uncertain_start(self.encoded, index, day),
            *(_later(chosen, k, day) for k in self.known_later() if _is_later(k, chosen, day)),
        ]
        return RedactionChoice(day, index, self.applied(index), tuple(warnings))

    def applied(self, index: int) -> AppliedRedaction:
        """The ``index``-th encoded redaction as an answer states it."""
        chosen = self.encoded[index]
        following = [*self.encoded[index + 1 :], *self.known_later()]
        after = [r for r in following if _start(r) > _start(chosen)]
        ends = min(after, key=_start) if after else None
        return AppliedRedaction(
            redaction=chosen.redaction,
            title=chosen.title,
            enacted_by=chosen.enacted_by,
            period=_period(chosen, ends),
            starts=chosen.in_force if chosen.declared else None,
            ends=ends.in_force if ends else None,
        )


def read_redaction(directory: Path) -> Redaction | None:
    """The redaction ``directory/redaction.yaml`` declares, or ``None`` when there is no such
    file; raises `RuleSyntaxError` locating what is wrong with it."""
    path = directory / DECLARATION
    if not path.is_file():
        return None
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Redaction.model_validate(document)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problems = [Problem("bad_redaction", f"cannot read it: {exc}", Location(str(path), 1))]
    except ValidationError as exc:
        problems = [_problem(path, error) for error in exc.errors()]
    raise RuleSyntaxError(f"invalid redaction declaration `{path}`", problems)


def _problem(path: Path, error: ErrorDetails) -> Problem:
    where = ".".join(str(part) for part in error["loc"]) or "the file"
    return Problem("bad_redaction", f"{where}: {error['msg']}", Location(str(path), 1))


def _start(redaction: KnownRedaction) -> dt.date:
    return redaction.in_force.earliest


def _timeline_problems(ordered: Sequence[Redaction]) -> list[Problem]:
    problems: list[Problem] = []
    if len(ordered) > 1 and not all(r.declared for r in ordered):
        text = "a rule directory beside others must declare its redaction in `redaction.yaml`"
        problems.append(Problem("bad_redaction", text))
    for earlier, later in pairwise(ordered):
        if _start(earlier) == _start(later):
            text = (
                f"the {earlier.redaction} and {later.redaction} redactions enter into force "
                f"on one day, {_start(later).isoformat()}"
            )
            problems.append(Problem("bad_redaction", text))
    names = [r.redaction for r in ordered]
    problems += [
        Problem("bad_redaction", f"the {name} redaction is declared twice")
        for name in sorted({n for n in names if names.count(n) > 1})
    ]
    return problems


def _period(chosen: Redaction, ends: KnownRedaction | None) -> str:
    """The period ``chosen`` governs, in a sentence."""
    if not chosen.declared:
        return "not stated: the rules declare no redaction"
    period = f"in force {chosen.in_force.text()}"
    if ends is None:
        return f"{period}; no later redaction is known"
    return f"{period}, until {ends.label()} enters into force, {ends.in_force.text()}"


def _undeclared(chosen: Redaction) -> list[RedactionWarning]:
    if chosen.declared:
        return []
    text = (
        "the rules declare no redaction of the decree (no `redaction.yaml`): which text they "
        "encode, and for which period, is not stated"
    )
    return [RedactionWarning(code="undeclared", message=text)]


def _not_yet(chosen: Redaction, day: dt.date, started: list[int]) -> list[RedactionWarning]:
    if started:
        return []
    text = (
        f"on {day.isoformat()} {chosen.label()} was not yet in force (it is "
        f"{chosen.in_force.text()}); the text in force then is not encoded here, so this "
        f"answer applies the {chosen.redaction} redaction and may not be the law on that day"
    )
    return [RedactionWarning(code="not_yet_in_force", message=text)]


def _uncertain_start(
    encoded: Sequence[Redaction], index: int, day: dt.date
) -> list[RedactionWarning]:
    chosen = encoded[index]
    if index == 0 or chosen.in_force.exact:
        return []
    previous = encoded[index - 1]
    text = (
        f"{chosen.label()} enters into force {chosen.in_force.text()}; if "
        f"{day.isoformat()} is before that day, {previous.label()} still governs and the "
        "answer may differ"
    )
    return [RedactionWarning(code="uncertain_start", message=text)]


def _is_later(known: KnownRedaction, chosen: Redaction, day: dt.date) -> bool:
    return _start(chosen) < _start(known) <= day


def _later(chosen: Redaction, known: KnownRedaction, day: dt.date) -> RedactionWarning:
    changes = f" It changed: {known.changes}." if known.changes else ""
    text = (
        f"on {day.isoformat()} a later redaction may be in force: {known.label()} amended the "
        f"Rules, in force {known.in_force.text()}. Its text is not encoded here; this answer "
        f"applies {chosen.label()} and may not be the law on {day.isoformat()}.{changes}"
    )
    return RedactionWarning(code="later_redaction", message=text)
