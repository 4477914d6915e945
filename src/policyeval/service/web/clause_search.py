"""Finding a clause: by its number, a rule's id, a predicate, or words of the decree or a rule.

A query that is a clause number (``8``, ``8.3``, ``§ 8.3``) finds that clause and its
sub-clauses, and nothing else. Any other query is matched, case aside, against each clause's
title, quoted sentences and coverage notes, and each rule's id (a part of it), the predicate it
defines or uses (the whole name), its reading, refusal and interpretation (every word of the
query). Each hit says what matched. A linear scan of the served rules: a few hundred.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from policyeval import ClauseEntry, Rule

MatchKind = Literal[
    "number",
    "title",
    "text",
    "note",
    "rule_id",
    "defines",
    "uses",
    "reading",
    "refusal",
    "interpretation",
]

_NUMBER = re.compile(
    r"(?:§|cl\.?|clause|п\.?|пункт)?\s*(?P<number>\d+(?:\.\d+)*)[.)]?", re.IGNORECASE
)


@dataclass(frozen=True)
class Match:
    """What matched: ``kind``, with the matching sentence or predicate as ``detail``."""

    kind: MatchKind
    detail: str = ""


@dataclass(frozen=True)
class RuleHit:
    """A rule found, and what of it matched."""

    rule: Rule
    matches: tuple[Match, ...]


@dataclass(frozen=True)
class Hit:
    """A clause found: what of the clause itself matched, and its rules found."""

    entry: ClauseEntry
    matches: tuple[Match, ...] = ()
    rules: tuple[RuleHit, ...] = ()


def clause_number(query: str) -> str | None:
    """The clause number ``query`` names, if it is one.

    >>> clause_number("8.3"), clause_number("§ 8"), clause_number("cl. 4.1)"), clause_number("8a")
    ('8.3', '8', '4.1', None)
    """
    found = _NUMBER.fullmatch(query.strip())
    return found.group("number") if found else None


def search(entries: Sequence[ClauseEntry], rules: Iterable[Rule], query: str) -> list[Hit]:
    """The clauses ``query`` finds, in the decree's order."""
    number = clause_number(query)
    if number is not None:
        return [
            Hit(entry, (Match("number"),))
            for entry in entries
            if entry.clause == number or entry.clause.startswith(f"{number}.")
        ]
    needle = " ".join(query.casefold().split())
    if not needle:
        return []
    found: dict[str, list[RuleHit]] = {}
    for rule in rules:
        matches = tuple(_rule_matches(rule, needle))
        if matches:
            found.setdefault(rule.clause, []).append(RuleHit(rule, matches))
    hits = [
        Hit(entry, tuple(_clause_matches(entry, needle)), tuple(found.get(entry.clause, ())))
        for entry in entries
    ]
    return [hit for hit in hits if hit.matches or hit.rules]


def filter_text(entry: ClauseEntry, rules: Iterable[Rule]) -> str:
    """What the list's filter-as-you-type looks in for a clause: its number, title and text, and
    its rules' ids, predicates and readings."""
    parts = [entry.clause, entry.title, entry.text]
    for rule in rules:
        parts += [rule.id, rule.head.predicate, *sorted(rule.body_predicates()), rule.reading]
    return " ".join(" ".join(parts).split())


def _has_words(text: str | None, needle: str) -> bool:
    """Whether every word of ``needle`` (folded) is in ``text``.

    >>> _has_words("The Executor of the order", "order executor"), _has_words(None, "x")
    (True, False)
    """
    if not text:
        return False
    folded = " ".join(text.casefold().split())
    return all(word in folded for word in needle.split())


def _clause_matches(entry: ClauseEntry, needle: str) -> Iterator[Match]:
    if _has_words(entry.title, needle):
        yield Match("title", entry.title)
    sentences = [sentence.text for sentence in entry.sentences] or [entry.text]
    yield from (Match("text", text) for text in sentences if _has_words(text, needle))
    notes = dict.fromkeys(sentence.note for sentence in entry.sentences)
    yield from (Match("note", note) for note in notes if _has_words(note, needle))


def _rule_matches(rule: Rule, needle: str) -> Iterator[Match]:
    if " " not in needle and needle in rule.id.casefold():
        yield Match("rule_id", rule.id)
    if needle == rule.head.predicate.casefold():
        yield Match("defines", rule.head.predicate)
    used = {name.casefold(): name for name in rule.body_predicates()}
    if needle in used:
        yield Match("uses", used[needle])
    texts: list[tuple[MatchKind, str | None]] = [
        ("reading", rule.reading),
        ("refusal", rule.refusal),
        ("interpretation", rule.interpretation),
    ]
    yield from (Match(kind, text or "") for kind, text in texts if _has_words(text, needle))
