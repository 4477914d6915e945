"""What would make a refused question allowed: the smallest changes to the facts, each checked.

From the why-not tree, the failed conditions on the closest ways to holding are turned into
edits of the facts: a missing fact is added (a field set, a record added), a false comparison
has the stored value it read moved to the boundary (a permit's `valid_until` to the day of the
transfer), and an atom whose negation a rule needs loses one of the facts under its proof (the
foreign share of the chain removed, or ended before the day). A fact the vocabulary marks as a
sort (a person, an organization of kind `foreign`) or fixed (a citizenship) is never edited.

Every candidate is *checked*: the question is asked again with the edit assumed (facts added
and retracted in a what-if, the fact base untouched); one that does not make it allowed is
extended by the failures that remain, for a few rounds, and dropped if it still does not. Only
checked edits are offered, smallest first. When no edit is possible within the facts, the
advice says which fixed facts stand in the way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field, PrivateAttr

from policyeval.engine import budget
from policyeval.engine.glossary import BaseTerm, Glossary
from policyeval.engine.store import ALWAYS, BaseFact, FactSource
from policyeval.errors import EvaluationTimeout
from policyeval.evaluator import Evaluator
from policyeval.explain.model import (
    FactRef,
    FailedCondition,
    ProofNode,
    RuleFailure,
    ValueOrigin,
)
from policyeval.explain.reasons import question_records, rank_alternatives
from policyeval.explain.wording import article, plain, term_of
from policyeval.language.syntax import Value

__all__ = ["Change", "Repair", "RepairAdvice", "find_repairs"]

MAX_ROUNDS = 3
"""Rounds of extending an edit by the failures that remain once it is assumed."""
MAX_CHECKS = 24
"""Questions asked again per refusal, at most."""
MAX_REPAIRS = 3
"""Checked repairs offered."""
BRANCHING = 4
"""Candidate edits kept per condition and per round."""
SEARCH_SECONDS: float | None = 2.0
"""How long the search for repairs may take, at most, inside the evaluation's own budget: a
candidate that gives up a large table (a share of a long ownership chain) can make one check
slow, and a refusal must not wait for its repairs. Read when a search starts; ``None``: no cap
but the evaluation's budget and :data:`MAX_CHECKS` (the tests: a wall-clock cap would make what
a refusal says depend on the machine's speed)."""


class Change(BaseModel):
    """One edit of the facts, in the words of the fact files."""

    action: Literal["add", "set", "change", "remove"]
    kind: str = Field(description="the record kind")
    record: str | None = Field(default=None, description="the record's id (new: a suggested one)")
    field: str | None = None
    value: str | None = Field(default=None, description="the new value")
    previous: str | None = Field(default=None, description="the value on record, if changed")
    text: str
    source: FactRef | None = Field(default=None, description="the record changed, where it is")


class Repair(BaseModel):
    """Changes that together make the question allowed; ``checked``: decided again with them
    assumed, and allowed."""

    changes: list[Change]
    text: str = Field(exclude=True)
    """The changes in one sentence, for people (not serialized: the changes' texts say it)."""
    checked: bool = True
    _facts: tuple[tuple[BaseFact, ...], tuple[BaseFact, ...]] = PrivateAttr(default=((), ()))

    def facts(self) -> tuple[tuple[BaseFact, ...], tuple[BaseFact, ...]]:
        """The base facts the repair adds and those it retracts (as stored: a dated one with
        its period), as the check assumed them; empty for a repair read back from JSON."""
        return self._facts


class RepairAdvice(BaseModel):
    """The checked repairs of a refusal, smallest first, or why there is none."""

    repairs: list[Repair] = Field(default_factory=list)
    none_because: str | None = Field(
        default=None, description="why no change within the facts makes it allowed"
    )

    def render(self, indent: str = "") -> str:
        """The repairs as plain indented text (or why there is none)."""
        if not self.repairs:
            return f"{indent}no repair: {self.none_because}"
        lines = [f"{indent}would be allowed with (each checked: decided again with it assumed):"]
        for number, repair in enumerate(self.repairs, start=1):
            first, *rest = repair.changes
            lines.append(f"{indent}  {number}. {first.text}")
            lines += [f"{indent}     and {change.text}" for change in rest]
        return "\n".join(lines)


