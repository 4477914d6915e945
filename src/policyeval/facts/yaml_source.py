"""YAML read with every value's place kept: what fact files and scenario files share.

Both are read with a safe loader (libyaml when it is there) in which only ``true``/``false`` are
booleans (YAML 1.1's ``no`` is Norway), keeping the node tree so that every problem can name the
file, line and column of the value it is about. Keys written twice in one mapping are problems
(YAML would silently keep the last).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

try:  # libyaml parses about five times faster; the marks and nodes are the same
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

from policyeval.errors import Problem
from policyeval.language.syntax import Location

__all__ = [
    "ECHO_LIMIT",
    "FieldPath",
    "dotted",
    "duplicate_keys",
    "echo",
    "expand_paths",
    "loader_class",
    "mark",
    "node_at",
    "read_document",
    "suggest",
]

FieldPath = Sequence[str | int]
"""Where a value sits in a document: mapping keys and list positions."""

_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")

ECHO_LIMIT = 200
"""The most characters of an input a problem repeats."""


def expand_paths(
    paths: Iterable[Path], suffixes: Collection[str]
) -> tuple[list[Path], list[Problem]]:
    """The files named, and under each directory named every file ending in one of
    ``suffixes`` (sorted), without repeats; a ``missing_file`` problem for a path that is
    neither."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in suffixes and p.is_file())
        elif path.is_file():
            files.append(path)
        else:
            where = Location(str(path), 1)
            problems.append(Problem("missing_file", "no such file or directory", where))
    return list(dict.fromkeys(files)), problems


def loader_class(name: str, *, implicit_off: Iterable[str]) -> type[_SafeLoader]:
    """A safe loader class whose only booleans are ``true``/``false`` and which leaves the
    implicit types ``implicit_off`` (``"timestamp"``, ``"float"``) as text."""
    off = {"bool", *implicit_off}
    loader: type[_SafeLoader] = type(name, (_SafeLoader,), {})
    loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag.rsplit(":", 1)[-1] not in off]
        for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
    }
    loader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL, list("tTfF"))
    return loader


def read_document(
    text: str, file: str, loader: type[_SafeLoader]
) -> tuple[Any, yaml.Node | None, list[Problem]]:
    """The document of ``text``, its node tree and the problems found (a YAML error, keys
    written twice); ``(None, None, [])`` for an empty document."""
    reader = loader(text)
    try:
        node = reader.get_single_node()
        if node is None:
            return None, None, []
        problems = duplicate_keys(file, node)
        return reader.construct_document(node), node, problems
    except yaml.YAMLError as exc:
        return None, None, [_yaml_problem(file, exc)]
    finally:
        reader.dispose()


def _yaml_problem(file: str, exc: yaml.YAMLError) -> Problem:
    where = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    location = Location(file, where.line + 1, where.column + 1) if where else Location(file, 1)
    problem = getattr(exc, "problem", None) or str(exc)
    return Problem("yaml_error", f"invalid YAML: {problem}", location)


def duplicate_keys(file: str, root: yaml.Node) -> list[Problem]:
    """Keys written twice in one mapping, anywhere below ``root``."""
    problems: list[Problem] = []
    for mapping in _mappings(root):
        for key in _repeated_keys(mapping):
            text = f"key `{echo(key.value)}` is written twice in one mapping"
            problems.append(Problem("duplicate_key", text, mark(file, key)))
    return problems


def _mappings(root: yaml.Node) -> Iterator[yaml.MappingNode]:
    """Every mapping node at or below ``root``, each once (an alias reuses its anchor's node)."""
    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            yield node
            stack.extend(value for _, value in node.value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _repeated_keys(mapping: yaml.MappingNode) -> Iterator[yaml.ScalarNode]:
    """Each scalar key of ``mapping`` written after an equal one (merge keys ``<<`` aside)."""
    keys: set[str] = set()
    for key, _ in mapping.value:
        if isinstance(key, yaml.ScalarNode) and key.value != "<<":
            if key.value in keys:
                yield key
            keys.add(key.value)


def node_at(node: yaml.Node, path: FieldPath, *, key: bool = False) -> yaml.Node:
    """The node at ``path`` below ``node``, or the deepest one on the way that exists; with
    ``key``, a mapping's last step gives its key (where an unknown field is written)."""
    for depth, step in enumerate(path, 1):
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            want_key = key and depth == len(path)
            child = next((k if want_key else v for k, v in node.value if k.value == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            child = node.value[step] if 0 <= step < len(node.value) else None
        if child is None:
            break
        node = child
    return node


def mark(file: str, node: yaml.Node) -> Location:
    """Where ``node`` starts in ``file``."""
    return Location(file, node.start_mark.line + 1, node.start_mark.column + 1)


def dotted(path: FieldPath) -> str:
    """A field path as written in messages.

    >>> dotted(["executor_details", "bin"]), dotted(["secrets", 0]), dotted(["question", "args", 2])
    ('executor_details.bin', 'secrets[0]', 'question.args[2]')
    """
    return "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in path).lstrip(".")


def suggest(word: object, candidates: Iterable[str]) -> str:
    """`` (did you mean `x`?)`` for the closest candidate, or nothing.

    >>> suggest("organisation", ["organization", "person"])
    ' (did you mean `organization`?)'
    """
    close = difflib.get_close_matches(str(word), list(candidates), n=1)
    return f" (did you mean `{close[0]}`?)" if close else ""


def echo(value: object) -> str:
    r"""An input as a problem repeats it: what UTF-8 cannot encode escaped (a lone surrogate
    as ``\ud800``), cut at ``ECHO_LIMIT`` characters with an ellipsis.

    >>> echo("a" + chr(0xD800)), len(echo("x" * 1000)), echo("x" * 1000)[-2:]
    ('a\\ud800', 200, 'x…')
    """
    text = str(value).encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= ECHO_LIMIT else text[: ECHO_LIMIT - 1] + "…"
