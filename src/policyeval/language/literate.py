"""Literate Markdown rule files: where the Datalog blocks and the quoted decree are.

A rule file is Markdown: prose and the quoted decree (``> …``) under clause headings (``## 3.``,
``### 3.1)``, ``## Clause 8``), with the rules in fenced ``datalog`` blocks. This module finds the
blocks (each with the clause its rules cite by default) and the quoted clause texts; it knows
nothing of Datalog's syntax (:mod:`policyeval.language.parser` parses the blocks).

It also finds each block of quoted text with the ``Status …:`` lines written beneath it (what the
rules encode of each sentence); :mod:`policyeval.scenarios.coverage` reads what they say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from policyeval.language.syntax import ClauseText, Location

__all__ = [
    "DatalogBlock",
    "QuoteBlock",
    "StatusLine",
    "clause_heading",
    "scan_markdown",
    "scan_quote_blocks",
]

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*(.*?)\s*$")
_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_CLAUSE_HEADING = re.compile(
    r"^(?:clause\s+)?(\d+(?:\.\d+)*)[.):]?[*_]*(?:\s+(.*))?$", re.IGNORECASE
)
_QUOTE = re.compile(r"^ {0,3}> ?(.*)$")
_INFO_CLAUSE = re.compile(r'(?:^|\s)clause=(?:"([^"]*)"|(\S+))')
_STATUS = re.compile(r'^ {0,3}(?:[-*+][ \t]+)?Status(?:[ \t]+[“"][^”"]*[”"])?[ \t]*:')


@dataclass(frozen=True)
class DatalogBlock:
    """The content of a ``datalog`` code block and where it sits."""

    text: str
    line_offset: int
    clause: str


@dataclass
class _Quote:
    """A clause heading and the blockquote lines read under it so far."""

    clause: str
    title: str
    location: Location
    lines: list[str] = field(default_factory=list)
    interrupted: bool = False

    def add(self, line: str) -> None:
        if self.interrupted and self.lines:
            self.lines.append("")
        self.interrupted = False
        self.lines.append(line.rstrip())

    def finish(self) -> ClauseText:
        text = "\n".join(self.lines).strip("\n")
        return ClauseText(self.clause, self.title, text, self.location)


def clause_heading(heading: str) -> tuple[str, str] | None:
    """The clause number and title of a heading's text, or None if it names no clause.

    >>> clause_heading("3.1) Receipt of permission")
    ('3.1', 'Receipt of permission')
    >>> clause_heading("**6.4.** Agreement"), clause_heading("Clause 8"), clause_heading("Notes")
    (('6.4', 'Agreement'), ('8', ''), None)
    """
    match = _CLAUSE_HEADING.match(heading.strip().strip("*_").strip())
    if match is None:
        return None
    return match.group(1), (match.group(2) or "").strip().strip("*_").strip()


def _datalog_info(info: str) -> tuple[bool, str | None]:
    """Whether a fence's info string opens Datalog, and its ``clause=…`` if any."""
    words = info.split(maxsplit=1)
    if not words or words[0] != "datalog":
        return False, None
    match = _INFO_CLAUSE.search(info)
    if match is None:
        return True, None
    return True, match.group(1) or match.group(2)


def scan_markdown(text: str, file: str) -> tuple[list[DatalogBlock], list[ClauseText]]:
    """The Datalog blocks (with their default clause) and the quoted clauses of a rule file."""
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    scan = _Scan(file)
    index = 0
    while index < len(lines):
        if fence := _FENCE.match(lines[index]):
            index = scan.fenced_block(lines, index, fence)
            continue
        if heading := _HEADING.match(lines[index]):
            scan.heading(heading.group(1) or "", index + 1)
        else:
            scan.text(lines[index])
        index += 1
    scan.close_quote()
    return scan.blocks, scan.clauses


@dataclass
class _Scan:
    """What :func:`scan_markdown` has found so far in one file, and the clause it is under."""

    file: str
    blocks: list[DatalogBlock] = field(default_factory=list)
    clauses: list[ClauseText] = field(default_factory=list)
    quote: _Quote | None = None
    clause: str = ""

    def fenced_block(self, lines: list[str], start: int, fence: re.Match[str]) -> int:
        """Keep the fenced block opened at ``start`` if it is Datalog; the index after it."""
        end = _fence_end(lines, start, fence.group(1))
        is_datalog, info_clause = _datalog_info(fence.group(2))
        if is_datalog:
            content = "\n".join(lines[start + 1 : end])
            self.blocks.append(DatalogBlock(content, start + 1, info_clause or self.clause))
        if self.quote is not None:
            self.quote.interrupted = True
        return end + 1

    def heading(self, text: str, line: int) -> None:
        """Close the quote being read; a clause heading opens the next and becomes the default
        clause of the blocks below it."""
        self.close_quote()
        if numbered := clause_heading(text):
            self.clause = numbered[0]
            self.quote = _Quote(*numbered, Location(self.file, line, 1))

    def text(self, line: str) -> None:
        """Any other line: quoted text of the open clause, or an interruption of its quote."""
        if self.quote is None:
            return
        if quoted := _QUOTE.match(line):
            self.quote.add(quoted.group(1))
        else:
            self.quote.interrupted = True

    def close_quote(self) -> None:
        """Keep the quote being read, if any, as a clause text."""
        if self.quote is not None:
            self.clauses.append(self.quote.finish())
            self.quote = None


