"""The library's public surface is pinned: changing it is a deliberate act."""

from __future__ import annotations

import policyeval


def test_public_names_are_pinned() -> None:
    assert policyeval.__all__ == sorted(policyeval.__all__, key=lambda n: (n[0].islower(), n))
    assert set(policyeval.__all__) == {
        name for name in dir(policyeval) if not name.startswith("_") and name[0].isupper()
    } | {name for name in policyeval.__all__ if name[0].islower()}


def test_only_the_engine_module_imports_pydatalog() -> None:
    from pathlib import Path

    package = Path(policyeval.__file__).parent
    importers = sorted(
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if any(
            line.startswith(("from pyDatalog", "import pyDatalog"))
            for line in path.read_text(encoding="utf-8").splitlines()
        )
    )
    assert importers == ["engine.py"]