@dataclass(frozen=True)
class _Edit:
    """Facts to add and facts to retract (as stored), with their descriptions."""

    add: tuple[BaseFact, ...] = ()
    remove: tuple[BaseFact, ...] = ()
    changes: tuple[Change, ...] = ()

    def __add__(self, other: _Edit) -> _Edit:
        """Both edits, the later winning: a fact this one added and the other retracts is
        simply not added (a value moved twice is moved once, to where the other put it)."""
        retracted = {(fact.predicate, fact.args) for fact in other.remove}
        kept = tuple(f for f in self.add if (f.predicate, f.args) not in retracted)
        added = {(fact.predicate, fact.args) for fact in self.add}
        removed = tuple(f for f in other.remove if (f.predicate, f.args) not in added)
        changes: dict[tuple[str, str | None, str | None], Change] = {}
        for change in (*self.changes, *other.changes):
            key = (change.kind, change.record, change.field)
            earlier = changes.get(key)
            if earlier is not None and change.action == "change" == earlier.action:
                change = _moved_twice(earlier, change)
            changes[key if change.action == "change" else (change.text, None, None)] = change
        return _Edit(_union(kept, other.add), _union(self.remove, removed), tuple(changes.values()))

    def key(self) -> tuple[frozenset[BaseFact], frozenset[BaseFact]]:
        return frozenset(self.add), frozenset(self.remove)


@dataclass
class _Search:
    evaluator: Evaluator
    predicate: str
    args: tuple[Value, ...]
    glossary: Glossary
    assumed: tuple[BaseFact, ...] = ()
    """Facts the question itself assumed (a what-if): every edit is made on top of them."""
    retracted: tuple[BaseFact, ...] = ()
    """Facts on record the question itself took away (a what-if): they stay away."""
    checks: int = 0
    fixed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    """Failed conditions a repair would meet only by replacing a value on record."""
    asked: frozenset[str] = frozenset()
    """The records the question names: what is asked about is not removed to allow it."""

    checked: dict[tuple[frozenset[BaseFact], frozenset[BaseFact]], FailedCondition | None] = field(
        default_factory=dict
    )
    """Each edit checked, by its facts: why the question still fails with it (``None``: it
    allows). A check is the why-not's walk, which decides whether the question holds on its
    way: an edit extended next round reads what remains from here instead of asking again."""

    def allowed(self, edit: _Edit) -> bool:
        self.checks += 1
        return self.remaining(edit) is None

    def remaining(self, edit: _Edit) -> FailedCondition | None:
        key = edit.key()
        if key not in self.checked:
            assume, retract = (*self.assumed, *edit.add), (*self.retracted, *edit.remove)
            self.checked[key] = self.evaluator.why_not(
                self.predicate, self.args, assume=assume, retract=retract
            )
        return self.checked[key]


def find_repairs(
    evaluator: Evaluator,
    predicate: str,
    args: Sequence[Value],
    failure: FailedCondition,
    glossary: Glossary,
    assumed: Iterable[BaseFact] = (),
    *,
    retracted: Iterable[BaseFact] = (),
    seconds: float | None = None,
) -> RepairAdvice:
    """The checked repairs of the refused ground question ``predicate(args)`` whose why-not is
    ``failure`` (asked with the facts ``assumed`` and without those ``retracted``, if it was a
    what-if). The search stops after ``seconds`` (or the evaluation's own budget, whichever
    ends first) with what it found."""
    search = _Search(
        evaluator,
        predicate,
        tuple(args),
        glossary,
        tuple(assumed),
        tuple(retracted),
        asked=question_records(failure),
    )
    limit = SEARCH_SECONDS if seconds is None else seconds
    found: list[_Edit] = []
    stopped = False
    try:
        with budget.deadline(limit):
            _search(search, failure, found)
    except EvaluationTimeout:
        budget.check()  # the evaluation's own budget is spent too: that stops the decision
        stopped = True
    ranked = sorted(found, key=lambda edit: len(edit.changes))[:MAX_REPAIRS]
    repairs = [_repair(edit) for edit in ranked]
    if repairs:
        return RepairAdvice(repairs=repairs)
    if stopped:
        return RepairAdvice(
            none_because=f"the search for repairs stopped after {limit or 0:g} s"
            " without finding one"
        )
    return RepairAdvice(none_because=_why_none(search))