def _fence_end(lines: list[str], start: int, fence: str) -> int:
    """The index of the line closing the fence opened at ``start`` (or past the last line)."""
    closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
    for index in range(start + 1, len(lines)):
        if closing.match(lines[index]):
            return index
    return len(lines)


# -- quote blocks and their status lines -------------------------------------------------------


@dataclass(frozen=True)
class StatusLine:
    """A ``Status …:`` line (with its indented continuation lines joined) and where it starts."""

    text: str
    location: Location


@dataclass(frozen=True)
class QuoteBlock:
    """One block of consecutive quoted lines under a clause heading, and the status lines
    beneath it (after the quote, blank lines between them allowed)."""

    clause: str
    text: str
    location: Location
    statuses: tuple[StatusLine, ...] = ()


def scan_quote_blocks(text: str, file: str) -> tuple[list[QuoteBlock], list[StatusLine]]:
    """The quote blocks of a rule file with their status lines; and the status lines that are
    beneath no quote block.

    >>> text = "## 1. A\\n> It is.\\n\\n- Status: encoded\\n  by `r`"
    >>> blocks, stray = scan_quote_blocks(text, "f")
    >>> [(b.clause, b.text, [s.text for s in b.statuses]) for b in blocks], stray
    ([('1', 'It is.', ['- Status: encoded by `r`'])], [])
    """
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    scan = _QuoteScan(file)
    index = 0
    while index < len(lines):
        if fence := _FENCE.match(lines[index]):
            scan.close()
            index = _fence_end(lines, index, fence.group(1)) + 1
            continue
        if heading := _HEADING.match(lines[index]):
            scan.heading(heading.group(1) or "")
        else:
            scan.line(lines[index], index + 1)
        index += 1
    scan.close()
    return scan.blocks, scan.stray


@dataclass
class _QuoteScan:
    """What :func:`scan_quote_blocks` has found so far: the open block (quoted lines, then the
    status lines beneath it) under the open clause heading."""

    file: str
    blocks: list[QuoteBlock] = field(default_factory=list)
    stray: list[StatusLine] = field(default_factory=list)
    clause: str | None = None
    quoted: list[str] = field(default_factory=list)
    start: int = 0
    statuses: list[StatusLine] = field(default_factory=list)
    quoting: bool = False
    continuing: bool = False

    def heading(self, text: str) -> None:
        """Close the open block; a clause heading opens the clause of the next blocks."""
        self.close()
        numbered = clause_heading(text)
        self.clause = numbered[0] if numbered else None

    def line(self, line: str, number: int) -> None:
        """A quoted line, a status line, a continuation of one, a blank line, or other text."""
        quoted = _QUOTE.match(line)
        if quoted and self.clause is not None:
            self.quote(quoted.group(1), number)
        elif _STATUS.match(line):
            self.status(StatusLine(line.strip(), Location(self.file, number)))
        elif self.continuing and line[:1].isspace() and line.strip():
            last = self.statuses[-1]
            self.statuses[-1] = StatusLine(f"{last.text} {line.strip()}", last.location)
        elif line.strip():
            self.close()
        else:
            self.quoting = self.continuing = False

    def quote(self, text: str, number: int) -> None:
        """A quoted line: the next line of the open block, or the first of a new one."""
        if not self.quoting:
            self.close()
            self.start, self.quoting = number, True
        self.quoted.append(text.rstrip())

    def status(self, status: StatusLine) -> None:
        """A status line: beneath the open block, or stray."""
        if self.quoted:
            self.statuses.append(status)
            self.quoting, self.continuing = False, True
        else:
            self.stray.append(status)

    def close(self) -> None:
        """Keep the open block, if any, with its status lines."""
        if self.quoted and self.clause is not None:
            text = "\n".join(self.quoted).strip("\n")
            where = Location(self.file, self.start)
            self.blocks.append(QuoteBlock(self.clause, text, where, tuple(self.statuses)))
        self.quoted, self.statuses = [], []
        self.quoting = self.continuing = False
