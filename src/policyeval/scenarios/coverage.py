"""What the rules encode of each sentence of the decree.

Beneath each quote of the decree in a rule file, a status line per sentence says what the rules
do with it (README, "The rule language")::

    > 1) receipt by the customer from the state body … for performance of these works;

    - Status: partly by `cl3_1.written_permission` — the answer's own executor is not read.
    - Status "At the same time": not encoded — no fact records it.

A status names its sentence by the sentence's opening words when the quote holds several. The
kinds are ``encoded`` and ``partly`` (both ``by`` at least one rule id; ``partly`` says in its note
what is missing), ``not encoded`` (its note says why) and ``not a condition`` (its note gives the
interpretation). :func:`coverage_problems` reports every sentence without a status, every status
that does not parse or names an unknown rule, and, given the decree's text, every sentence of the
decree not quoted and every quoted sentence that is not the decree's.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

from pydantic import BaseModel, Field

from policyeval.errors import Problem, sorted_problems
from policyeval.language.literate import QuoteBlock, StatusLine, scan_quote_blocks
from policyeval.language.syntax import Location, RuleSet

__all__ = [
    "DECREE_FILE",
    "DECREE_NOT_QUOTED",
    "QUOTE_NOT_IN_DECREE",
    "STATUS_INVALID",
    "STATUS_KINDS",
    "STATUS_MISSING",
    "QuotedSentence",
    "SentenceEntry",
    "Status",
    "StatusKind",
    "abbreviate",
    "coverage_problems",
    "decree_sentences",
    "parse_status",
    "quoted_sentences",
    "rule_root",
    "sentence_entries",
    "split_sentences",
]

StatusKind = Literal["encoded", "partly", "not encoded", "not a condition"]
STATUS_KINDS: tuple[StatusKind, ...] = ("encoded", "partly", "not encoded", "not a condition")
"""The statuses of a sentence, in the order the index counts them."""

DECREE_FILE = "DECREE-743.md"
"""The decree's text, committed beside the rule files, that the quotes must match."""

STATUS_MISSING = "status_missing"
STATUS_INVALID = "status_invalid"
DECREE_NOT_QUOTED = "decree_not_quoted"
QUOTE_NOT_IN_DECREE = "quote_not_in_decree"

_SYNTAX = "write `Status: KIND [by `rule.id`, …] [— note]`, KIND one of " + ", ".join(STATUS_KINDS)
_LINE = re.compile(
    r'^\s*(?:[-*+]\s+)?Status(?:\s+[“"](?P<opening>[^”"]*)[”"])?\s*:\s*(?P<rest>.*)$'
)
_REST = re.compile(
    r"^(?P<kind>not a condition|not encoded|encoded|partly)"
    r"(?:\s+by\s+(?P<rules>`[^`]+`(?:\s*(?:,|and)\s*`[^`]+`)*))?"
    r"\s*[.;]?\s*(?:[—–]\s*(?P<note>.*))?$"
)
_SENTENCE_END = re.compile(r"(?<=[.;:])\s+(?=[A-Z])")


@dataclass(frozen=True)
class Status:
    """A parsed status line: its kind, the sentence it names (by opening words), rules, note."""

    kind: StatusKind
    opening: str | None
    rules: tuple[str, ...]
    note: str
    location: Location


@dataclass(frozen=True)
class QuotedSentence:
    """One sentence of a quote, the clause it is quoted under, where, and its status."""

    clause: str
    text: str
    location: Location
    status: Status | None


class SentenceEntry(BaseModel):
    """One sentence of the decree in the clause index: its status and the rules encoding it."""

    text: str
    status: StatusKind | None = Field(default=None, description="None: no status line")
    rules: list[str] = Field(default_factory=list, description="ids of the rules encoding it")
    note: str = Field(default="", description="what is missing, why not encoded, or whose reading")
    location: str = Field(description="file:line of its quote, relative to the rule files")


def split_sentences(text: str) -> list[str]:
    """The sentences of quoted text, whitespace collapsed: each ends with ``.``, ``;`` or ``:``
    before a capital letter, or at the end.

    >>> split_sentences("It is done.\\n\\nAt the same time, it is\\n returned; 2) next")
    ['It is done.', 'At the same time, it is returned; 2) next']
    """
    flat = " ".join(text.split())
    return [sentence for sentence in _SENTENCE_END.split(flat) if sentence]