def _search(search: _Search, failure: FailedCondition, found: list[_Edit]) -> None:
    """Rounds of candidate edits, each checked; ``found`` collects those that allow."""
    seen: set[tuple[frozenset[BaseFact], frozenset[BaseFact]]] = set()
    frontier: list[tuple[_Edit, FailedCondition]] = [(_Edit(), failure)]
    for _ in range(MAX_ROUNDS):
        extended: list[_Edit] = []
        for edit, remaining in frontier:
            for candidate in _fixes(remaining, search)[:BRANCHING]:
                budget.check()  # each check asks the question again
                new = edit + candidate
                if new.key() in seen or search.checks >= MAX_CHECKS:
                    continue
                seen.add(new.key())
                (found if search.allowed(new) else extended).append(new)
        if found or not extended or search.checks >= MAX_CHECKS:
            return
        frontier = [
            (edit, why)
            for edit in extended[:BRANCHING]
            if (why := search.remaining(edit)) is not None
        ]


def _repair(edit: _Edit) -> Repair:
    repair = Repair(changes=list(edit.changes), text="; ".join(c.text for c in edit.changes))
    repair._facts = (edit.add, edit.remove)
    return repair


def _why_none(search: _Search) -> str:
    """Why no repair is offered: facts no party can change, values a repair would have to
    replace, or none of the edits tried sufficed."""
    if search.fixed:
        shown = "; ".join(dict.fromkeys(search.fixed))
        return f"no change to the facts that the parties can make would allow it: {shown}"
    if search.kept:
        shown = "; ".join(dict.fromkeys(search.kept))
        return (
            "no repair by adding or ending facts: it would take replacing a value on record "
            f"(a new act of the parties or of the state body): {shown}"
        )
    tried = f" ({search.checks} tried)" if search.checks else ""
    return f"no change to the facts found that makes it allowed{tried}"


# -- candidate edits ---------------------------------------------------------------------------


def _fixes(condition: FailedCondition, search: _Search) -> list[_Edit]:
    """Edits that would each make ``condition`` hold (as far as it shows), best first."""
    if condition.kind == "not_derivable":
        return _derived_fixes(condition, search)
    if condition.kind == "missing_fact":
        return _add_fact(condition, search)
    if condition.kind == "comparison_false":
        return _move_value(condition, search)
    if condition.kind == "negation_holds" and condition.holds_because is not None:
        return _remove_blocker(condition.holds_because, condition.args, search)
    return []


def _derived_fixes(condition: FailedCondition, search: _Search) -> list[_Edit]:
    """The fixes of a derived condition's rules that can apply, closest rule first."""
    fixes: list[_Edit] = []
    for rule in rank_alternatives(condition):
        fixes.extend(_rule_fixes(rule, search))
    for rule in condition.alternatives:
        if rule.does_not_apply:
            _note_fixed(search, rule.does_not_apply)
    return fixes[:BRANCHING]


def _rule_fixes(rule: RuleFailure, search: _Search) -> list[_Edit]:
    """Edits fixing the failed conditions of ``rule`` at once (one choice per condition). A
    condition with no edit of its own is left to the check: fixing another may fix it too (a
    later conclusion date moves the day its secrets were listed)."""
    combined = [_Edit()]
    for condition in rule.failed:
        options = _fixes(condition, search)
        if options:
            combined = [edit + option for edit in combined for option in options][:BRANCHING]
    return [edit for edit in combined if edit.changes]


def _add_fact(condition: FailedCondition, search: _Search) -> list[_Edit]:
    predicate = condition.predicate or ""
    term = term_of(search.glossary, predicate)
    pattern = list(condition.args)
    if term is None:
        return []
    if term.sort or term.fixed:
        _note_fixed(search, condition.text or condition.condition)
        return []
    if term.entity or any(pattern[i] is None for i in term.value_positions):
        return []  # a value nothing in the question or the facts determines
    if _would_replace(search, term, pattern):
        _note_kept(search, condition.text or condition.condition)
        return []
    record = pattern[0]
    if record is None and not term.relation_fields:
        record = f"new_{term.kind}"
        pattern[0] = record
    stored = _stored_args(term, pattern)
    if stored is None:
        return []
    fact = BaseFact(predicate, stored, FactSource("(repair)", 0, str(record)))
    return [_Edit(add=(fact,), changes=(_added(term, pattern, condition),))]


