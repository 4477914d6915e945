"""What a report shows, read from a decision's JSON.

A report is rendered from the decision as the decision log stores it (its JSON), so a decision
logged by an older or newer version of :class:`~policyeval.decree743.decisions.TransferDecision`
still renders. Fields every version has are read directly; the refusal's newer, optional fields
(``refusal``, ``blocking``, ``repairs``, ``does_not_apply``) are read by :func:`refusal_view`
alone, the one function to update when their shape changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from policyeval.explain.model import (
    FactRef,
    FailedCondition,
    ProofNode,
    fact_ref_from_json,
    proof_from_json,
)
from policyeval.language.syntax import clause_sort_key
from policyeval.scenarios.clause_index import ClauseEntry

__all__ = ["ClauseView", "FactRow", "ReasonView", "RefusalView", "RepairView", "ReportView"]

Json = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class FactRow:
    """A base fact the decision rests on, and where it was loaded from."""

    atom: str
    file: str
    line: int
    record: str | None = None
    in_force: str = ""

    @property
    def place(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class ReasonView:
    """One refusal reason: the clause and rule, the condition phrased as what is wrong (when the
    decision says it), the rule's reading, what fails and the facts that block."""

    clause: str
    rule: str
    text: str
    missing: list[str]
    refusal: str | None = None
    blocking: tuple[FactRow | str, ...] = ()
    does_not_apply: str | None = None
    other_ways: tuple[tuple[str, str], ...] = ()
    """Other rules for the same condition: (clause, what they lack)."""


@dataclass(frozen=True, slots=True)
class RepairView:
    """A change of the facts that would make the transfer allowed, and whether it was checked."""

    summary: str
    changes: list[str]
    checked: bool | None = None
    secret: str | None = None


@dataclass(frozen=True, slots=True)
class RefusalView:
    """Everything a refused decision says about why, and how to repair it."""

    reasons: list[ReasonView]
    repairs: list[RepairView]
    does_not_apply: list[str]
    no_repair: list[str]
    """Why no repair was found, where the decision says."""


@dataclass(frozen=True, slots=True)
class ClauseView:
    """A clause cited, with the decree's text as the rule files quote it."""

    clause: str
    title: str
    paragraphs: list[str]
    source: str | None


@dataclass(frozen=True, slots=True)
class ReportView:
    """The whole page: the question, the answer and everything that justifies it."""

    decision_id: str
    decision: str
    question: str
    on: str
    customer: str
    executor: str
    secrets: list[tuple[str, str]]
    assumed: int
    asked_by: str
    asked_at: str
    redaction: Json
    warnings: list[tuple[str, str]]
    policy_version: str
    facts_version: str
    proofs: list[ProofNode]
    refusal: RefusalView
    clauses: list[ClauseView]
    facts: list[FactRow]

    @property
    def verdict(self) -> str:
        """The decision in words: ``ALLOWED`` or ``REFUSED``."""
        return str(self.decision).upper()


def report_view(
    decision: Json, *, asked_by: str, asked_at: dt.datetime, clauses: Iterable[ClauseEntry]
) -> ReportView:
    """The page of ``decision`` (its JSON), asked by ``asked_by`` at ``asked_at``, quoting the
    decree's text of each clause it cites from ``clauses``."""
    proofs = _proofs(decision)
    blocking = _blocking_proofs(decision)
    refusal = refusal_view(decision)
    return ReportView(
        decision_id=str(decision.get("decision_id", "")),
        decision=str(decision.get("decision", "")),
        question=str(decision.get("question", "")),
        on=str(decision.get("on", "")),
        customer=str(decision.get("customer", "")),
        executor=str(decision.get("executor", "")),
        secrets=[
            (str(s.get("secret")), str(s.get("decision"))) for s in _list(decision, "per_secret")
        ],
        assumed=int(decision.get("assumed") or 0),
        asked_by=asked_by,
        asked_at=asked_at.isoformat(sep=" ", timespec="seconds"),
        redaction=decision.get("redaction") or {},
        warnings=[(str(w.get("code")), str(w.get("message"))) for w in _list(decision, "warnings")],
        policy_version=str(decision.get("policy_version", "")),
        facts_version=str(decision.get("facts_version", "")),
        proofs=proofs,
        refusal=refusal,
        clauses=_cited(proofs + blocking, refusal.reasons, clauses),
        facts=_facts(proofs + blocking, _why_nots(decision), refusal.reasons),
    )


