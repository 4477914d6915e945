"""Parts of a restored snapshot decoded when first read, not when the file is read.

A snapshot file is checked whole when read (its checksum, its key, its layout: see
:mod:`policyeval.snapshot_file`), and what it holds was written by this very code, from records
its models accepted. Building every record and every row again at start is most of a start's
cost, and most of it is not read by the first questions: so each record kind is built from its
JSON on its first read (:class:`RecordsByKind`), a list of the file (the sources of its facts)
on its first use (:class:`LazyList`), and a table's rows on their first lookup
(:class:`policyeval.engine.store_columns.RestoredTable`).

Two threads building one part at once build two equal results, one of which is kept. A part
whose content does not decode (a file changed, checksum and all, by someone able to write the
service's snapshot directory) raises :class:`DamagedSnapshot` when it is first read, naming the
file, the part and what to do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TypeVar, overload

from pydantic import TypeAdapter, ValidationError

from policyeval.facts.model import FactRecord

Item = TypeVar("Item")


class DamagedSnapshot(ValueError):
    """A part of a restored snapshot file that does not decode: the file was changed after it
    was written. Deleting it makes the next start load the fact files."""

    def __init__(self, path: Path | str, part: str, why: str) -> None:
        super().__init__(
            f"the snapshot file {path} holds {part} that cannot be read ({why}):"
            " delete the file, and the next start loads the fact files"
        )
        self.path = str(path)
        self.part = part


class LazyList(Sequence[Item]):
    """A list made by ``make`` on its first use."""

    def __init__(self, make: Callable[[], list[Item]]) -> None:
        self._make: Callable[[], list[Item]] | None = make
        self._items: list[Item] | None = None

    @property
    def items(self) -> list[Item]:
        """The list, made now if it was not yet."""
        items = self._items
        if items is None:
            make = self._make
            if make is None:  # made by another thread since `_items` was read
                items = self._items
            else:
                items = self._items = make()
                self._make = None
        assert items is not None
        return items

    @property
    def made(self) -> bool:
        return self._items is not None

    def __len__(self) -> int:
        return len(self.items)

    @overload
    def __getitem__(self, index: int) -> Item: ...
    @overload
    def __getitem__(self, index: slice) -> list[Item]: ...
    def __getitem__(self, index: int | slice) -> Item | list[Item]:
        return self.items[index]

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)


class RecordsByKind(Mapping[str, Mapping[str, FactRecord]]):
    """A restored fact base's records, by kind and id: each kind's are validated by its model,
    straight from their JSON (pydantic's own parser), when that kind is first read."""

    def __init__(
        self, dumped: Mapping[str, bytes], models: Mapping[str, type[FactRecord]], path: Path
    ) -> None:
        for kind, text in dumped.items():
            if kind not in models:
                raise ValueError(f"a snapshot holds records of an unknown kind `{kind}`")
            if type(text) is not bytes:
                raise TypeError(f"the records of `{kind}` are not JSON bytes")
        self._dumped = dict(dumped)
        self._models = models
        self._path = path
        self._built: dict[str, Mapping[str, FactRecord]] = {}

    def __getitem__(self, kind: str) -> Mapping[str, FactRecord]:
        built = self._built.get(kind)
        if built is None:
            if kind not in self._models:
                raise KeyError(kind)
            built = self._built[kind] = self._validated(kind)
        return built

    def _validated(self, kind: str) -> dict[str, FactRecord]:
        dumped = self._dumped.get(kind)
        if dumped is None:
            return {}
        try:
            records = records_adapter(self._models[kind]).validate_json(dumped)
        except ValidationError as error:
            raise DamagedSnapshot(
                self._path, f"records of kind `{kind}`", f"{error.error_count()} refused"
            ) from None
        return {record.id: record for record in records}

    def __iter__(self) -> Iterator[str]:
        return iter(self._models)

    def __len__(self) -> int:
        return len(self._models)

    @property
    def built(self) -> frozenset[str]:
        """The kinds validated so far."""
        return frozenset(self._built)


@cache
def records_adapter(model: type[FactRecord]) -> TypeAdapter[list[FactRecord]]:
    """How a list of ``model``'s records is written as JSON and read back."""
    return TypeAdapter(list[model])  # type: ignore[valid-type]
