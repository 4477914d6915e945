"""Every text the web pages show, in one catalog per language: ``texts/<language>/*.yaml``,
one file per page family, merged (a key is defined once).

Templates and routes say ``t("ask.title")``; a text with placeholders is filled by name
(``t("decisions.count", count=3)``). English is the one catalog today; Russian and Kazakh are
added as ``texts/ru/`` and ``texts/kk/`` with the same files and keys
(``tests/web/test_texts.py`` checks that every key used exists in every catalog). Catalogs are
read with ``yaml.safe_load``: data, never code.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

CATALOGS = Path(__file__).parent / "texts"
DEFAULT_LANGUAGE = "en"


class Texts:
    """One language's catalog, called as ``t(key, **values)``."""

    def __init__(self, language: str, entries: dict[str, str]) -> None:
        self.language = language
        self.entries = entries

    def __call__(self, key: str, /, **values: object) -> str:
        try:
            text = self.entries[key]
        except KeyError:
            raise KeyError(f"no text `{key}` in the `{self.language}` catalog") from None
        return text.format(**values) if values else text


@cache
def texts(language: str = DEFAULT_LANGUAGE) -> Texts:
    """The catalog of ``language``: its files flattened to dotted keys and merged; a key
    defined twice is an error."""
    entries: dict[str, str] = {}
    for path in sorted((CATALOGS / language).glob("*.yaml")):
        for key, text in _flatten(yaml.safe_load(path.read_text(encoding="utf-8")) or {}):
            if "True" in key.split(".") or "False" in key.split("."):
                raise ValueError(f"{path}: a key under `{key}` reads as yes/no: quote it")
            if key in entries:
                raise ValueError(f"{path}: the text `{key}` is defined twice")
            entries[key] = text
    return Texts(language, entries)


def languages() -> list[str]:
    """The languages with a catalog."""
    return sorted(path.name for path in CATALOGS.iterdir() if path.is_dir())


def _flatten(tree: dict[str, object], prefix: str = "") -> list[tuple[str, str]]:
    """``{"a": {"b": "x"}}`` as ``[("a.b", "x")]``.

    >>> _flatten({"nav": {"ask": "Ask", "home": "Home"}})
    [('nav.ask', 'Ask'), ('nav.home', 'Home')]
    """
    flat: list[tuple[str, str]] = []
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.extend(_flatten(value, f"{name}."))
        else:
            flat.append((name, str(value)))
    return flat
