"""What explanations find out about one knowledge base, kept between its questions.

The rows of a sub-question (a condition with some arguments bound), whether one holds, and the
body instance that first gave a derived row are the same for every question on one knowledge
base: its program and store never change. So :class:`~policyeval.explain.answers.Answers` keeps
them here rather than for one question only, and a later question's decision walk, proof and
why-not read them instead of asking again. A what-if question (its store an overlay) keeps
nothing here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from policyeval.engine.bindings import Env
from policyeval.engine.builtins import Pattern, Row

if TYPE_CHECKING:
    from policyeval.language.syntax import Rule

Lookup = tuple[str, Pattern]
Witness = tuple["Rule", Env]
"""A rule and the bindings of its body under which it gave a row."""


class KeptRows:
    """Rows, holds and witnesses by sub-question for one knowledge base. When one of them has
    more than ``limit`` entries, all are emptied at the next question's start (a bound, not an
    eviction policy). Shared between threads: single dict operations only, and what is read
    from them (lists, bindings) is never changed."""

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self.rows: dict[Lookup, list[Row]] = {}
        self.holds: dict[Lookup, bool] = {}
        self.witnesses: dict[tuple[str, Row], Witness] = {}

    def __len__(self) -> int:
        return len(self.rows) + len(self.holds) + len(self.witnesses)

    def bounded(self) -> KeptRows:
        """This store, emptied first if one of its maps has outgrown ``limit``."""
        if max(len(self.rows), len(self.holds), len(self.witnesses)) > self.limit:
            self.rows.clear()
            self.holds.clear()
            self.witnesses.clear()
        return self