def refusal_view(decision: Json) -> RefusalView:
    """The reasons of a refusal with the optional fields newer decisions carry: ``refusal``,
    ``blocking`` and ``does_not_apply`` on a reason, ``repairs`` and ``does_not_apply`` on the
    decision."""
    reasons = [_reason(r) for r in _list(decision, "reasons")]
    advice = [(None, decision.get("repairs"))]
    advice += [(s.get("secret"), s.get("repairs")) for s in _list(decision, "per_secret")]
    repairs: list[RepairView] = []
    no_repair: list[str] = []
    for secret, found in advice:
        if isinstance(found, Mapping):  # {"repairs": [...], "none_because": "..."}
            no_repair += [_text(found["none_because"])] if found.get("none_because") else []
            found = found.get("repairs")
        repairs += [_repair(r, secret) for r in _items(found) if isinstance(r, Mapping)]
    not_applying = [_text(item) for item in _items(decision.get("does_not_apply"))]
    return RefusalView(reasons, repairs, not_applying, no_repair)


def _repair(repair: Json, secret: Any) -> RepairView:
    return RepairView(
        summary=_summary(repair),
        changes=[_change(change) for change in _items(repair.get("changes"))],
        checked=_flag(repair.get("checked")),
        secret=None if secret is None else str(secret),
    )


def _summary(repair: Json) -> str:
    """A repair in one line: its own text or summary, else its changes' texts joined."""
    own = repair.get("text") or repair.get("summary")
    return str(own) if own else "; ".join(_text(c) for c in _items(repair.get("changes")))


def _reason(r: Json) -> ReasonView:
    """A reason of any version: ``text`` is the rule's reading in older decisions, what is
    wrong in newer ones (which give the reading apart, or the wrong as ``refusal``)."""
    wrong = r.get("refusal") or (r.get("text") if r.get("reading") else None)
    ways = [w for w in _list(r, "other_ways") if w.get("clause")]
    return ReasonView(
        clause=str(r.get("clause", "")),
        rule=str(r.get("rule", "")),
        text=str(r.get("reading") or r.get("text") or ""),
        missing=[_text(m) for m in _items(r.get("missing"))],
        refusal=str(wrong) if wrong else None,
        blocking=tuple(_blocking(item) for item in _items(r.get("blocking"))),
        does_not_apply=_text(r["does_not_apply"]) if r.get("does_not_apply") else None,
        other_ways=tuple((str(w["clause"]), _other_way(w)) for w in ways),
    )


def _other_way(way: Json) -> str:
    """``rule cl7.x: 2 conditions fail`` or ``rule cl7.x does not apply: …``."""
    if way.get("does_not_apply"):
        return f"rule {way.get('rule')} does not apply: {way['does_not_apply']}"
    failed = way.get("failed")
    lacks = f": {failed} condition{'' if failed == 1 else 's'} fail" if failed else ""
    return f"rule {way.get('rule')} ({_text(way.get('reading', ''))}){lacks}"


# -- reading the JSON ----------------------------------------------------------------------


def _list(data: Json, key: str) -> list[Json]:
    """The objects of a list field, or none when it is missing or null."""
    return [item for item in _items(data.get(key)) if isinstance(item, Mapping)]


def _items(value: Any) -> list[Any]:
    """A field that should be a list, as one: none for null, one item for a lone value.

    >>> _items(None), _items("x"), _items(["x", "y"])
    ([], ['x'], ['x', 'y'])
    """
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _proofs(decision: Json) -> list[ProofNode]:
    """The proofs of the allowed secrets: the decision's ``proof``, else each secret's own."""
    found = _list(decision, "proof") or [
        s["proof"] for s in _list(decision, "per_secret") if isinstance(s.get("proof"), Mapping)
    ]
    return [proof_from_json(proof) for proof in found]


def _why_nots(decision: Json) -> list[FailedCondition]:
    return [
        FailedCondition.model_validate(s["why_not"])
        for s in _list(decision, "per_secret")
        if isinstance(s.get("why_not"), Mapping)
    ]


