"""Parse the Datalog of rule files into the abstract syntax of `policyeval.language.syntax`.

:mod:`policyeval.language.literate` finds the ``datalog`` blocks of a Markdown rule file; this
module parses them. A rule's clause is its ``@clause("…")`` annotation, else the block's
``clause=…`` info attribute, else the nearest clause heading above it.

Every syntax error of every file is collected and reported at once, each located in the original
file; this module is the one place that translates lark's exceptions into `RuleSyntaxError`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from policyeval.errors import Problem, RuleSyntaxError, sorted_problems
from policyeval.language.literate import scan_markdown
from policyeval.language.syntax import (
    Atom,
    ClauseText,
    Comparison,
    Const,
    Literal,
    Location,
    Negation,
    Rule,
    RuleSet,
    Term,
    Var,
    is_anonymous,
)

__all__ = ["ANNOTATIONS", "load_rule_set", "parse_rule_file", "parse_rules"]

ANNOTATIONS = ("id", "clause", "reading", "refusal", "interpretation", "given")
"""The annotation names a rule may carry, each at most once."""

PARSE_ERROR = "parse_error"


# --- Datalog blocks ---------------------------------------------------------------------------


def parse_rules(
    text: str, file: str, clause: str | None = None, line_offset: int = 0
) -> list[Rule]:
    """Parse the Datalog of one code block; ``line_offset`` is the number of file lines above it.

    ``clause`` is the clause of rules without ``@clause``. Raises `RuleSyntaxError` with every
    syntax error of the block.
    """
    context = _Context(file, line_offset, clause or "")
    rules = _parse_block(text, context)
    if context.problems:
        raise _syntax_error(context.problems)
    return rules


@cache
def _lark() -> Lark:
    grammar = (
        resources.files("policyeval.language").joinpath("grammar.lark").read_text(encoding="utf-8")
    )
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False)


@dataclass
class _Context:
    """Where a block sits in its file, its default clause, and the problems found so far."""

    file: str
    line_offset: int
    clause: str
    problems: list[Problem] = field(default_factory=list)

    def location(self, line: int | None, column: int | None) -> Location:
        return Location(self.file, (line or 1) + self.line_offset, column or 1)

    def at(self, item: Token | Tree[Token]) -> Location:
        if isinstance(item, Token):
            return self.location(item.line, item.column)
        return self.location(item.meta.line, item.meta.column)

    def error(self, message: str, location: Location) -> None:
        self.problems.append(Problem(PARSE_ERROR, message, location))


def _parse_block(text: str, context: _Context) -> list[Rule]:
    """Parse statement by statement, so that one syntax error does not hide the next."""
    rules: list[Rule] = []
    for start, end in _statement_spans(text):
        try:
            tree = _lark().parse(_padded(text, start, end))
        except UnexpectedInput as exc:
            context.error(_describe_error(exc), _error_location(exc, context))
            continue
        rules.extend(_rule(statement, context) for statement in _subtrees(tree))
    return rules


# A string (possibly unterminated), a comment, or a `.`: what splitting at rule ends must respect.
_STRING_COMMENT_OR_DOT = re.compile(r'"(?:[^"\\\n]|\\[^\n])*"?|%[^\n]*|\.')


def _statement_spans(text: str) -> Iterator[tuple[int, int]]:
    """Offsets of each statement: up to and including a `.` outside strings and comments."""
    start = 0
    for match in _STRING_COMMENT_OR_DOT.finditer(text):
        if match.group() == ".":
            yield start, match.end()
            start = match.end()
    if text[start:].strip():
        yield start, len(text)


def _padded(text: str, start: int, end: int) -> str:
    """The statement preceded by blank lines and spaces, so lark reports block positions."""
    line = text.count("\n", 0, start)
    column = start - (text.rfind("\n", 0, start) + 1)
    return "\n" * line + " " * column + text[start:end]


# --- Syntax errors ----------------------------------------------------------------------------

_TERMINALS = {
    "ANNOTATION": "an annotation such as `@id(…)`",
    "NAME": "a predicate name",
    "VAR": "a variable",
    "STRING": "a string",
    "INT": "an integer",
    "DATE": "a date",
    "CMP_OP": "a comparison operator (`=`, `!=`, `<`, `<=`, `>`, `>=`)",
    "_IF": "`:-`",
    "_NOT": "`not`",
    "_LPAR": "`(`",
    "_COMMA": "`,`",
    "_RPAR": "`)`",
    "_DOT": "`.`",
}
_TERM = frozenset({"VAR", "NAME", "STRING", "INT", "DATE"})


def _describe_error(exc: UnexpectedInput) -> str:
    """``unexpected `)`; expected a term (variable, constant)`` and the like."""
    if isinstance(exc, UnexpectedToken):
        found = _describe_token(exc.token)
        return f"unexpected {found}; expected {_describe_expected(exc.accepts or exc.expected)}"
    if isinstance(exc, UnexpectedCharacters):
        if exc.char == '"':
            return 'unterminated string: a string must end with `"` on the same line'
        allowed = _describe_expected(exc.allowed) if exc.allowed else "a rule"
        return f"unexpected character `{exc.char}`; expected {allowed}"
    return f"unexpected input; {exc}"


def _describe_token(token: Token) -> str:
    if token.type == "$END":
        return "end of the code block"
    value = str(token) if len(token) <= 40 else f"{token[:37]}…"
    return f"`{value}`"


def _describe_expected(names: Iterable[str]) -> str:
    """Name what the parser would have accepted, grouping the terms and the conditions.

    >>> _describe_expected({"_COMMA", "_DOT"})
    '`,` or `.`'
    >>> _describe_expected({"VAR", "NAME", "STRING", "INT", "DATE", "_RPAR"})
    'a term (variable, constant) or `)`'
    """
    rest = set(names)
    phrases: list[str] = []
    if rest >= _TERM and "_NOT" in rest:
        phrases.append("a condition (an atom, `not` and an atom, or a comparison)")
        rest -= _TERM | {"_NOT"}
    elif rest >= _TERM:
        phrases.append("a term (variable, constant)")
        rest -= _TERM
    phrases += [text for name, text in _TERMINALS.items() if name in rest]
    phrases += sorted(f"`{name}`" for name in rest - _TERMINALS.keys())
    return _or_list(phrases) if phrases else "nothing more"


def _or_list(phrases: list[str]) -> str:
    return phrases[0] if len(phrases) == 1 else f"{', '.join(phrases[:-1])} or {phrases[-1]}"


def _error_location(exc: UnexpectedInput, context: _Context) -> Location:
    """Where the error is; a premature end is placed just after the last token."""
    if isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
        return context.location(exc.token.end_line, exc.token.end_column)
    return context.location(exc.line, exc.column)


def _syntax_error(problems: list[Problem]) -> RuleSyntaxError:
    count = len(problems)
    noun = "problem" if count == 1 else "problems"
    return RuleSyntaxError(f"rule files do not parse: {count} {noun}", sorted_problems(problems))


# --- Tree to syntax ---------------------------------------------------------------------------


def _subtrees(tree: Tree[Token]) -> list[Tree[Token]]:
    return [child for child in tree.children if isinstance(child, Tree)]


def _tokens(tree: Tree[Token]) -> list[Token]:
    return [child for child in tree.children if isinstance(child, Token)]


def _rule(statement: Tree[Token], context: _Context) -> Rule:
    *annotation_trees, rule_tree = _subtrees(statement)
    notes = _annotations(annotation_trees, context)
    head_tree, *literal_trees = _subtrees(rule_tree)
    anonymous = itertools.count(1)
    head = _atom(head_tree, context, anonymous)
    body = tuple(_literal(tree, context, anonymous) for tree in literal_trees)
    return Rule(
        id=notes.get("id", ""),
        clause=notes.get("clause", context.clause),
        reading=notes.get("reading", ""),
        head=head,
        body=body,
        interpretation=notes.get("interpretation"),
        refusal=notes.get("refusal"),
        location=head.location,
        given=tuple(name.strip() for name in notes.get("given", "").split(",") if name.strip()),
    )


def _annotations(trees: list[Tree[Token]], context: _Context) -> dict[str, str]:
    """``@name("…" "…")`` → name: concatenated text; unknown or repeated names are errors."""
    notes: dict[str, str] = {}
    for tree in trees:
        name_token, *strings = _tokens(tree)
        name = name_token[1:]
        if name not in ANNOTATIONS:
            known = ", ".join(f"`@{each}`" for each in ANNOTATIONS)
            message = f"unknown annotation `@{name}`; expected one of {known}"
            context.error(message, context.at(tree))
        elif name in notes:
            context.error(f"annotation `@{name}` is given twice for one rule", context.at(tree))
        else:
            notes[name] = "".join(_string(token, context) for token in strings)
    return notes


def _literal(tree: Tree[Token], context: _Context, anonymous: Iterator[int]) -> Literal:
    if tree.data == "negation":
        return Negation(_atom(_subtrees(tree)[0], context, anonymous))
    if tree.data == "comparison":
        left, operator, right = _tokens(tree)
        return Comparison(
            str(operator),
            _term(left, context, anonymous),
            _term(right, context, anonymous),
            context.at(tree),
        )
    return _atom(tree, context, anonymous)


def _atom(tree: Tree[Token], context: _Context, anonymous: Iterator[int]) -> Atom:
    name, *terms = _tokens(tree)
    return Atom(
        str(name),
        tuple(_term(token, context, anonymous) for token in terms),
        context.at(tree),
    )


def _term(token: Token, context: _Context, anonymous: Iterator[int]) -> Term:
    """A term from its token; each ``_`` becomes a fresh variable ``_1``, ``_2``, … of the rule."""
    if token.type == "VAR":
        return _variable(token, context, anonymous)
    if token.type == "STRING":
        return Const(_string(token, context))
    if token.type == "INT":
        return Const(int(token))
    if token.type == "DATE":
        return Const(_date(token, context))
    return Const(str(token))


def _variable(token: Token, context: _Context, anonymous: Iterator[int]) -> Var:
    if token == "_":
        return Var(f"_{next(anonymous)}")
    var = Var(str(token))
    if is_anonymous(var):
        context.error(
            f"variable name `{token}` is reserved for anonymous variables; write `_` or a name",
            context.at(token),
        )
    return var


def _string(token: Token, context: _Context) -> str:
    r"""The text of a quoted string; ``\"`` and ``\\`` are its only escapes."""

    def unescape(match: re.Match[str]) -> str:
        char = match.group(1)
        if char not in '"\\':
            context.error(
                f'unknown escape `\\{char}` in a string; only `\\"` and `\\\\` are escapes',
                context.at(token),
            )
        return char

    return re.sub(r"\\(.)", unescape, token[1:-1])


