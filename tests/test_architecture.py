"""The layout holds: each package imports only the layers below it, and the public surface is
exactly what ``policyeval/__init__.py`` declares (ARCHITECTURE.md draws the same picture)."""

from __future__ import annotations

import ast
from pathlib import Path
from types import ModuleType

import pytest

import policyeval

PACKAGE = Path(policyeval.__file__).parent

GENERIC = {"errors", "language", "engine", "explain", "facts"}
"""Knows nothing of Decree 743."""

ALLOWED: dict[str, set[str]] = {
    "errors": {"language"},  # a problem's location is the language's `Location`
    # Who may ask: API keys and JWTs, read by the service and the CLI.
    "credentials": {"errors"},
    # The cyclic garbage collector paused while a load builds its objects.
    "collector": set(),
    "language": {"errors"},
    "engine": {"errors", "language"},
    "explain": {"errors", "language", "engine"},
    "facts": {"errors", "language", "engine"},
    "evaluator": GENERIC - {"facts"},
    # Which text of the decree a rule set encodes: data about the rules, read by everyone above.
    "redactions": {"errors", "language"},
    # What would make a refusal allowed: asks the evaluator again with edits assumed.
    "repairs": GENERIC | {"evaluator"},
    "decree743": GENERIC | {"evaluator", "redactions", "repairs"},
    "decision_log": GENERIC | {"evaluator", "decree743", "redactions", "repairs"},
    # A loaded fact base and its tables in one file: facts and engine tables, no evaluation.
    "snapshot_file": (GENERIC - {"explain"}) | {"snapshot_lazy"},
    # What a restore builds when first read: records by kind, lists of the file.
    "snapshot_lazy": {"errors", "language", "engine", "facts"},
    "loading": GENERIC
    | {
        "collector",
        "evaluator",
        "decree743",
        "redactions",
        "repairs",
        "scenarios",
        "snapshot_file",
    },
    "scenarios": GENERIC | {"evaluator", "loading"},
    # A decision's report: read from the decision, the log's record and the clause index.
    "report": GENERIC | {"decree743", "decision_log", "loading", "scenarios"},
    "__init__": GENERIC
    | {
        "evaluator",
        "redactions",
        "decree743",
        "decision_log",
        "loading",
        "scenarios",
        "report",
        "repairs",
        "credentials",
        "collector",  # the service keeps it paused until it has frozen what a load made
    },
    # The CLI and the service use the public surface only (and the CLI starts the service).
    "cli": {"__init__", "service"},
    "service": {"__init__", "service"},
}
"""Layer → the layers it may import (``__init__`` is ``import policyeval`` itself)."""


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _layer(module: str) -> str:
    """``policyeval.engine.store`` → ``engine``; ``policyeval`` → ``__init__``."""
    parts = module.split(".")
    if parts == ["policyeval"]:
        return "__init__"
    return parts[1]


def _imports(path: Path) -> set[str]:
    """The ``policyeval`` modules a file imports, at any depth of the file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "policyeval":  # `from policyeval import X`: a module, or a name
                names = [_submodule(alias.name) for alias in node.names]
            found.update(n for n in names if n.split(".")[0] == "policyeval")
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "policyeval")
    return found


def _submodule(name: str) -> str:
    """``policyeval.name`` when ``name`` is a module of the package, else ``policyeval``."""
    is_module = (PACKAGE / name).is_dir() or (PACKAGE / f"{name}.py").is_file()
    return f"policyeval.{name}" if is_module else "policyeval"


def _own_layer(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_each_module_imports_only_the_layers_below_it(path: Path) -> None:
    layer = _own_layer(path)
    used = {_layer(module) for module in _imports(path)} - {layer}
    assert used <= ALLOWED[layer], f"{layer} may not import {sorted(used - ALLOWED[layer])}"


def test_explanations_do_not_depend_on_materialization() -> None:
    explain = [path for path in _modules() if _own_layer(path) == "explain"]
    assert explain
    for path in explain:
        assert not {m for m in _imports(path) if m.startswith("policyeval.engine.materialize")}


def test_the_generic_packages_know_nothing_of_the_decree() -> None:
    for path in _modules():
        if _own_layer(path) in GENERIC:
            assert not {_layer(m) for m in _imports(path)} & {"decree743", "loading"}, path


def test_only_the_engine_boundary_imports_pydatalog() -> None:
    importers = sorted(
        path.relative_to(PACKAGE).as_posix()
        for path in _modules()
        if any(
            line.startswith(("from pyDatalog", "import pyDatalog"))
            for line in path.read_text(encoding="utf-8").splitlines()
        )
    )
    assert importers == ["engine/pydatalog.py"]


def test_every_public_name_is_declared_and_nothing_else_leaks() -> None:
    """As httpx does: the package's public names are exactly ``__all__``."""
    public = {
        name
        for name, value in vars(policyeval).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    }
    assert sorted(policyeval.__all__) == sorted(public)
    assert len(policyeval.__all__) == len(set(policyeval.__all__))
