"""JSON Lines fact files load as their YAML does, and their problems name file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from jsonl_world import convert

from paths import FACTS
from policyeval.decree743 import VOCABULARY
from policyeval.errors import FactError
from policyeval.facts.loader import load_fact_files


def rows(directory: Path) -> set[tuple[str, tuple[object, ...]]]:
    base = load_fact_files([directory], VOCABULARY)
    return {(fact.predicate, fact.args) for fact in base.facts}


def test_the_bundled_world_as_json_lines_gives_the_same_facts(tmp_path: Path) -> None:
    written = convert(FACTS, tmp_path)
    assert written > 100
    assert rows(tmp_path) == rows(FACTS)


def test_a_json_lines_record_is_sourced_at_its_line(tmp_path: Path) -> None:
    convert(FACTS, tmp_path)
    base = load_fact_files([tmp_path], VOCABULARY)
    fact = next(f for f in base.facts if f.predicate == "org_kind" and f.args[0] == "minoborony")
    assert fact.source is not None
    line = (
        tmp_path.joinpath(Path(fact.source.file).name)
        .read_text()
        .splitlines()[fact.source.line - 1]
    )
    assert '"id": "minoborony"' in line


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bulk.jsonl"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(FactError) as caught:
        load_fact_files([path], VOCABULARY)
    return [str(problem) for problem in caught.value.problems]


def test_a_line_that_is_not_json_is_named_with_its_column(tmp_path: Path) -> None:
    path = write(
        tmp_path, '{"kind": "person", "id": "p", "name": "P", "citizenship": "kz"}\n{oops\n'
    )
    assert problems(path) == [
        f"{path}:2:2: json_error: not JSON: Expecting property name enclosed in double quotes"
    ]


def test_a_bad_field_names_the_line_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, '\n{"kind": "person", "id": "p", "name": "P", "citizenship": 7}\n')
    (found,) = problems(path)
    assert found.startswith(f"{path}:2:1: invalid_field: person `p`: field `citizenship`")


def test_a_key_written_twice_is_a_problem(tmp_path: Path) -> None:
    path = write(tmp_path, '{"kind": "person", "id": "p", "id": "q"}\n')
    assert problems(path) == [f"{path}:1:1: duplicate_key: the key `id` is written twice"]
