"""Refusal reasons as an officer reads them, from a why-not tree.

Of several rules for one condition, the one closest to holding is followed (fewest failed
conditions below it, a condition with no applicable rule counting as unreachable); the others
are folded into its reason as ``other_ways``, closest first, and a rule whose condition on what
sort of thing a party is fails (``RuleFailure.does_not_apply``) is one line saying why it cannot
apply. A reason says what is wrong (the rule's ``@refusal`` wording, or its reading as not
established), lists each failed condition in words, and names the facts that block it: the facts
under the proof of an atom whose negation the rule needs (the suspension, the foreign owner and
the chain of shares that reaches it), each with its record and file:line.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel, Field

from policyeval.explain.model import (
    FactRef,
    FailedCondition,
    RuleFailure,
    periods_text,
)

__all__ = [
    "Blocker",
    "OtherWay",
    "Reason",
    "cited_clauses",
    "other_ways_heading",
    "question_records",
    "rank_alternatives",
    "reasons",
]

PER_RULE = 3
"""Reasons of one rule shown (the same condition failing for several records)."""
UNREACHABLE = 10_000
"""The cost of a condition no applicable rule can establish."""


class Blocker(BaseModel):
    """A fact on record that makes a condition fail: removing it (or ending its period) is
    what would lift the block, unless another fact blocks too."""

    fact: str
    source: FactRef | None = None

    def __str__(self) -> str:
        where = ""
        if self.source is not None:
            record = f"record {self.source.record}, " if self.source.record else ""
            period = f", {self.source.in_force()}" if self.source.dated else ""
            where = f" ({record}{self.source.file}:{self.source.line}{period})"
        return self.fact + where


class OtherWay(BaseModel):
    """Another rule for the same condition, folded under the closest one."""

    rule: str
    clause: str
    reading: str
    failed: int = Field(description="conditions that fail on this way (0 if it cannot apply)")
    does_not_apply: str | None = Field(
        default=None, description="why this way cannot apply to the question, if it cannot"
    )

    def __str__(self) -> str:
        if self.does_not_apply:
            return f"{self.rule} (clause {self.clause}) does not apply: {self.does_not_apply}"
        conditions = "condition fails" if self.failed == 1 else "conditions fail"
        return f"{self.rule} (clause {self.clause}): {self.failed} {conditions}"


class Reason(BaseModel):
    """One refusal reason: the rule and clause, what is wrong, each failed condition in words,
    the facts that block, and the other ways the same condition could have held."""

    clause: str
    rule: str
    text: str = Field(description="what is wrong, in words")
    reading: str = Field(default="", description="what the rule needs, filled with the question")
    missing: list[str] = Field(default_factory=list, description="each failed condition, in words")
    conditions: list[str] = Field(
        default_factory=list, description="the same conditions as written in the rules"
    )
    blocking: list[Blocker] = Field(
        default_factory=list, description="facts on record that make a condition fail"
    )
    other_ways: list[OtherWay] = Field(
        default_factory=list, description="other rules for the same condition, closest first"
    )
    others: int = Field(
        default=0, description="further reasons of the same rule, for other records, not shown"
    )

    def render(self, indent: str = "") -> str:
        """The reason as plain indented text, as a lawyer reads it."""
        lines = [f"{indent}clause {self.clause}, rule {self.rule}: {self.text}"]
        lines += [f"{indent}  fails: {missing}" for missing in self.missing]
        lines += [f"{indent}  blocked by {blocker}" for blocker in self.blocking]
        if self.other_ways:
            lines.append(f"{indent}  {other_ways_heading(self.other_ways)}:")
            lines += [f"{indent}    {way}" for way in self.other_ways]
        if self.others:
            lines.append(
                f"{indent}  and {self.others} more reasons of this rule, for other records"
            )
        return "\n".join(lines)


def other_ways_heading(ways: list[OtherWay]) -> str:
    """``3 other ways, each further; 1 does not apply``.

    >>> other_ways_heading([OtherWay(rule="r", clause="8", reading="", failed=2)])
    '1 other way, further'
    """
    further = sum(1 for way in ways if not way.does_not_apply)
    parts = []
    if further:
        parts.append(
            "1 other way, further" if further == 1 else f"{further} other ways, each further"
        )
    if len(ways) - further:
        cannot = len(ways) - further
        parts.append(
            "1 rule that cannot apply" if cannot == 1 else f"{cannot} rules that cannot apply"
        )
    return "; ".join(parts)


def reasons(failure: FailedCondition) -> list[Reason]:
    """One reason per rule with failed conditions along the closest way to holding."""
    found: list[Reason] = []
    _condition(failure, found, [])
    asked = question_records(failure)
    for reason in found:
        reason.blocking = [b for b in reason.blocking if not _of_records(b.source, asked)]
    return _few_per_rule(found)


def _few_per_rule(found: list[Reason]) -> list[Reason]:
    """At most :data:`PER_RULE` reasons of one rule (the same condition failing for other
    records); the last one shown counts the others."""
    kept: list[Reason] = []
    shown: dict[str, Reason] = {}
    counts: dict[str, int] = {}
    for reason in found:
        counts[reason.rule] = counts.get(reason.rule, 0) + 1
        if counts[reason.rule] <= PER_RULE:
            kept.append(reason)
            shown[reason.rule] = reason
        else:
            shown[reason.rule].others += 1
    return kept


def question_records(failure: FailedCondition) -> frozenset[str]:
    """The ids the question names: facts of those records are what is asked about, not what
    blocks it (the transfer audited, not the notice it lacked)."""
    return frozenset(str(arg) for arg in failure.args if isinstance(arg, str))


def _of_records(source: FactRef | None, records: frozenset[str]) -> bool:
    return source is not None and source.record is not None and source.record in records


def rank_alternatives(condition: FailedCondition) -> list[RuleFailure]:
    """The rules for a failed derived condition that can apply to the question, closest first
    (one whose own conditions cannot all be met comes last, but comes)."""
    return [rule for rule in sorted(condition.alternatives, key=_rank) if not rule.does_not_apply]


def cited_clauses(found: list[Reason]) -> list[str]:
    """Every clause a refusal cites: its reasons' and their folded other ways'."""
    clauses = [reason.clause for reason in found]
    clauses += [way.clause for reason in found for way in reason.other_ways]
    return list(dict.fromkeys(clauses))


def _condition(condition: FailedCondition, found: list[Reason], inherited: list[OtherWay]) -> bool:
    """Follow the closest rule for ``condition``; whether a reason took ``inherited``."""
    if not _derived(condition):
        return False
    ranked = sorted(condition.alternatives, key=_rank)
    closest, *others = ranked
    folded = inherited + [_other_way(rule) for rule in others]
    if closest.does_not_apply:  # then so does every other
        found.append(_nothing_applies(closest, others, inherited))
        return True
    return _rule(closest, found, folded)


def _rank(failure: RuleFailure) -> tuple[bool, int]:
    """Rules that can apply first, then by how many conditions fail below them."""
    return bool(failure.does_not_apply), _rule_cost(failure)


def _rule(failure: RuleFailure, found: list[Reason], inherited: list[OtherWay]) -> bool:
    """A reason for the conditions of ``failure`` that fail by themselves (facts, tests, and
    derived conditions no rule of which can apply), then the closest way of each other one."""
    leaves = [condition for condition in failure.failed if not _derived(condition)]
    stuck = [condition for condition in failure.failed if _stuck(condition)]
    taken = False
    if leaves or stuck:
        found.append(_reason(failure, leaves, stuck, inherited))
        taken = True
    for condition in failure.failed:
        if _derived(condition) and condition not in stuck:
            taken = _condition(condition, found, [] if taken else inherited) or taken
    return taken


def _reason(
    failure: RuleFailure,
    leaves: list[FailedCondition],
    stuck: list[FailedCondition],
    ways: list[OtherWay],
) -> Reason:
    return Reason(
        clause=failure.clause,
        rule=failure.rule,
        text=failure.refusal or f"not established that {failure.reading}",
        reading=failure.reading,
        missing=[_words(leaf) for leaf in leaves] + [_stuck_words(c) for c in stuck],
        conditions=[c.condition for c in [*leaves, *stuck]],
        blocking=[blocker for leaf in leaves for blocker in _blockers(leaf)],
        other_ways=ways + [_other_way(rule) for c in stuck for rule in c.alternatives],
    )


def _stuck(condition: FailedCondition) -> bool:
    """A derived condition none of whose rules can apply to the question."""
    return _derived(condition) and all(rule.does_not_apply for rule in condition.alternatives)


def _stuck_words(condition: FailedCondition) -> str:
    why = dict.fromkeys(rule.does_not_apply or "" for rule in condition.alternatives)
    return f"no rule establishes {condition.condition}: {'; '.join(why)}"


def _nothing_applies(
    closest: RuleFailure, others: list[RuleFailure], inherited: list[OtherWay]
) -> Reason:
    """A condition none of whose rules can apply to the question: the reason is the first
    rule, and what each rule says about why it cannot apply."""
    why = [closest.does_not_apply or ""]
    why += [rule.does_not_apply for rule in others if rule.does_not_apply]
    return Reason(
        clause=closest.clause,
        rule=closest.rule,
        text=closest.refusal or f"not established that {closest.reading}",
        reading=closest.reading,
        missing=list(dict.fromkeys(why)),
        conditions=[c.condition for c in closest.failed if c.kind == "missing_fact"][:1],
        other_ways=inherited + [_other_way(rule) for rule in others],
    )


def _derived(condition: FailedCondition) -> bool:
    return (
        condition.kind == "not_derivable"
        and bool(condition.alternatives)
        and not condition.see_above
    )


def _cost(condition: FailedCondition) -> int:
    if not _derived(condition):
        return 1
    return min(UNREACHABLE, min(_rule_cost(rule) for rule in condition.alternatives))


def _rule_cost(failure: RuleFailure) -> int:
    if failure.does_not_apply:
        return UNREACHABLE
    cost = sum(_cost(condition) for condition in failure.failed) + len(failure.unchecked)
    return min(UNREACHABLE, cost)


def _other_way(failure: RuleFailure) -> OtherWay:
    cost = _rule_cost(failure)
    why = failure.does_not_apply or (_first_inapplicable(failure) if cost >= UNREACHABLE else None)
    return OtherWay(
        rule=failure.rule,
        clause=failure.clause,
        reading=failure.reading,
        failed=0 if why else cost,
        does_not_apply=why,
    )


def _first_inapplicable(failure: RuleFailure) -> str | None:
    """Why a rule is unreachable: the first reason found below it that a rule cannot apply."""
    if failure.does_not_apply:
        return failure.does_not_apply
    for condition in failure.failed:
        for rule in condition.alternatives:
            found = _first_inapplicable(rule)
            if found:
                return found
    return None


def _words(leaf: FailedCondition) -> str:
    text = leaf.text or leaf.condition
    if leaf.in_force:
        text += f" ({periods_text(leaf.in_force)})"
    if leaf.others:
        text += f" (and {leaf.others} more like it)"
    return text


def _blockers(leaf: FailedCondition) -> Iterator[Blocker]:
    if leaf.kind == "negation_holds" and leaf.holds_because is not None:
        for node in leaf.holds_because.fact_nodes():
            yield Blocker(fact=node.atom, source=node.source)
