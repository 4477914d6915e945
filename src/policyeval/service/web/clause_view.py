"""What a clause's page shows: each quoted sentence of the decree with the rules its status line
names, then the clause's rules that no sentence names, each rule as written.

A rule is shown in full once, where it first appears: under the first sentence naming it, or
among the clause's other rules. A sentence naming a rule of another clause, or one shown above,
cites it by id and reading; its full text is at its own place (``/rules/{id}``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from policyeval import ClauseEntry, Rule, RuleSet


@dataclass(frozen=True)
class RuleView:
    """A rule as the page shows it."""

    rule: Rule
    location: str | None
    """``file:line`` of the rule, relative to the rule files when the index knows it."""

    @property
    def datalog(self) -> str:
        """The rule as Datalog, one condition a line.

        >>> from policyeval import parse_rules
        >>> rule = parse_rules('@id("r") @clause("1") @reading("x")\\na(X) :- b(X), not c(X).', "f")
        >>> print(RuleView(rule[0], None).datalog)
        a(X) :-
            b(X),
            not c(X).
        """
        rule = self.rule
        if not rule.body:
            return str(rule)
        conditions = ",\n    ".join(str(literal) for literal in rule.body)
        return f"{rule.head} :-\n    {conditions}."

    @property
    def uses(self) -> list[str]:
        """The predicates of its body, in name order."""
        return sorted(self.rule.body_predicates())


@dataclass(frozen=True)
class SentenceView:
    """A quoted sentence, its status, the rules shown beneath it and those it only cites."""

    text: str
    status: str | None
    note: str
    location: str
    rules: tuple[RuleView, ...]
    cited: tuple[RuleView, ...]


@dataclass(frozen=True)
class ClauseView:
    """A clause's page: its sentences, its other rules, and the clauses before and after it."""

    entry: ClauseEntry
    sentences: tuple[SentenceView, ...]
    others: tuple[RuleView, ...]
    previous: ClauseEntry | None
    following: ClauseEntry | None


def clause_view(entries: Sequence[ClauseEntry], entry: ClauseEntry, rules: RuleSet) -> ClauseView:
    """The page of ``entry`` (one of ``entries``) over the served ``rules``."""
    shown: set[str] = set()
    sentences = tuple(
        _sentence(entry, index, rules, shown) for index in range(len(entry.sentences))
    )
    others = tuple(
        _view(entry, found)
        for rule_id in entry.rules
        if rule_id not in shown and (found := rules.rule(rule_id)) is not None
    )
    position = next(i for i, e in enumerate(entries) if e.clause == entry.clause)
    return ClauseView(
        entry,
        sentences,
        others,
        entries[position - 1] if position > 0 else None,
        entries[position + 1] if position + 1 < len(entries) else None,
    )


def _sentence(entry: ClauseEntry, index: int, rules: RuleSet, shown: set[str]) -> SentenceView:
    """Sentence ``index`` of ``entry``: its rules of this clause not shown yet in full, the
    others cited; ``shown`` gains the former."""
    sentence = entry.sentences[index]
    full: list[RuleView] = []
    cited: list[RuleView] = []
    for rule_id in sentence.rules:
        found = rules.rule(rule_id)
        if found is None:
            continue
        if found.clause == entry.clause and rule_id not in shown:
            shown.add(rule_id)
            full.append(_view(entry, found))
        else:
            cited.append(_view(entry, found))
    return SentenceView(
        sentence.text,
        sentence.status,
        sentence.note,
        sentence.location,
        tuple(full),
        tuple(cited),
    )


def _view(entry: ClauseEntry, rule: Rule) -> RuleView:
    location = entry.rule_locations.get(rule.id)
    if location is None and rule.location is not None:
        location = f"{rule.location.file}:{rule.location.line}"
    return RuleView(rule, location)


def code_spans(text: str) -> list[tuple[str, bool]]:
    """``text`` cut at its backticks, each piece with whether it is code (a rule's id, a
    predicate, a value); text with an unpaired backtick is one plain piece.

    >>> code_spans("as `cl3.transfer_allowed` reads it")
    [('as ', False), ('cl3.transfer_allowed', True), (' reads it', False)]
    >>> code_spans("a ` b")
    [('a ` b', False)]
    """
    pieces = text.split("`")
    if len(pieces) % 2 == 0:
        return [(text, False)]
    return [(piece, index % 2 == 1) for index, piece in enumerate(pieces) if piece]
