"""What a restore leaves for later is built once, when first read, and refused then, naming the
file, when it does not decode."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest

from policyeval.decree743.vocabulary import VOCABULARY
from policyeval.snapshot_lazy import DamagedSnapshot, LazyList, RecordsByKind

FILE = Path("/var/snapshots/abc.snapshot")
MODELS = VOCABULARY.record_types
TERRITORY = {
    "kind": "territory",
    "id": "astana",
    "name": "Astana",
    "territory_kind": "republican_city",
}


def test_a_lazy_list_is_made_once_on_first_use() -> None:
    made: list[int] = []

    def make() -> list[str]:
        made.append(1)
        return ["a", "b", "c"]

    lazy = LazyList(make)
    assert not lazy.made and made == []
    assert (len(lazy), lazy[1], lazy[-1:], list(lazy)) == (3, "b", ["c"], ["a", "b", "c"])
    assert lazy.made and made == [1]


def _dumped(*records: Mapping[str, object]) -> bytes:
    return json.dumps(list(records)).encode("utf-8")


def test_each_kind_is_validated_when_first_read() -> None:
    records = RecordsByKind({"territory": _dumped(TERRITORY)}, MODELS, FILE)
    assert records.built == frozenset() and list(records) == list(MODELS)
    assert dict(records["organization"]) == {}
    assert records["territory"]["astana"] == MODELS["territory"].model_validate(TERRITORY)
    assert records.built == {"organization", "territory"}
    with pytest.raises(KeyError):
        records["no_such_kind"]


def test_a_record_its_model_refuses_is_refused_when_its_kind_is_read() -> None:
    records = RecordsByKind({"territory": _dumped({**TERRITORY, "id": "Not An Id"})}, MODELS, FILE)
    with pytest.raises(DamagedSnapshot, match=f"{FILE} holds records of kind `territory`"):
        records["territory"]
    assert "delete the file" in str(DamagedSnapshot(FILE, "records", "1 refused"))


@pytest.mark.parametrize(
    ("dumped", "error"),
    [({"no_such_kind": b"[]"}, ValueError), ({"territory": [TERRITORY]}, TypeError)],
)
def test_records_of_no_kind_or_not_json_text_are_refused_at_once(
    dumped: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        RecordsByKind(dumped, MODELS, FILE)  # type: ignore[arg-type]
