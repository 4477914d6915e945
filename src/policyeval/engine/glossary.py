"""How base predicates are written in fact records: the words explanations and repairs use.

A fact vocabulary (``facts.model.Vocabulary.glossary``) says, for each base predicate, which
record kind and field give it. Explanations then name a missing fact as a record and a field
("no `admission` record with `person` nurtech") instead of a predicate, and repairs are
written as the records and fields to add or change. The engine itself never reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BaseTerm:
    """One record kind's way of giving a base predicate.

    ``field`` is the field (a dotted path inside a part) that gives the predicate, ``""`` for an
    entity kind's own predicate (``organization(X)``); a relation names its fields in
    ``relation_fields`` (its rows have no record id). ``args`` names the arguments. A ``sort``
    fact says what sort of thing its record is (a person, an organization of kind `foreign`): a
    rule that needs another sort does not apply, and a repair never changes it. A ``fixed`` fact
    is one no act of the parties can change (a citizenship): it may fail a condition, but it is
    never offered as a repair. ``many``: the field holds a list of values.
    """

    predicate: str
    kind: str
    field: str
    args: tuple[str, ...]
    dated: bool = False
    sort: bool = False
    fixed: bool = False
    relation_fields: tuple[str, ...] = ()
    many: bool = False
    """Whether the field lists several values (an annex's secrets): adding one is an edit,
    while a single-valued field that has a value would have it replaced."""
    computed: tuple[tuple[str, int], ...] = ()
    """Predicates computed from records of this kind (the shares of a capital summed) that
    this fact counts in: each with the position of this fact's argument that is the computed
    row's first (the group). A what-if that retracts this fact must retract those rows too."""

    @property
    def entity(self) -> bool:
        """The kind's own predicate: ``organization(acme)`` says acme is an organization."""
        return not self.field and not self.relation_fields

    @property
    def flag(self) -> bool:
        """A yes/no field: its row is the record id alone (and the day, if dated)."""
        return bool(self.field) and len(self.args) == 1 + int(self.dated)

    @property
    def value_positions(self) -> tuple[int, ...]:
        """The argument positions that hold field values (not the id, not the day)."""
        end = len(self.args) - int(self.dated)
        start = 0 if self.relation_fields else 1
        return tuple(range(start, end))


Glossary = Mapping[str, tuple[BaseTerm, ...]]
"""Base predicate → the record kinds (usually one) that give it."""

NO_GLOSSARY: Glossary = {}