def _date(token: Token, context: _Context) -> dt.date:
    try:
        return dt.date.fromisoformat(token)
    except ValueError as exc:
        context.error(f"invalid date `{token}`: {exc}", context.at(token))
        return dt.date.min


# --- Files and rule sets ----------------------------------------------------------------------


def parse_rule_file(path: Path) -> tuple[list[Rule], list[ClauseText]]:
    """The rules and quoted clauses of one literate Markdown rule file.

    Raises `RuleSyntaxError` with every syntax error of the file.
    """
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        problem = Problem(PARSE_ERROR, f"cannot read the rule file: {reason}", Location(file, 1))
        raise _syntax_error([problem]) from exc
    blocks, clauses = scan_markdown(text, file)
    rules: list[Rule] = []
    problems: list[Problem] = []
    for block in blocks:
        context = _Context(file, block.line_offset, block.clause)
        rules += _parse_block(block.text, context)
        problems += context.problems
    if problems:
        raise _syntax_error(problems)
    return rules, clauses


NOT_RULE_FILES = frozenset({"INDEX.md", "README.md"})
"""Markdown in a rule directory that is about the rules, not rules: the generated clause index
and the directory's guide. They are neither parsed nor part of the policy version."""


def rule_files(paths: Iterable[Path]) -> list[Path]:
    """Every ``*.md`` rule file under the given directories, and the given files, sorted."""
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found.update(p for p in path.rglob("*.md") if p.name not in NOT_RULE_FILES)
        else:
            found.add(path)
    return sorted(found)


def load_rule_set(paths: Iterable[Path]) -> RuleSet:
    """Parse every rule file under ``paths`` into one `RuleSet`.

    Raises one `RuleSyntaxError` with the syntax errors of all files; nothing is returned then.
    """
    rules: list[Rule] = []
    clauses: list[ClauseText] = []
    problems: list[Problem] = []
    for path in rule_files(paths):
        try:
            file_rules, file_clauses = parse_rule_file(path)
        except RuleSyntaxError as exc:
            problems += exc.problems
            continue
        rules += file_rules
        clauses += file_clauses
    if problems:
        raise _syntax_error(problems)
    return RuleSet(tuple(rules), tuple(clauses))
