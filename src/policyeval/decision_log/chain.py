"""A hash chain over log entries, as in certificate-transparency logs; knows nothing of decisions.

Entry ``n`` (from 1) stores ``prev_hash``, the hash of entry ``n - 1`` (:data:`GENESIS` for the
first), and ``entry_hash = sha256(prev_hash || canonical(content, n))``, where the canonical form
is JSON with sorted keys, no whitespace, UTF-8. Editing an entry changes its hash; deleting or
moving one breaks the link of the entry after it; deleting the last ones leaves the log shorter
than its head (:class:`ChainHead`), which is kept apart and can be exported.

>>> first = link(GENESIS, 1, {"b": 1, "a": "é"})
>>> canonical({"b": 1, "a": "é"}, 1) == '{"a":"é","b":1,"seq":1}'.encode()
True
>>> verify([Linked(1, GENESIS, first, {"b": 1, "a": "é"})], ChainHead(1, first)) is None
True
>>> str(verify([Linked(1, GENESIS, first, {"b": 2, "a": "é"})], ChainHead(1, first)))
'entry 1: its content was changed after it was logged'
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = [
    "GENESIS",
    "ChainBreak",
    "ChainHead",
    "Content",
    "Linked",
    "canonical",
    "check_entry",
    "link",
    "verify",
]

GENESIS = "0" * 64
"""The previous hash of the first entry."""

Content = Mapping[str, str | int | bool | None]
"""An entry's stored columns, other than the chain's own."""


def canonical(content: Content, seq: int) -> bytes:
    """The bytes hashed for an entry: its content and its position, as canonical JSON."""
    if "seq" in content:
        raise ValueError("`seq` is the chain's own column")
    document = {**content, "seq": seq}
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def link(prev_hash: str, seq: int, content: Content) -> str:
    """The hash of entry ``seq`` with this content, after the entry whose hash is ``prev_hash``."""
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(content, seq)).hexdigest()


@dataclass(frozen=True, slots=True)
class Linked:
    """An entry as stored: its position, the two hashes and its content."""

    seq: int
    prev_hash: str
    entry_hash: str
    content: Content
    name: str = ""
    """How a person finds the entry (a decision's id), for messages."""


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The last entry's position and hash (and when it was logged): what to keep elsewhere."""

    seq: int
    entry_hash: str
    recorded_at: str | None = None


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first entry affected by a change, and what is wrong with it."""

    seq: int
    problem: str
    name: str = ""

    def __str__(self) -> str:
        named = f" ({self.name})" if self.name else ""
        return f"entry {self.seq}{named}: {self.problem}"


def verify(
    entries: Iterable[Linked], head: ChainHead | None, expected: ChainHead | None = None
) -> ChainBreak | None:
    """The first break of the chain ``entries`` (in ``seq`` order) ending at ``head``, or
    ``None``; ``expected`` is a head exported earlier, which the chain must still contain."""
    seq, prev = 0, GENESIS
    for entry in entries:
        broken = _check(entry, seq + 1, prev)
        if broken is not None:
            return broken
        if expected and entry.seq == expected.seq and entry.entry_hash != expected.entry_hash:
            return ChainBreak(entry.seq, "its hash is not the one exported", entry.name)
        seq, prev = entry.seq, entry.entry_hash
    return _check_end(seq, prev, head, expected)


def _check(entry: Linked, seq: int, prev: str) -> ChainBreak | None:
    if entry.seq > seq:
        missing = f"entries {seq} to {entry.seq - 1} are" if entry.seq > seq + 1 else "it is"
        return ChainBreak(seq, f"{missing} missing from the log (deleted)", "")
    if entry.seq != seq or entry.prev_hash != prev:
        return ChainBreak(
            entry.seq,
            f"it does not follow entry {seq - 1}: entries were moved, or one before it changed",
            entry.name,
        )
    if link(prev, seq, entry.content) != entry.entry_hash:
        return ChainBreak(seq, "its content was changed after it was logged", entry.name)
    return None


def _check_end(
    seq: int, prev: str, head: ChainHead | None, expected: ChainHead | None
) -> ChainBreak | None:
    if expected is not None and expected.seq > seq:
        return ChainBreak(
            seq + 1, f"the log ends before entry {expected.seq}, exported as its head"
        )
    if head is None or (head.seq, head.entry_hash) == (seq, prev):
        return None
    if head.seq > seq:
        return ChainBreak(seq + 1, f"the log ends here but its head is entry {head.seq} (deleted)")
    return ChainBreak(head.seq, "the log's head does not name its last entry (head changed)")


def check_entry(entry: Linked, before: Linked | None, after: Linked | None) -> ChainBreak | None:
    """Whether one entry is intact where it stands: its hash, and its links to the entries
    ``before`` and ``after`` it (``None`` where there is none), without walking the chain."""
    if link(entry.prev_hash, entry.seq, entry.content) != entry.entry_hash:
        return ChainBreak(entry.seq, "its content was changed after it was logged", entry.name)
    prev = GENESIS if entry.seq == 1 else before.entry_hash if before else None
    if prev is None:
        return ChainBreak(entry.seq - 1, "it is missing from the log (deleted)")
    if entry.prev_hash != prev:
        return _check(entry, entry.seq, prev)
    if after is not None and after.prev_hash != entry.entry_hash:
        return ChainBreak(entry.seq, "the entry after it does not follow it", entry.name)
    return None