def _blocking_proofs(decision: Json) -> list[ProofNode]:
    """The proofs of what blocks a refused secret (``not …`` conditions whose atom holds)."""
    return [proof for why_not in _why_nots(decision) for proof in _holds_because(why_not)]


def _holds_because(condition: FailedCondition) -> Iterator[ProofNode]:
    if condition.holds_because is not None:
        yield condition.holds_because
    for alternative in condition.alternatives:
        for failed in alternative.failed:
            yield from _holds_because(failed)


def _text(item: Any) -> str:
    """Any JSON item as a sentence: a string itself, an object by its first telling field."""
    if not isinstance(item, Mapping):
        return str(item)
    for key in ("summary", "refusal", "text", "reading", "condition", "fact", "atom"):
        if item.get(key):
            return str(item[key])
    return "; ".join(f"{k}: {v}" for k, v in item.items() if not isinstance(v, list | dict))


def _blocking(item: Any) -> FactRow | str:
    """A blocking fact with its place when it has one, else its text."""
    if not isinstance(item, Mapping):
        return str(item)
    nested = item.get("source")
    source: Json = nested if isinstance(nested, Mapping) else item
    if source.get("file") is None or source.get("line") is None:
        return _text(item)
    fact = _text({k: v for k, v in item.items() if k not in ("file", "line", "record")})
    return _row(fact, fact_ref_from_json(source))


def _change(change: Any) -> str:
    """A repair's edit in words: its ``text``, else ``record.field = value``."""
    if not isinstance(change, Mapping) or change.get("text"):
        return _text(change)
    place = ".".join(str(change[key]) for key in ("record", "field") if change.get(key))
    value = change.get("value")
    return f"{place} = {value}" if value is not None else f"remove {place}"


# -- what the decision cites and rests on --------------------------------------------------


def _cited(
    proofs: Sequence[ProofNode], reasons: Sequence[ReasonView], clauses: Iterable[ClauseEntry]
) -> list[ClauseView]:
    """Each clause the proofs and reasons cite, in the decree's order, with its text."""
    numbers = {reason.clause for reason in reasons if reason.clause}
    numbers |= {clause for reason in reasons for clause, _ in reason.other_ways}
    for proof in proofs:
        numbers |= proof.clauses()
    index = {entry.clause: entry for entry in clauses}
    return [_clause(number, index.get(number)) for number in sorted(numbers, key=clause_sort_key)]


def _clause(number: str, entry: ClauseEntry | None) -> ClauseView:
    if entry is None or not entry.text:
        return ClauseView(number, entry.title if entry else "", [], None)
    paragraphs = [" ".join(p.split()) for p in entry.text.split("\n\n") if p.strip()]
    return ClauseView(number, entry.title, paragraphs, entry.source)


def _facts(
    proofs: Sequence[ProofNode],
    why_nots: Sequence[FailedCondition],
    reasons: Sequence[ReasonView],
) -> list[FactRow]:
    """Every base fact shown anywhere in the decision, once, by file and line."""
    rows = [row for proof in proofs for row in _proof_facts(proof)]
    rows += [row for why_not in why_nots for row in _periods(why_not)]
    rows += [b for reason in reasons for b in reason.blocking if isinstance(b, FactRow)]
    unique = {(row.file, row.line, row.atom): row for row in reversed(rows)}
    return sorted(unique.values(), key=lambda row: (row.file, row.line, row.atom))


def _proof_facts(node: ProofNode) -> Iterator[FactRow]:
    if node.kind == "fact" and node.source is not None:
        yield _row(node.atom, node.source)
    for child in node.children:
        yield from _proof_facts(child)


def _periods(condition: FailedCondition) -> Iterator[FactRow]:
    """The facts on record on other days than the one asked, of each missing dated fact."""
    for ref in condition.in_force:
        row = _row(condition.condition, ref)
        yield replace(row, in_force=f"{row.in_force}, but not on the day asked")
    for alternative in condition.alternatives:
        for failed in alternative.failed:
            yield from _periods(failed)


def _row(atom: str, ref: FactRef) -> FactRow:
    return FactRow(atom, ref.file, ref.line, ref.record, ref.in_force())
