"""The decree's rules and the bench generator's worlds as the property tests read them: the
rules parsed once, a world's fact files written and loaded through the fact loader."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

from generate import World

from paths import POLICIES
from policyeval.decree743 import VOCABULARY
from policyeval.engine.store import FactStore
from policyeval.facts.loader import load_fact_files
from policyeval.language.parser import load_rule_set
from policyeval.language.syntax import RuleSet


@cache
def decree_rules() -> RuleSet:
    """The rules of ``policies/``, parsed once for the whole session."""
    return load_rule_set([POLICIES])


def world_store(world: World) -> FactStore:
    """The store of ``world``'s facts, as loading its written fact files gives it."""
    with tempfile.TemporaryDirectory() as out:
        world.write(Path(out) / "facts")
        return load_fact_files([Path(out) / "facts"], VOCABULARY).store()
