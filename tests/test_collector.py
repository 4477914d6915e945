"""A load runs with the cyclic garbage collector paused, and leaves it as it found it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from paths import TOY_FACTS, TOY_POLICIES
from policyeval import FactError, load
from policyeval.collector import collector_paused


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    was_enabled = gc.isenabled()
    yield
    if was_enabled:
        gc.enable()
    else:
        gc.disable()


def test_a_load_pauses_the_collector_and_turns_it_on_again() -> None:
    gc.enable()
    seen: list[bool] = []
    load(TOY_POLICIES, TOY_FACTS, progress=lambda _: seen.append(gc.isenabled()))
    assert seen
    assert not any(seen)
    assert gc.isenabled()


def test_a_failed_load_turns_it_on_again(tmp_path: Path) -> None:
    gc.enable()
    (tmp_path / "bad.yaml").write_text("- kind: organization\n  id: 1 2\n", encoding="utf-8")
    with pytest.raises(FactError):
        load(TOY_POLICIES, tmp_path)
    assert gc.isenabled()


def test_a_collector_turned_off_by_the_caller_stays_off() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()
