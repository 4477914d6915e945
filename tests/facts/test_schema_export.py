"""The committed fact-file schema and README tables are exactly what the vocabulary generates."""

from __future__ import annotations

import json

from paths import FACTS
from policyeval.decree743.vocabulary import BASE_PREDICATES, RECORD_TYPES, VOCABULARY
from policyeval.facts.schema_export import (
    fact_file_json_schema,
    predicate_table_markdown,
    record_tables_markdown,
)

REGENERATE = "regenerate it as facts/README.md#regenerating says"


def test_committed_schema_is_the_generated_one() -> None:
    committed = json.loads((FACTS / "schema.json").read_text(encoding="utf-8"))
    assert committed == fact_file_json_schema(VOCABULARY), (
        f"facts/schema.json is stale: {REGENERATE}"
    )


def test_schema_tells_records_apart_by_kind() -> None:
    record = fact_file_json_schema(VOCABULARY)["$defs"]["Record"]
    assert record["discriminator"]["propertyName"] == "kind"
    assert set(record["discriminator"]["mapping"]) == set(RECORD_TYPES)


def test_readme_tables_are_the_generated_ones() -> None:
    readme = (FACTS / "README.md").read_text(encoding="utf-8")
    assert record_tables_markdown(VOCABULARY) in readme, (
        f"the record tables are stale: {REGENERATE}"
    )
    assert predicate_table_markdown(VOCABULARY) in readme, (
        f"the predicate table is stale: {REGENERATE}"
    )


def test_predicate_table_has_a_row_per_base_predicate() -> None:
    rows = predicate_table_markdown(VOCABULARY).splitlines()[2:]
    assert [row.split("`")[1].split("(")[0] for row in rows] == list(BASE_PREDICATES)
