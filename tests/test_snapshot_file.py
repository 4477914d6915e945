"""A snapshot file restores exactly what the load it came from gave, and is used for nothing
else: another version of the facts, rules or code, a damaged file, or one whose layout is not
ours means a load from the files. Records and rows are built when first read; a part changed
after writing, checksum and all, is refused then."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import pickle
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import msgpack
import pytest

from paths import FACTS, POLICIES
from policyeval import decide_transfer, load, loading
from policyeval.engine.store import FactStore
from policyeval.engine.store_columns import FactList, RestoredTable
from policyeval.language.syntax import RuleSet, Value
from policyeval.loading import Snapshot
from policyeval.snapshot_file import MAGIC, decode_day, encode_day
from policyeval.snapshot_lazy import RecordsByKind


def _restored(said: list[str]) -> bool:
    """Whether the load's progress says it restored a snapshot."""
    return any(line.startswith("restored ") for line in said)


def _load(facts: Path, snapshots: Path) -> tuple[Snapshot, list[str]]:
    said: list[str] = []
    return load(POLICIES, facts, progress=said.append, snapshots=snapshots), said


@pytest.fixture
def facts(tmp_path: Path) -> Path:
    """A copy of the bundled facts this test may change."""
    copy = tmp_path / "facts"
    shutil.copytree(FACTS, copy)
    return copy


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Snapshot, Path]:
    """The bundled facts loaded once, and the directory holding the snapshot that wrote."""
    snapshots = tmp_path_factory.mktemp("written") / "snapshots"
    loaded, said = _load(FACTS, snapshots)
    assert not _restored(said)
    return loaded, snapshots


@pytest.fixture
def snapshots(written: tuple[Snapshot, Path], tmp_path: Path) -> Path:
    """A copy of the written snapshot's directory, for this test to read or damage."""
    copy = tmp_path / "snapshots"
    shutil.copytree(written[1], copy)
    return copy


def _tables(store: FactStore) -> dict[str, Any]:
    return {
        name: (table.arity, table.dated, table.rows, table.sources)
        for name, table in store.own_tables().items()
    }


VOLATILE = {"decision_id", "decided_at", "elapsed_ms"}
"""What differs between two decisions of one question: their id and when they were made."""


def _decisions(snapshot: Snapshot) -> list[dict[str, Any]]:
    """Every recorded transfer asked again on its own day and on a later one, in full."""
    answers = []
    for transfer in snapshot.fact_base.records["transfer"].values():
        fields = transfer.model_dump()
        for day in (fields["date"], dt.date(2026, 3, 10)):
            rules = snapshot.in_force(day)
            decision = decide_transfer(
                rules.evaluator(),
                fields["customer"],
                fields["executor"],
                fields["secrets"],
                day,
                redaction=rules.redaction,
                warnings=rules.warnings,
            )
            answers.append(decision.model_dump(mode="json", exclude=VOLATILE))
    return answers


def test_a_restored_snapshot_answers_exactly_as_the_load_it_came_from(
    written: tuple[Snapshot, Path], snapshots: Path
) -> None:
    loaded = written[0]
    restored, said = _load(FACTS, snapshots)
    assert _restored(said)

    assert isinstance(restored.fact_base.facts, FactList)
    assert list(restored.fact_base.facts) == list(loaded.fact_base.facts)
    assert restored.fact_base.records == loaded.fact_base.records
    assert (restored.fact_base.version, restored.fact_base.digest) == (
        loaded.fact_base.version,
        loaded.fact_base.digest,
    )
    assert (restored.policy_version, restored.facts_version) == (
        loaded.policy_version,
        loaded.facts_version,
    )
    for old, new in zip(loaded.editions, restored.editions, strict=True):
        before, after = old.knowledge_base, new.knowledge_base
        assert _tables(after.facts) == _tables(before.facts)
        assert _tables(after.store) == _tables(before.store)
        assert after.program.materialized == before.program.materialized
        assert after.program.slices == before.program.slices
    assert _decisions(restored) == _decisions(loaded)


