"""Failed conditions in words: facts named as records and fields, comparisons by their terms.

A why-not node keeps its condition as written (``agreement_customer(a_2, steppe_systems)``) for
lawyers; :func:`missing_text` and friends give the sentence an officer reads beside it ("the
`agreement` a_2 does not have `customer` steppe_systems (it has kazspecmash)"). The words for
records and fields come from the fact vocabulary's glossary; without one, the predicate is named.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from policyeval.engine.builtins import Pattern
from policyeval.engine.glossary import BaseTerm, Glossary
from policyeval.engine.store import FactStore
from policyeval.language.syntax import Value

_FALSE_COMPARISON = {
    "<=": ("is after", "is greater than"),
    "<": ("is not before", "is not less than"),
    ">=": ("is before", "is less than"),
    ">": ("is not after", "is not greater than"),
    "==": ("differs from", "differs from"),
    "!=": ("is the same as", "is the same as"),
}
"""How a false comparison reads: (between dates, between other values)."""


def plain(value: Value | None) -> str:
    """A value as people write it: dates ISO, text without quotes."""
    if value is None:
        return "(none)"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def article(noun: str) -> str:
    """``an organization``, ``a person``."""
    return ("an " if noun.lstrip("`")[:1] in tuple("aeiou") else "a ") + noun


def comparison_text(operator: str, left: str, right: str, dates: bool) -> str:
    """What is wrong when ``left operator right`` is false, both sides already described.

    >>> comparison_text("<=", "2026-01-16 (D)", "2026-01-05 (Day)", dates=True)
    '2026-01-16 (D) is after 2026-01-05 (Day)'
    """
    words = _FALSE_COMPARISON.get(operator, (f"is not {operator}",) * 2)
    return f"{left} {words[0] if dates else words[1]} {right}"


def term_of(glossary: Glossary, predicate: str) -> BaseTerm | None:
    """The record kind and field giving ``predicate`` (the first, when several kinds do)."""
    terms = glossary.get(predicate)
    return terms[0] if terms else None


def field_source(term: BaseTerm, row: Sequence[Value | None], position: int) -> str:
    """Where the value at ``position`` of a row comes from: ``permit pm_1's `valid_until```."""
    if term.relation_fields:
        fields = term.relation_fields
        name = fields[position] if position < len(fields) else term.args[position].lower()
        return f"the `{term.kind}` record's `{name}`"
    if position == 0:
        return f"the `{term.kind}` {plain(row[0])}"
    return f"`{term.field}` of the `{term.kind}` {plain(row[0])}"


def missing_text(glossary: Glossary, predicate: str, pattern: Pattern, store: FactStore) -> str:
    """A missing base fact in record words; the values on record instead, when there are."""
    term = term_of(glossary, predicate)
    if term is None or " " in term.field:  # unknown, or computed from several records
        return _no_fact(term, predicate, pattern)
    on = _on_day(term, pattern)
    if term.entity:
        return f"{plain(pattern[0])} is not {article(term.kind)}"
    if term.relation_fields:
        named = [
            f"`{field}` {plain(value)}"
            for field, value in zip(term.relation_fields, pattern, strict=False)
            if value is not None
        ]
        return f"no `{term.kind}` record{_with(named)}{on}"
    subject = pattern[0]
    values = [pattern[i] for i in term.value_positions]
    if subject is None:
        named = [f"`{term.field}` {plain(v)}" for v in values if v is not None]
        return f"no `{term.kind}` record{_with(named)}{on}"
    if term.flag:
        return f"the `{term.kind}` {plain(subject)} does not have `{term.field}: true`{on}"
    wanted = " ".join(plain(v) for v in values if v is not None)
    actual = on_record(store, term, pattern)
    if not wanted:
        return f"the `{term.kind}` {plain(subject)} has no `{term.field}`{on}"
    instead = f" (it has {', '.join(actual)})" if actual else f" (it has no `{term.field}`)"
    return f"the `{term.kind}` {plain(subject)} does not have `{term.field}` {wanted}{on}{instead}"


def _no_fact(term: BaseTerm | None, predicate: str, pattern: Pattern) -> str:
    """A missing fact the glossary cannot name as one record's field."""
    shown = ", ".join("_" if v is None else plain(v) for v in pattern)
    if term is None:
        return f"no fact {predicate}({shown})"
    return f"the `{term.kind}` records do not make {predicate}({shown}) hold ({term.field})"


def on_record(store: FactStore, term: BaseTerm, pattern: Pattern) -> list[str]:
    """The values the record's field has instead (on the day asked, for a dated field)."""
    probe = [pattern[0]] + [None] * (len(pattern) - 1)
    if term.dated:
        probe[-1] = pattern[-1]
    found: list[str] = []
    for row, _ in store.match(term.predicate, probe):
        shown = " ".join(plain(row[i]) for i in term.value_positions)
        if shown not in found:
            found.append(shown)
    return found[:4]


def sort_of(glossary: Glossary, store: FactStore, entity: Value, day: Value | None) -> str:
    """What ``entity`` is, by the sort facts on record: ``nurtech is an organization (of
    `org_kind` commercial)``; ``unknown`` when nothing is."""
    entities, sorts = sort_terms(glossary)
    kinds = [article(term.kind) for term in entities if store.holds(term.predicate, (entity,))]
    details: list[str] = []
    for term in sorts:
        if day is not None or not term.dated:
            pattern: list[Value | None] = [entity] + [None] * (len(term.args) - 1)
            if term.dated:
                pattern[-1] = day
            details.extend(
                f"`{term.field}` {plain(row[1])}" for row, _ in store.match(term.predicate, pattern)
            )
    what = " and ".join(dict.fromkeys(kinds)) or "not on record as anything"
    extra = f" (of {', '.join(dict.fromkeys(details))})" if details else ""
    return f"{plain(entity)} is {what}{extra}"


SortTerms = tuple[tuple[BaseTerm, ...], tuple[BaseTerm, ...]]
"""A glossary's entity kinds' own terms and its other sort terms, each in glossary order."""

_SORT_TERMS: dict[int, tuple[Glossary, SortTerms]] = {}
"""By a glossary's id: the glossary itself (so the id is not reused while kept) and its sort
terms. A few glossaries are kept (one per knowledge base loaded): beyond them, all are dropped
(a bound, not an eviction policy; single dict operations, as threads share it)."""
_KEPT_GLOSSARIES = 8


def sort_terms(glossary: Glossary) -> SortTerms:
    """The terms :func:`sort_of` reads in ``glossary``: its entity kinds' own predicates and the
    other sort facts (kept per glossary; a glossary is not changed once built)."""
    kept = _SORT_TERMS.get(id(glossary))
    if kept is not None and kept[0] is glossary:
        return kept[1]
    terms = [term for group in glossary.values() for term in group]
    found = (
        tuple(term for term in terms if term.entity),
        tuple(term for term in terms if term.sort and not term.entity),
    )
    if len(_SORT_TERMS) >= _KEPT_GLOSSARIES:
        _SORT_TERMS.clear()
    _SORT_TERMS[id(glossary)] = (glossary, found)
    return found


def _on_day(term: BaseTerm, pattern: Pattern) -> str:
    return f" in force on {plain(pattern[-1])}" if term.dated and pattern[-1] is not None else ""


def _with(named: list[str]) -> str:
    return " with " + ", ".join(named) if named else ""
