"""The files a page may show: the rule files, the fact files and the scenario files served.

A location (``file:line``, as rules, facts and scenarios record it) becomes a link to the
file's page at that line (``/source/<root>/<path>#L<line>``); only files under one of the
served roots can be shown, whatever path a request names.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from policyeval.service.settings import Settings


@dataclass(frozen=True)
class SourceRoots:
    """The served directories, each under a short name used in URLs."""

    roots: tuple[tuple[str, Path], ...]

    @classmethod
    def of(cls, settings: Settings) -> SourceRoots:
        named = [("rules", settings.policies)]
        named += [(f"rules-{n}", path) for n, path in enumerate(settings.redactions, start=2)]
        named += [("facts", settings.facts), ("scenarios", settings.scenarios)]
        return cls(tuple((name, path.resolve()) for name, path in named))

    def url(self, location: str | None) -> str | None:
        """The page of ``location`` (``file:line`` or ``file``), or None outside the roots."""
        file, line = _split(location)
        found = self.find(Path(file)) if file else None
        if found is None:
            return None
        name, relative = found
        return f"/source/{name}/{relative.as_posix()}" + (f"#L{line}" if line else "")

    def label(self, location: str | None) -> str:
        """``location`` as a page shows it: relative to its served root (``facts/x.yaml:5``),
        never the server's absolute path; one outside the roots by its file name only."""
        file, line = _split(location)
        if not file:
            return ""
        found = self.find(Path(file))
        shown = f"{found[0]}/{found[1].as_posix()}" if found else Path(file).name
        return f"{shown}:{line}" if line else shown

    def find(self, file: Path) -> tuple[str, Path] | None:
        """The root holding ``file`` (absolute, or relative to the working directory or to a
        root) and its path under it. Remembered: a proof page links hundreds of locations, each
        twice (its address and its label), and each would otherwise cost a few file-system
        calls."""
        return _find(self.roots, Path.cwd(), file)

    def read(self, name: str, relative: str) -> list[str] | None:
        """The lines of ``relative`` under the root ``name``; None if it is not a served file."""
        root = dict(self.roots).get(name)
        if root is None:
            return None
        try:
            path = (root / relative).resolve()
            if not path.is_relative_to(root) or not path.is_file():
                return None
            if path.suffix not in {".md", ".yaml", ".yml", ".json", ".jsonl"}:
                return None
            return path.read_text(encoding="utf-8", errors="replace").splitlines()
        except (OSError, ValueError):  # a name too long, a NUL, unreadable: not a served file
            return None


def _split(location: str | None) -> tuple[str, str]:
    """``file:line`` as its file and line (``""`` when it has none).

    >>> _split("facts/x.yaml:5"), _split("facts/x.yaml"), _split(None)
    (('facts/x.yaml', '5'), ('facts/x.yaml', ''), ('', ''))
    """
    if not location:
        return "", ""
    file, _, line = location.rpartition(":")
    return (file, line) if line.isdigit() else (location, "")


@lru_cache(maxsize=8192)
def _find(roots: tuple[tuple[str, Path], ...], cwd: Path, file: Path) -> tuple[str, Path] | None:
    candidates = [file] if file.is_absolute() else [cwd / file]
    candidates += [] if file.is_absolute() else [root / file for _, root in roots]
    for candidate in candidates:
        try:
            resolved = candidate.resolve()
            for name, root in roots:
                if resolved.is_relative_to(root) and resolved.is_file():
                    return name, resolved.relative_to(root)
        except (OSError, ValueError):  # a name too long, a NUL: no such file
            continue
    return None
