"""A parsed rule set kept as plain data comes back the same, and nothing else is taken."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgpack
import pytest

from paths import POLICIES, TOY_POLICIES
from policyeval.language.parser import load_rule_set, rule_files
from policyeval.language.syntax import Atom, Comparison, Const, Location, Rule, RuleSet, Var
from policyeval.language.syntax_codec import decode_rule_set, encode_rule_set
from policyeval.snapshot_file import decode_day, encode_day


def _through_msgpack(data: object) -> Any:
    """``data`` as a snapshot file writes and reads it."""
    packed = msgpack.packb(data, default=encode_day, use_bin_type=True)
    return msgpack.unpackb(packed, ext_hook=decode_day, use_list=True, raw=False)


@pytest.mark.parametrize("directory", [POLICIES, TOY_POLICIES], ids=["decree", "toy"])
def test_a_rule_set_comes_back_equal_with_every_location(directory: Any) -> None:
    rules = load_rule_set(rule_files([directory]))
    restored = decode_rule_set(_through_msgpack(encode_rule_set(rules)))
    assert restored == rules
    # locations are left out of equality: compare them, and everything else, by repr
    assert repr(restored) == repr(rules)
    assert [r.head.location for r in restored.rules] == [r.head.location for r in rules.rules]
    assert restored.rules_for("transfer_allowed") == rules.rules_for("transfer_allowed")


def test_constants_keep_their_type() -> None:
    """A day stays a day, an integer an integer and ``"1"`` text (the store tells them apart)."""
    head = Atom("p", (Var("X"),), Location("r.md", 3, 5))
    body = tuple(
        Comparison("=", Var("X"), Const(value)) for value in (dt.date(2021, 4, 22), 1, "1", True)
    )
    rules = RuleSet((Rule("r1", "3.1", "{X} holds", head, body, given=("X",)),))
    restored = decode_rule_set(_through_msgpack(encode_rule_set(rules)))
    assert restored == rules
    constants = [c.right for c in restored.rules[0].body if isinstance(c, Comparison)]
    assert [type(c.value) for c in constants if isinstance(c, Const)] == [dt.date, int, str, bool]
    assert restored.rules[0].head.location == Location("r.md", 3, 5)


@pytest.mark.parametrize(
    "data",
    [
        ["os.system", "echo"],
        ["RuleSet", ["", ["Var"]], [""], "extra"],
        ["Var", 1.5],
        ["Var", {"name": "X"}],
        [],
        [1, 2],
        ["Var", "X"],
        "RuleSet",
    ],
    ids=[
        "foreign class",
        "too many fields",
        "float",
        "map",
        "empty",
        "no class",
        "not a rule set",
        "text",
    ],
)
def test_anything_but_an_encoded_rule_set_is_refused(data: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        decode_rule_set(data)
