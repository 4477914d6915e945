"""A parsed rule set as plain data (lists, text, numbers, days) and back.

A snapshot file keeps the rules it was computed for in this form, so that a restart need not
parse the rule files again (the snapshot is keyed by their bytes). An object is a list whose
first item names its class, followed by its fields in order; a tuple is a list whose first
item is ``""``. Decoding calls only the constructors of the syntax's own classes, with the
values given: nothing in the data can name code to run, and anything else is refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import fields, is_dataclass
from typing import Any

from policyeval.language.syntax import (
    Atom,
    ClauseText,
    Comparison,
    Const,
    Location,
    Negation,
    Rule,
    RuleSet,
    Var,
)

_CLASSES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (Location, Var, Const, Atom, Negation, Comparison, Rule, ClauseText, RuleSet)
}
_TUPLE = ""
_SCALARS = (str, int, bool, dt.date, type(None))


def encode_rule_set(rules: RuleSet) -> list[Any]:
    """``rules`` as nested lists of text, numbers and days.

    >>> encode_rule_set(RuleSet())
    ['RuleSet', [''], ['']]
    """
    encoded = _encode(rules)
    assert isinstance(encoded, list)
    return encoded


def decode_rule_set(data: object) -> RuleSet:
    """The rule set :func:`encode_rule_set` wrote; raises ``ValueError`` or ``TypeError``
    when ``data`` is not one.

    >>> decode_rule_set(["RuleSet", [""], [""]]) == RuleSet()
    True
    """
    decoded = _decode(data)
    if not isinstance(decoded, RuleSet):
        raise ValueError("the data is not a rule set")
    return decoded


def _encode(value: object) -> object:
    if type(value).__name__ in _CLASSES and is_dataclass(value):
        return [
            type(value).__name__,
            *(_encode(getattr(value, f.name)) for f in fields(value) if f.init),
        ]
    if isinstance(value, tuple):
        return [_TUPLE, *(_encode(item) for item in value)]
    if type(value) in _SCALARS:
        return value
    raise TypeError(f"a rule set holds a {type(value).__name__}, which is not kept")


def _decode(data: object) -> object:
    if isinstance(data, list):
        if not data or not isinstance(data[0], str):
            raise ValueError("an encoded object without its class")
        items = [_decode(item) for item in data[1:]]
        if data[0] == _TUPLE:
            return tuple(items)
        cls = _CLASSES.get(data[0])
        if cls is None:
            raise ValueError(f"`{data[0]}` is not a class of the rule syntax")
        return cls(*items)
    if type(data) in _SCALARS:
        return data
    raise TypeError(f"a {type(data).__name__} in an encoded rule set")
