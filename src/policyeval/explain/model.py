"""What an answer carries: proof trees (why yes) and failed conditions (why not), as data.

Both serialise to JSON through pydantic and print as indented trees for a terminal. A proof's
nodes and fact references are plain dataclasses: a proof builds about a hundred of them, and
a dataclass is made in a tenth of the time a validated model takes (nothing the engine builds
needs validating). Pydantic validates them where they are read from JSON
(:func:`proof_from_json`, :func:`fact_ref_from_json`) and writes them inside the models that
carry them, with the same JSON and JSON schema as when they were models.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel, Field, TypeAdapter

from policyeval.engine.store import ALWAYS, FactSource
from policyeval.language.syntax import Value, format_value

JsonValue = str | int | dt.date


# Plain data, not a model (see the module's docstring); its docstring is the API's description.
@dataclasses.dataclass(slots=True)
class FactRef:
    """Where a base fact was loaded from, and for a fact that changes over time the days it is
    in force (``None`` when a bound is open)."""

    file: str
    line: int
    record: str | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    dated: bool = False

    def in_force(self) -> str:
        """``in force 2026-02-01 to 2026-05-31`` (or ``from …``, ``until …``, ``on every day``)
        for a dated fact; empty for one that does not change."""
        if not self.dated:
            return ""
        if self.valid_from and self.valid_to:
            return f"in force {self.valid_from.isoformat()} to {self.valid_to.isoformat()}"
        if self.valid_from:
            return f"in force from {self.valid_from.isoformat()}"
        if self.valid_to:
            return f"in force until {self.valid_to.isoformat()}"
        return "in force on every day"


def fact_ref(source: FactSource | None) -> FactRef | None:
    """How an answer names where a stored fact came from, with its period if it has one."""
    if source is None:
        return None
    if source.period is None:
        return FactRef(file=source.file, line=source.line, record=source.record)
    start, end = source.period
    return FactRef(
        file=source.file,
        line=source.line,
        record=source.record,
        valid_from=None if start == ALWAYS[0] else start,
        valid_to=None if end == ALWAYS[1] else end,
        dated=True,
    )


# Plain data, not a model (see the module's docstring); its docstring is the API's description.
@dataclasses.dataclass(slots=True)
class ProofNode:
    """One step of a proof: a ground atom and what established it.

    kind ``rule``: derived by ``rule`` (children are its body, instantiated);
    ``fact``: a base fact (``source`` says where it was loaded from);
    ``builtin`` / ``comparison``: a Python built-in or a comparison that held;
    ``absent``: a negated condition — nothing derives the atom (``note`` says why).
    """

    kind: Literal["rule", "fact", "builtin", "comparison", "absent"]
    atom: str
    predicate: str | None = None
    args: list[JsonValue] = dataclasses.field(default_factory=list)
    rule: str | None = None
    clause: str | None = None
    reading: str | None = None
    interpretation: str | None = None
    source: FactRef | None = None
    note: str | None = None
    detail: str | None = None
    """For a built-in: what it did for these arguments (the holidays a period skipped)."""
    children: list[ProofNode] = dataclasses.field(default_factory=list)

    def render(self, indent: str = "") -> str:
        """An indented plain-text tree."""
        lines = [indent + self._line()]
        for child in self.children:
            lines.append(child.render(indent + "  "))
        return "\n".join(lines)

    def _line(self) -> str:
        if self.kind == "rule":
            return f"{self.atom}  [{self.rule}, clause {self.clause}] {self.reading or ''}".rstrip()
        if self.kind == "fact":
            where = f"  @ {self.source.file}:{self.source.line}" if self.source else ""
            period = f", {self.source.in_force()}" if self.source and self.source.dated else ""
            return f"{self.atom}  (fact{period}){where}"
        if self.kind == "absent":
            return f"no {self.atom} holds ({self.note})"
        if self.detail:
            return f"{self.atom}  ({self.kind}: {self.detail})"
        return f"{self.atom}  ({self.kind})"

    def fact_nodes(self) -> Iterator[ProofNode]:
        """Every base fact the proof rests on (its ``fact`` leaves), in the tree's order."""
        if self.kind == "fact":
            yield self
        for child in self.children:
            yield from child.fact_nodes()

    def rule_ids(self) -> set[str]:
        """Every rule used anywhere in the proof."""
        found = {self.rule} if self.rule else set()
        for child in self.children:
            found |= child.rule_ids()
        return found

    def clauses(self) -> set[str]:
        """Every clause cited anywhere in the proof."""
        found = {self.clause} if self.clause else set()
        for child in self.children:
            found |= child.clauses()
        return found


_PROOF: TypeAdapter[ProofNode] = TypeAdapter(ProofNode)
_FACT_REF: TypeAdapter[FactRef] = TypeAdapter(FactRef)


def proof_from_json(value: object) -> ProofNode:
    """A proof read back from its JSON value (a decoded object), validated; raises pydantic's
    ``ValidationError`` when it is not one."""
    return _PROOF.validate_python(value)


