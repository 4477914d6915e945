"""JSON Lines fact files (``*.jsonl``): one record per line, for national fact bases.

Hand-written files are YAML; a base exported from another system of record is written faster
and read much faster as JSON Lines — no node tree is built, each line is parsed alone and
validated by its kind like a YAML record. A record's location is its line. A line that is not
a JSON object, or that writes a key twice, is a problem naming the file and line; blank lines
are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from policyeval.errors import Problem
from policyeval.language.syntax import Location

SUFFIX = ".jsonl"


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for key, value in pairs:
        if key in mapping:
            raise _DuplicateKey(key)
        mapping[key] = value
    return mapping


def read_lines(file: str, text: str) -> Iterator[tuple[int, Any] | Problem]:
    """Each non-blank line's value with its line number, or the problem of a line that is not
    JSON (with its column) or writes a key twice.

    >>> found = list(read_lines("f.jsonl", '{"a": 1}\\n\\n{"a": 1, "a": 2}'))
    >>> found[0], str(found[1])
    ((1, {'a': 1}), 'f.jsonl:3:1: duplicate_key: the key `a` is written twice')
    """
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line, object_pairs_hook=_unique_keys)
        except _DuplicateKey as exc:
            where = Location(file, number)
            yield Problem("duplicate_key", f"the key `{exc.key[:200]}` is written twice", where)
        except json.JSONDecodeError as exc:
            where = Location(file, number, exc.colno)
            yield Problem("json_error", f"not JSON: {exc.msg}", where)