def abbreviate(sentence: str, limit: int = 160) -> str:
    """The sentence, or its opening and its end around `` … `` when longer than ``limit``.

    >>> abbreviate("one two three four five six seven eight", 20)
    'one two … eight'
    """
    if len(sentence) <= limit:
        return sentence
    head = sentence[: limit * 2 // 3].rsplit(" ", 1)[0]
    tail = sentence[-(limit // 3) :].split(" ", 1)[-1]
    return f"{head} … {tail}"


def parse_status(line: StatusLine) -> Status | Problem:
    """The status a line states, or the problem with it.

    >>> parse_status(StatusLine("- Status: partly by `a.b`, `c.d` — e", Location("f", 1)))
    Status(kind='partly', opening=None, rules=('a.b', 'c.d'), note='e', location=...)
    """
    match = _LINE.match(line.text)
    rest = _REST.match(match.group("rest").strip()) if match else None
    if match is None or rest is None:
        return Problem(STATUS_INVALID, f"this status does not parse: {_SYNTAX}", line.location)
    opening = match.group("opening")
    return Status(
        kind=cast(StatusKind, rest.group("kind")),
        opening=" ".join(opening.split()) if opening is not None else None,
        rules=tuple(re.findall(r"`([^`]+)`", rest.group("rules") or "")),
        note=(rest.group("note") or "").strip(),
        location=line.location,
    )


def _status_problems(status: Status, known: frozenset[str]) -> Iterator[Problem]:
    """What is wrong with a parsed status: missing rules or note, unknown rules."""
    where = status.location
    if status.kind in ("encoded", "partly") and not status.rules:
        yield Problem(STATUS_INVALID, f"`{status.kind}` names no rule: add `by `rule.id``", where)
    if status.kind == "not encoded" and status.rules:
        yield Problem(STATUS_INVALID, "`not encoded` names rules: say `partly`", where)
    if status.kind != "encoded" and not status.note:
        yield Problem(STATUS_INVALID, f"`{status.kind}` needs a note after `—`", where)
    for rule in status.rules:
        if rule not in known:
            yield Problem(STATUS_INVALID, f"the status names the unknown rule `{rule}`", where)


# -- the sentences of the quotes -------------------------------------------------------------


def quoted_sentences(rule_set: RuleSet) -> tuple[list[QuotedSentence], list[Problem]]:
    """Every sentence quoted in the rule files of ``rule_set`` with its status, in file order;
    and the problems of the status lines (a file that cannot be read has none)."""
    known = frozenset(rule.id for rule in rule_set.rules)
    sentences: list[QuotedSentence] = []
    problems: list[Problem] = []
    for file in dict.fromkeys(passage.location.file for passage in rule_set.clauses):
        blocks, stray = _scan(file)
        problems += [
            Problem(STATUS_INVALID, "this status line is beneath no quote", line.location)
            for line in stray
        ]
        for block in blocks:
            found, block_problems = _judge_block(block, known)
            sentences += found
            problems += block_problems
    return sentences, problems


def _scan(file: str) -> tuple[list[QuoteBlock], list[StatusLine]]:
    try:
        text = Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return [], []
    return scan_quote_blocks(text, file)


def _judge_block(
    block: QuoteBlock, known: frozenset[str]
) -> tuple[list[QuotedSentence], list[Problem]]:
    """The sentences of one quote block, each with the status its lines give it."""
    sentences = split_sentences(block.text)
    problems: list[Problem] = []
    given: dict[int, Status] = {}
    for line in block.statuses:
        status = parse_status(line)
        if isinstance(status, Problem):
            problems.append(status)
            continue
        problems += _status_problems(status, known)
        problems += _assign(status, sentences, given)
    found = [
        QuotedSentence(block.clause, text, block.location, given.get(index))
        for index, text in enumerate(sentences)
    ]
    problems += [_missing(sentence) for sentence in found if sentence.status is None]
    return found, problems


def _assign(status: Status, sentences: list[str], given: dict[int, Status]) -> list[Problem]:
    """Give the status to the one sentence it names; the problem if it names none, several, or
    one that has a status already."""
    if status.opening is None and len(sentences) > 1:
        message = (
            f'the quote holds {len(sentences)} sentences: name one, `Status "Its first words": …`'
        )
        return [Problem(STATUS_INVALID, message, status.location)]
    opening = status.opening or ""
    named = [index for index, text in enumerate(sentences) if text.startswith(opening)]
    if len(named) != 1:
        message = f"“{opening}” opens {len(named)} sentences of the quote above, not one"
        return [Problem(STATUS_INVALID, message, status.location)]
    if named[0] in given:
        return [Problem(STATUS_INVALID, "this sentence has a status already", status.location)]
    given[named[0]] = status
    return []


def _missing(sentence: QuotedSentence) -> Problem:
    message = (
        f"clause {sentence.clause}: the quoted sentence “{abbreviate(sentence.text, 80)}” has no "
        "status line beneath its quote"
    )
    return Problem(STATUS_MISSING, message, sentence.location)


# -- the clause index's view -----------------------------------------------------------------


def rule_root(rule_set: RuleSet) -> str:
    """The directory the rule files share, that the index's links are relative to."""
    files = [passage.location.file for passage in rule_set.clauses]
    files += [rule.location.file for rule in rule_set.rules if rule.location]
    if not files:
        return "."
    return os.path.commonpath([os.path.dirname(os.path.abspath(file)) for file in files])


def relative_place(location: Location, root: str) -> str:
    """``file:line`` with the file relative to ``root``, in ``/`` form."""
    file = Path(os.path.relpath(os.path.abspath(location.file), root)).as_posix()
    return f"{file}:{location.line}"


def sentence_entries(rule_set: RuleSet) -> dict[str, list[SentenceEntry]]:
    """Clause → its quoted sentences, each once (a sentence quoted twice keeps its first status
    and gathers the rules of both), in the order the rule files quote them."""
    root = rule_root(rule_set)
    merged: dict[tuple[str, str], SentenceEntry] = {}
    for sentence in quoted_sentences(rule_set)[0]:
        key = (sentence.clause, sentence.text)
        if key not in merged:
            merged[key] = _entry(sentence, root)
        elif sentence.status is not None:
            rules = merged[key].rules
            rules += [rule for rule in sentence.status.rules if rule not in rules]
    entries: dict[str, list[SentenceEntry]] = {}
    for (clause, _), entry in merged.items():
        entries.setdefault(clause, []).append(entry)
    return entries


def _entry(sentence: QuotedSentence, root: str) -> SentenceEntry:
    status = sentence.status
    return SentenceEntry(
        text=sentence.text,
        status=status.kind if status else None,
        rules=list(status.rules) if status else [],
        note=status.note if status else "",
        location=relative_place(sentence.location, root),
    )


# -- the decree ------------------------------------------------------------------------------


def decree_sentences(path: Path) -> list[QuotedSentence]:
    """The sentences of the Rules in the decree's text (the part under its last heading), each
    with its clause: ``3`` for a paragraph of clause 3, ``3.1`` for its sub-item ``1)``.

    A paragraph that does not end with ``.``, ``;`` or ``:`` continues in the next (a page
    break of the source). Footnotes (``**Footnote…``) are skipped.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    start = max((i for i, line in enumerate(lines) if line.startswith("#")), default=-1) + 1
    found: list[QuotedSentence] = []
    clause = ""
    for text, line in _paragraphs(lines, start):
        clause, body, sub = _numbered(text, clause)
        where = Location(str(path), line)
        found += [QuotedSentence(sub, s, where, None) for s in split_sentences(body)]
    return found


def _paragraphs(lines: list[str], start: int) -> Iterator[tuple[str, int]]:
    """The paragraphs from ``start`` on, page breaks joined, with their first lines."""
    pending: list[str] = []
    first = 0
    for index in range(start, len(lines) + 1):
        line = lines[index].strip() if index < len(lines) else ""
        if line and not line.startswith("**Footnote"):
            first = first if pending else index + 1
            pending.append(line)
        elif pending and (index == len(lines) or pending[-1][-1] in ".;:"):
            yield " ".join(pending), first
            pending = []


def _numbered(text: str, clause: str) -> tuple[str, str, str]:
    """The clause a paragraph opens (or the one it continues), its text, and its sub-clause."""
    if opened := re.match(r"^(\d+)\.\s+(.*)$", text):
        return opened.group(1), opened.group(2), opened.group(1)
    if item := re.match(r"^(\d+)\)\s", text):
        return clause, text, f"{clause}.{item.group(1)}"
    return clause, text, clause


def coverage_problems(rule_set: RuleSet, decree: Path | None = None) -> list[Problem]:
    """Every problem of the status lines of ``rule_set``'s quotes; with ``decree``, also every
    sentence of the decree not quoted under its clause and every quoted sentence not in it."""
    sentences, problems = quoted_sentences(rule_set)
    if decree is not None:
        problems += _decree_problems(sentences, decree_sentences(decree))
    return sorted_problems(problems)


def _decree_problems(
    quoted: Iterable[QuotedSentence], decree: list[QuotedSentence]
) -> list[Problem]:
    quoted = list(quoted)
    return [
        *_unmatched(
            quoted,
            decree,
            QUOTE_NOT_IN_DECREE,
            "the quoted sentence “{}” is not a sentence of this clause in the decree's text",
        ),
        *_unmatched(
            decree,
            quoted,
            DECREE_NOT_QUOTED,
            "the decree's sentence “{}” is quoted in no rule file",
        ),
    ]


def _unmatched(
    sentences: list[QuotedSentence], others: list[QuotedSentence], code: str, template: str
) -> list[Problem]:
    """A problem ``code`` for each of ``sentences`` that is not among ``others``, in its clause."""
    known = {(s.clause, s.text) for s in others}
    return [
        Problem(code, f"clause {s.clause}: " + template.format(abbreviate(s.text, 80)), s.location)
        for s in sentences
        if (s.clause, s.text) not in known
    ]