def test_the_restored_store_answers_lookups_as_the_loaded_one(
    written: tuple[Snapshot, Path], snapshots: Path
) -> None:
    loaded = written[0]
    restored, _ = _load(FACTS, snapshots)
    before, after = loaded.knowledge_base.store, restored.knowledge_base.store
    for name, table in before.own_tables().items():
        for row in table.rows[:20]:
            for position in range(len(row)):
                pattern: list[Value | None] = [None] * len(row)
                pattern[position] = row[position]
                if table.dated:  # asked by day: the period's first day
                    pattern = [*pattern[:-2], row[-2]]
                assert list(after.match(name, pattern)) == list(before.match(name, pattern))
            assert after.distinct(name, 0) == before.distinct(name, 0)


def test_changed_fact_files_are_loaded_not_restored(facts: Path, tmp_path: Path) -> None:
    _load(facts, tmp_path / "snapshots")
    people = facts / "people.yaml"
    people.write_text(people.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    changed, said = _load(facts, tmp_path / "snapshots")
    assert not _restored(said)
    assert changed.fact_base.digest == hashlib.sha256(_digest_input(facts)).hexdigest()
    again, said = _load(facts, tmp_path / "snapshots")
    assert _restored(said)
    assert again.fact_base.digest == changed.fact_base.digest


def _digest_input(facts: Path) -> bytes:
    """What a fact base's digest covers: each file's length and bytes, in sorted order."""
    files = sorted(p for p in facts.rglob("*") if p.suffix in (".yaml", ".yml", ".jsonl"))
    return b"".join(len(p.read_bytes()).to_bytes(8, "big") + p.read_bytes() for p in files)


def _only_snapshot(directory: Path) -> Path:
    (path,) = directory.glob("*.snapshot")
    return path


def _rewrite(path: Path, change: Any) -> None:
    """Decode the snapshot at ``path``, let ``change`` edit it, write it back with a valid
    checksum: what a file that is well formed but not ours looks like."""
    head = len(MAGIC) + 32
    document = msgpack.unpackb(path.read_bytes()[head:], ext_hook=decode_day, raw=False)
    change(document)
    body = msgpack.packb(document, default=encode_day, use_bin_type=True)
    path.write_bytes(MAGIC + hashlib.sha256(body).digest() + body)


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _value_of_another_type(document: dict[str, Any]) -> None:
    document["values"][0][0] = 1.5


def _a_day_over_a_value(document: dict[str, Any]) -> None:
    kept, places, ordinals = document["values"]
    taken = next(i for i, value in enumerate(kept) if value is not None)
    document["values"] = [kept, places + taken.to_bytes(4, sys.byteorder), ordinals + ordinals[:4]]


def _a_row_twice(document: dict[str, Any]) -> None:
    table = next(t for t in document["base"].values() if t["rows"] > 1)
    table["columns"] = [column[:4] + column[:4] + column[8:] for column in table["columns"]]


def _a_record_its_model_refuses(document: dict[str, Any]) -> None:
    kind = next(k for k, records in document["records"].items() if json.loads(records))
    records = json.loads(document["records"][kind])
    records[0]["id"] = "Not An Id!"
    document["records"][kind] = json.dumps(records).encode("utf-8")


def _records_not_json(document: dict[str, Any]) -> None:
    kind = next(iter(document["records"]))
    document["records"][kind] = b"[{"


def _records_as_objects(document: dict[str, Any]) -> None:
    kind = next(k for k, records in document["records"].items() if json.loads(records))
    document["records"][kind] = json.loads(document["records"][kind])


def _another_format(document: dict[str, Any]) -> None:
    document["key"]["format"] = 0


def _a_column_cut_short(document: dict[str, Any]) -> None:
    table = next(t for t in document["base"].values() if t["rows"] > 1)
    table["columns"][0] = table["columns"][0][:-4]


def _sources_not_columns(document: dict[str, Any]) -> None:
    document["sources"] = document["sources"][:3]


@pytest.mark.parametrize(
    "damage",
    [
        _flip_a_byte,
        lambda path: path.write_bytes(b""),
        lambda path: path.write_bytes(path.read_bytes()[:1000]),
        lambda path: _rewrite(path, _value_of_another_type),
        lambda path: _rewrite(path, _a_day_over_a_value),
        lambda path: _rewrite(path, _a_column_cut_short),
        lambda path: _rewrite(path, _sources_not_columns),
        lambda path: _rewrite(path, _records_as_objects),
        lambda path: _rewrite(path, _another_format),
    ],
    ids=[
        "flipped byte",
        "empty",
        "truncated",
        "float value",
        "day over a value",
        "column cut short",
        "sources not five columns",
        "records not one text",
        "format",
    ],
)
def test_a_damaged_or_foreign_snapshot_is_loaded_again(
    damage: Any, written: tuple[Snapshot, Path], snapshots: Path
) -> None:
    damage(_only_snapshot(snapshots))
    again, said = _load(FACTS, snapshots)
    assert not _restored(said)
    assert list(again.fact_base.facts) == list(written[0].fact_base.facts)
    assert _only_snapshot(snapshots).read_bytes() == _only_snapshot(written[1]).read_bytes()


def _base_table_with_a_row_twice(snapshot: Snapshot) -> None:
    for table in snapshot.knowledge_base.facts.own_tables().values():
        table.keys  # noqa: B018  # built when first read


def _records_read(snapshot: Snapshot) -> None:
    for by_id in snapshot.fact_base.records.values():
        len(by_id)


@pytest.mark.parametrize(
    ("damage", "read", "said"),
    [
        (_a_row_twice, _base_table_with_a_row_twice, "holds a row twice"),
        (_a_record_its_model_refuses, _records_read, "holds records of kind"),
        (_records_not_json, _records_read, "holds records of kind"),
    ],
    ids=["row twice", "bad record", "records not JSON"],
)
def test_a_part_changed_checksum_and_all_is_refused_when_first_read(
    damage: Any, read: Any, said: str, snapshots: Path
) -> None:
    """A file changed and given a matching checksum (by someone able to write the service's
    snapshot directory) passes the start; the part changed is refused when first read, naming
    the file and what to do, and never answers."""
    path = _only_snapshot(snapshots)
    _rewrite(path, damage)
    restored, said_at_start = _load(FACTS, snapshots)
    assert _restored(said_at_start)
    with pytest.raises(ValueError, match=f"{re.escape(str(path))} {said}") as refused:
        read(restored)
    assert "delete it" in str(refused.value) or "delete the file" in str(refused.value)


def test_a_restart_builds_no_record_and_no_row_before_they_are_read(
    written: tuple[Snapshot, Path], snapshots: Path
) -> None:
    restored, said = _load(FACTS, snapshots)
    assert _restored(said)
    records = restored.fact_base.records
    assert isinstance(records, RecordsByKind) and records.built == frozenset()
    stores = [restored.knowledge_base.facts, restored.knowledge_base.store]
    tables = [table for store in stores for table in store.own_tables().values()]
    assert all(isinstance(t, RestoredTable) and not t.decoded for t in tables)
    assert records["transfer"] == written[0].fact_base.records["transfer"]
    assert records.built == {"transfer"}


class _Payload:
    """What an unpickler would run: it creates ``marker`` when loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


def test_a_pickle_in_place_of_a_snapshot_is_never_run(snapshots: Path, tmp_path: Path) -> None:
    path = _only_snapshot(snapshots)
    marker = tmp_path / "ran"
    body = pickle.dumps(_Payload(marker))
    path.write_bytes(MAGIC + hashlib.sha256(body).digest() + body)
    _, said = _load(FACTS, snapshots)
    assert not marker.exists()
    assert not _restored(said)


def test_a_snapshot_that_cannot_be_written_is_said_and_the_load_serves(
    facts: Path, tmp_path: Path
) -> None:
    blocked = tmp_path / "a file, not a directory"
    blocked.write_text("", encoding="utf-8")
    snapshot, said = _load(facts, blocked)
    assert any("could not write a snapshot" in line for line in said)
    assert snapshot.fact_base.records["transfer"]


def test_snapshots_are_private_and_old_ones_pruned(tmp_path: Path) -> None:
    directory = tmp_path / "snapshots"
    directory.mkdir(mode=0o700)
    older = [directory / f"older-{n}.snapshot" for n in range(4)]
    for age, path in enumerate(older):
        path.write_bytes(b"")
        os.utime(path, ns=(age * 10**9, age * 10**9))
    _load(FACTS, directory)
    kept = sorted(directory.glob("*.snapshot"))
    assert len(kept) == 3
    assert older[3] in kept and older[2] in kept
    assert directory.stat().st_mode & 0o777 == 0o700
    assert all(path.stat().st_mode & 0o777 == 0o600 for path in set(kept) - set(older))
    assert not list(directory.glob(".writing-*"))


def test_facts_moved_elsewhere_are_loaded_not_restored(snapshots: Path, facts: Path) -> None:
    """The facts' sources name their files as given: the same bytes elsewhere are another
    fact base's sources."""
    moved, said = _load(facts, snapshots)
    assert not _restored(said)
    assert all(str(f.source).startswith(str(facts)) for f in moved.fact_base.facts if f.source)


def _locations(rules: RuleSet) -> list[Any]:
    """Where each rule and each of its conditions was written."""
    return [
        (rule.location, rule.head.location, [getattr(c, "location", None) for c in rule.body])
        for rule in rules.rules
    ]


def test_a_restart_takes_the_rules_from_the_snapshot_without_parsing(
    written: tuple[Snapshot, Path], snapshots: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: object) -> None:
        raise AssertionError("a restore parsed the rule files")

    monkeypatch.setattr(loading, "load_rule_set", refuse)
    restored, said = _load(FACTS, snapshots)
    assert _restored(said)
    for old, new in zip(written[0].editions, restored.editions, strict=True):
        before, after = old.knowledge_base.program.rules, new.knowledge_base.program.rules
        assert after == before
        assert _locations(after) == _locations(before)
        assert after.clauses == before.clauses


def _copy_of_policies(tmp_path: Path) -> Path:
    copy = tmp_path / "policies"
    shutil.copytree(POLICIES, copy)
    return copy


def test_changed_rule_files_are_parsed_not_restored(tmp_path: Path) -> None:
    policies, snapshots = _copy_of_policies(tmp_path), tmp_path / "snapshots"
    said: list[str] = []
    load(policies, FACTS, progress=said.append, snapshots=snapshots)
    first = next(policies.glob("*.md"))
    first.write_text(first.read_text(encoding="utf-8") + "\nA lawyer's note.\n", encoding="utf-8")

    said.clear()
    load(policies, FACTS, progress=said.append, snapshots=snapshots)
    assert not _restored(said)
    said.clear()
    load(policies, FACTS, progress=said.append, snapshots=snapshots)
    assert _restored(said)


def test_rules_given_from_another_directory_are_parsed_not_restored(
    snapshots: Path, tmp_path: Path
) -> None:
    """The same rule files elsewhere: the kept rules would name the other directory's files."""
    policies = _copy_of_policies(tmp_path)
    said: list[str] = []
    moved = load(policies, FACTS, progress=said.append, snapshots=snapshots)
    assert not _restored(said)
    rule = moved.knowledge_base.program.rules.rules[0]
    assert rule.location is not None
    assert Path(rule.location.file).is_relative_to(policies)