def fact_ref_from_json(value: object) -> FactRef:
    """A fact reference read back from its JSON value (a decoded object), validated."""
    return _FACT_REF.validate_python(value)


def proof_json(node: ProofNode) -> str:
    """``node``'s tree as JSON text, as the models that carry a proof write it."""
    return _PROOF.dump_json(node).decode("utf-8")


class ValueOrigin(BaseModel):
    """Where one side of a false comparison got its value: argument ``position`` of a stored
    fact (``args`` as matched, a dated one with the day asked), so a repair can change it."""

    side: Literal["left", "right"] | None = None
    predicate: str
    args: list[JsonValue]
    position: int
    source: FactRef | None = None


FailureKind = Literal[
    "missing_fact", "not_derivable", "comparison_false", "negation_holds", "builtin_false"
]


class FailedCondition(BaseModel):
    """A condition that does not hold under the bindings the question and the holding
    conditions give. Unbound arguments are ``None`` ("any").

    ``missing_fact``: no base fact matches; ``not_derivable``: a derived condition none of
    whose rules applies (``alternatives`` say why, one per rule); ``comparison_false`` and
    ``builtin_false``: a test that came out false; ``negation_holds``: a ``not …`` condition
    whose atom does hold (``holds_because`` proves it).
    """

    kind: FailureKind
    condition: str
    text: str = ""
    """The condition in words: a missing fact as a record and field, a comparison by what
    its terms are, a blocking atom by its reading."""
    predicate: str | None = None
    args: list[JsonValue | None] = Field(default_factory=list)
    alternatives: list[RuleFailure] = Field(default_factory=list)
    holds_because: ProofNode | None = None
    see_above: bool = False
    operator: str | None = None
    """For a false comparison: its operator, ``values`` its two sides and ``origins`` the
    stored facts they were read from."""
    values: list[JsonValue] = Field(default_factory=list)
    origins: list[ValueOrigin] = Field(default_factory=list)
    others: int = 0
    """Further instances of this condition that fail the same way, not shown (the first few
    are)."""
    in_force: list[FactRef] = Field(default_factory=list)
    """For a missing fact that changes over time: the matching facts on record on other days
    (the fact is not yet, or no longer, in force on the day asked)."""

    def render(self, indent: str = "") -> str:
        head = {
            "missing_fact": f"missing fact: {self.condition}",
            "not_derivable": f"not established: {self.condition}",
            "comparison_false": f"false: {self.condition}",
            "builtin_false": f"false: {self.condition}",
            "negation_holds": f"fails: {self.condition}, because this holds:",
        }[self.kind]
        if self.see_above:
            head += "  (explained above)"
        if self.in_force:
            head += f" ({periods_text(self.in_force)})"
        lines = [indent + head]
        for alternative in self.alternatives:
            lines.append(alternative.render(indent + "  "))
        if self.holds_because is not None:
            lines.append(self.holds_because.render(indent + "  "))
        return "\n".join(lines)

    def leaves(self) -> list[FailedCondition]:
        """The failures at the bottom: missing facts, false tests, blocking atoms."""
        if self.kind != "not_derivable" or not self.alternatives:
            return [self]
        found: list[FailedCondition] = []
        for alternative in self.alternatives:
            for failed in alternative.failed:
                found.extend(failed.leaves())
        return found


class RuleFailure(BaseModel):
    """Why one rule for a condition does not apply: every body condition that fails."""

    rule: str
    clause: str
    reading: str
    refusal: str | None = None
    """The rule's refusal wording, filled: what is wrong when it does not apply."""
    interpretation: str | None = None
    does_not_apply: str | None = None
    """Set when a condition about what sort of thing a party is fails (a citizen's rule for an
    organization), or two parties it needs apart are the same: the rule cannot apply to this
    question, whatever facts are added. Says why, e.g. ``nurtech is an organization``."""
    failed: list[FailedCondition] = Field(default_factory=list)
    unchecked: list[str] = Field(
        default_factory=list,
        description="conditions not evaluated because they need a value a failed one would give",
    )

    def render(self, indent: str = "") -> str:
        lines = [f"{indent}rule {self.rule} (clause {self.clause}): {self.reading}"]
        if self.does_not_apply:
            return f"{lines[0]}\n{indent}  does not apply: {self.does_not_apply}"
        for failed in self.failed:
            lines.append(failed.render(indent + "  "))
        for text in self.unchecked:
            lines.append(f"{indent}  not checked (depends on a failed condition): {text}")
        return "\n".join(lines)


def periods_text(periods: list[FactRef]) -> str:
    """``on record, in force until 2026-02-28 (facts/x.yaml:3), but not on the day asked``."""
    shown = ", ".join(f"{ref.in_force()} ({ref.file}:{ref.line})" for ref in periods)
    return f"on record {shown}, but not on the day asked"


def render_value(value: Value | None) -> str:
    """A constant as written in rules; ``_`` for "any"."""
    return "_" if value is None else format_value(value)


FailedCondition.model_rebuild()
RuleFailure.model_rebuild()
