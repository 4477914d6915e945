"""What an answer carries: proof trees (why yes) and failed conditions (why not), as data.

Both serialise to JSON through pydantic and print as indented trees for a terminal.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from policyeval.language.syntax import Value, format_value

JsonValue = str | int | dt.date


class FactRef(BaseModel):
    """Where a base fact was loaded from."""

    file: str
    line: int
    record: str | None = None


class ProofNode(BaseModel):
    """One step of a proof: a ground atom and what established it.

    kind ``rule``: derived by ``rule`` (children are its body, instantiated);
    ``fact``: a base fact (``source`` says where it was loaded from);
    ``builtin`` / ``comparison``: a Python built-in or a comparison that held;
    ``absent``: a negated condition — nothing derives the atom (``note`` says why).
    """

    kind: Literal["rule", "fact", "builtin", "comparison", "absent"]
    atom: str
    predicate: str | None = None
    args: list[JsonValue] = Field(default_factory=list)
    rule: str | None = None
    clause: str | None = None
    reading: str | None = None
    interpretation: str | None = None
    source: FactRef | None = None
    note: str | None = None
    children: list[ProofNode] = Field(default_factory=list)

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
            return f"{self.atom}  (fact){where}"
        if self.kind == "absent":
            return f"no {self.atom} holds ({self.note})"
        return f"{self.atom}  ({self.kind})"

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
    predicate: str | None = None
    args: list[JsonValue | None] = Field(default_factory=list)
    alternatives: list[RuleFailure] = Field(default_factory=list)
    holds_because: ProofNode | None = None
    see_above: bool = False

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
    interpretation: str | None = None
    failed: list[FailedCondition] = Field(default_factory=list)
    unchecked: list[str] = Field(
        default_factory=list,
        description="conditions not evaluated because they need a value a failed one would give",
    )

    def render(self, indent: str = "") -> str:
        lines = [f"{indent}rule {self.rule} (clause {self.clause}): {self.reading}"]
        for failed in self.failed:
            lines.append(failed.render(indent + "  "))
        for text in self.unchecked:
            lines.append(f"{indent}  not checked (depends on a failed condition): {text}")
        return "\n".join(lines)


class Reason(BaseModel):
    """A refusal reason as an officer reads it: the clause, the rule and what is missing."""

    clause: str
    rule: str
    text: str
    missing: list[str]


def reasons(failure: FailedCondition) -> list[Reason]:
    """Flatten a why-not tree into one reason per rule with failing leaf conditions."""
    found: list[Reason] = []
    seen: set[tuple[str, str]] = set()

    def walk(condition: FailedCondition) -> None:
        for alternative in condition.alternatives:
            leaves = [
                f for f in alternative.failed if f.kind != "not_derivable" or not f.alternatives
            ]
            key = (alternative.rule, alternative.reading)
            if leaves and key not in seen:
                seen.add(key)
                found.append(
                    Reason(
                        clause=alternative.clause,
                        rule=alternative.rule,
                        text=alternative.reading,
                        missing=[_leaf_text(f) for f in leaves],
                    )
                )
            for failed in alternative.failed:
                walk(failed)

    walk(failure)
    return found


def _leaf_text(failed: FailedCondition) -> str:
    if failed.kind == "missing_fact":
        return f"no fact {failed.condition}"
    if failed.kind == "not_derivable":
        return f"no rule establishes {failed.condition}"
    if failed.kind == "negation_holds":
        return f"{failed.condition} fails: the atom holds"
    return f"{failed.condition} is false"


def render_value(value: Value | None) -> str:
    """A constant as written in rules; ``_`` for "any"."""
    return "_" if value is None else format_value(value)


FailedCondition.model_rebuild()
RuleFailure.model_rebuild()
