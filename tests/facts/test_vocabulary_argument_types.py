"""The base predicates' argument types, read from the decree vocabulary's fields."""

from __future__ import annotations

from policyeval.decree743 import VOCABULARY
from policyeval.facts.argument_types import vocabulary_argument_types


def test_every_base_predicate_has_one_type_per_argument() -> None:
    types = vocabulary_argument_types(VOCABULARY)
    assert {name: len(found) for name, found in types.items()} == VOCABULARY.arities()


def test_field_types_map_to_argument_types() -> None:
    types = vocabulary_argument_types(VOCABULARY)
    assert types["organization"] == ("string",)  # the record's own predicate
    assert types["org_bin"] == ("string", "string")  # twelve digits are text
    assert types["secret_sheets"] == ("string", "integer")
    assert types["answer_date"] == ("string", "date")
    assert types["secret_stamp"] == ("string", "string")  # an enum
    assert types["request_secret"] == ("string", "string")  # a list of ids


def test_dated_flags_relations_and_computed_predicates() -> None:
    types = vocabulary_argument_types(VOCABULARY)
    assert types["org_kind"] == ("string", "string", "date")  # a dated enum
    assert types["has_protection_division"] == ("string", "date")  # a dated flag
    assert types["head_may_classify"] == ("string",)  # a flag
    assert types["owns"] == ("string", "string", "string", "date")  # a relation, `25.5 %`
    assert types["capital_accounted"] == (None, "date")  # computed: only its day is known