def _move_value(condition: FailedCondition, search: _Search) -> list[_Edit]:
    """A false comparison made true by moving a stored side to the other side's value."""
    if condition.operator not in ("<=", "<", ">=", ">") or len(condition.values) != 2:
        return []
    left, right = condition.values
    edits: list[_Edit] = []
    for origin in condition.origins:
        term = term_of(search.glossary, origin.predicate)
        if term is None or term.sort or term.fixed or term.entity:
            if term is not None:
                _note_fixed(search, condition.text)
            continue
        other = right if origin.side == "left" else left
        wanted = _boundary(condition.operator, origin.side, other)
        old = tuple(origin.args)
        if wanted is None or origin.source is None:
            continue
        stored_old = _as_stored(term, old, origin.source)
        new_row = list(old)
        new_row[origin.position] = wanted
        stored_new = _as_stored(term, tuple(new_row), origin.source)
        change = _changed(term, old, origin.position, wanted, condition.operator, origin)
        fact = BaseFact(origin.predicate, stored_new, FactSource("(repair)", 0, str(old[0])))
        removed = (BaseFact(origin.predicate, stored_old), *_computed_rows(term, old, search))
        edits.append(_Edit(add=(fact,), remove=removed, changes=(change,)))
    return edits


def _remove_blocker(
    proof: ProofNode, blocked_args: Sequence[object], search: _Search
) -> list[_Edit]:
    """Each fact under the proof of the blocking atom that the parties could end, removed."""
    edits: list[_Edit] = []
    for node in proof.fact_nodes():
        term = term_of(search.glossary, node.predicate or "")
        if term is None or node.source is None or node.source.record in search.asked:
            continue
        if term.sort or term.fixed:
            _note_fixed(search, f"{node.atom} ({node.source.file}:{node.source.line})")
            continue
        args = tuple(node.args)
        stored = _as_stored(term, args, node.source)
        day = args[-1] if term.dated else None
        change = _removed(term, args, node.source, day)
        removed = (BaseFact(node.predicate or "", stored), *_computed_rows(term, args, search))
        edits.append(_Edit(remove=removed, changes=(change,)))
    return edits


def _computed_rows(term: BaseTerm, args: Sequence[Value], search: _Search) -> tuple[BaseFact, ...]:
    """The stored rows computed from the records a changed fact counts in (the sum of a
    capital's shares): retracted with it, so a check never counts on a sum that no longer
    holds. The edit may then be too strict, never too lenient."""
    store = search.evaluator.knowledge_base.facts
    schema = store.schema()
    rows: list[BaseFact] = []
    for name, position in term.computed:
        if name not in schema or position >= len(args):
            continue
        pattern: list[Value | None] = [args[position]] + [None] * (schema[name] - 1)
        for row, source in store.match(name, pattern):
            period = source.period if source is not None else None
            stored = (*row[:-1], *period) if store.is_dated(name) and period else tuple(row)
            rows.append(BaseFact(name, stored))
    return tuple(rows)


# -- facts as stored ---------------------------------------------------------------------------


def _stored_args(term: BaseTerm, pattern: Sequence[Value | None]) -> tuple[Value, ...] | None:
    """A fact to add, as stored: a dated one in force from the day asked."""
    if any(value is None for value in (pattern[:-1] if term.dated else pattern)):
        return None
    values = tuple(v for v in pattern if v is not None)
    if not term.dated:
        return values
    day = pattern[-1]
    start = day if isinstance(day, dt.date) else ALWAYS[0]
    return (*values[: len(term.args) - 1], start, ALWAYS[1])


def _as_stored(term: BaseTerm, args: Sequence[object], source: FactRef) -> tuple[Value, ...]:
    """A matched row (a dated one with the day asked) as stored, with its period."""
    values: tuple[Value, ...] = tuple(args)  # type: ignore[arg-type]
    if not term.dated:
        return values
    start = source.valid_from or ALWAYS[0]
    end = source.valid_to or ALWAYS[1]
    return (*values[:-1], start, end)


def _boundary(operator: str, side: str | None, other: Value) -> Value | None:
    """The value a side must take for the comparison to hold, nearest the other side."""
    step = {"<": -1, ">": 1}.get(operator, 0) * (1 if side == "left" else -1)
    if isinstance(other, dt.date):
        return other + dt.timedelta(days=step)
    if isinstance(other, int) and not isinstance(other, bool):
        return other + step
    return None


def _would_replace(search: _Search, term: BaseTerm, pattern: Sequence[Value | None]) -> bool:
    """Whether adding the fact would replace the value a single-valued field already has (the
    customer of an agreement, the head of an organization): not offered as a repair."""
    if term.many or term.relation_fields or term.flag or pattern[0] is None:
        return False
    probe: list[Value | None] = [pattern[0]] + [None] * (len(pattern) - 1)
    if term.dated:
        probe[-1] = pattern[-1]
    store = search.evaluator.knowledge_base.facts
    return store.holds(term.predicate, probe)


def _note_kept(search: _Search, text: str) -> None:
    search.kept.append(text)


def _note_fixed(search: _Search, text: str) -> None:
    search.fixed.append(f"{text} (a fact the parties cannot change)")


def _moved_twice(first: Change, second: Change) -> Change:
    """One change of a value moved by two: from where it was on record to where it ends."""
    text = second.text.replace(f"from {second.previous} ", f"from {first.previous} ", 1)
    return second.model_copy(update={"previous": first.previous, "text": text})


def _union(left: tuple[BaseFact, ...], right: tuple[BaseFact, ...]) -> tuple[BaseFact, ...]:
    return tuple(dict.fromkeys((*left, *right)))


# -- changes in words --------------------------------------------------------------------------


def _added(term: BaseTerm, pattern: Sequence[Value | None], condition: FailedCondition) -> Change:
    values = [pattern[i] for i in term.value_positions]
    shown = ", ".join(plain(v) for v in values)
    when = (
        f", in force from {plain(pattern[-1])}"
        if term.dated and isinstance(pattern[-1], dt.date)
        else ""
    )
    if term.relation_fields:
        fields = ", ".join(
            f"`{field}` {plain(value)}"
            for field, value in zip(term.relation_fields, values, strict=False)
        )
        text = f"add {article(f'`{term.kind}`')} record with {fields}{when}"
        return Change(action="add", kind=term.kind, text=text, value=shown)
    record = plain(pattern[0])
    new = record.startswith("new_") and condition.args and condition.args[0] is None
    if new:
        kind = article(f"`{term.kind}`")
        text = f"add {kind} record (say {record}) with `{term.field}` {shown}{when}"
        return Change(
            action="add", kind=term.kind, record=record, field=term.field, value=shown, text=text
        )
    if term.many:
        text = f"add {shown} to `{term.field}` of the `{term.kind}` {record}"
        return Change(
            action="add", kind=term.kind, record=record, field=term.field, value=shown, text=text
        )
    if term.flag:
        text = f"set `{term.field}: true` on the `{term.kind}` {record}{when}"
        return Change(
            action="set", kind=term.kind, record=record, field=term.field, value="true", text=text
        )
    text = f"set `{term.field}` of the `{term.kind}` {record} to {shown}{when}"
    return Change(
        action="set", kind=term.kind, record=record, field=term.field, value=shown, text=text
    )


def _changed(
    term: BaseTerm,
    old: Sequence[Value],
    position: int,
    wanted: Value,
    operator: str,
    origin: ValueOrigin,
) -> Change:
    field = term.relation_fields[position] if term.relation_fields else term.field
    smaller = (operator in ("<=", "<")) == (origin.side == "left")
    direction = "earlier" if smaller else "later"
    if isinstance(wanted, int):
        direction = "less" if smaller else "more"
    source = origin.source
    record = plain(old[0]) if not term.relation_fields else (source.record if source else None)
    text = (
        f"change `{field}` of the `{term.kind}` {record} from {plain(old[position])} "
        f"to {plain(wanted)} (or {direction})"
    )
    return Change(
        action="change",
        kind=term.kind,
        record=record,
        field=field,
        value=plain(wanted),
        previous=plain(old[position]),
        text=text,
        source=source,
    )


def _removed(term: BaseTerm, args: Sequence[Value], source: FactRef, day: Value | None) -> Change:
    where = f"{source.file}:{source.line}"
    ending = f", or end it before {plain(day)}" if day is not None else ""
    if term.relation_fields:
        fields = ", ".join(
            f"`{f}` {plain(v)}" for f, v in zip(term.relation_fields, args, strict=False)
        )
        text = f"remove the `{term.kind}` record {source.record} ({where}: {fields}){ending}"
        return Change(
            action="remove", kind=term.kind, record=source.record, text=text, source=source
        )
    values = " ".join(plain(args[i]) for i in term.value_positions)
    text = (
        f"remove `{term.field}` {values} from the `{term.kind}` {plain(args[0])} ({where}){ending}"
    )
    return Change(
        action="remove",
        kind=term.kind,
        record=plain(args[0]),
        field=term.field,
        value=values,
        text=text,
        source=source,
    )
