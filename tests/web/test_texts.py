"""The web pages' texts: every key a page uses is in every language's catalog, and every
catalog has the same keys (a translation is complete or it is not shipped)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from policyeval.service.web import texts as catalog

WEB = Path(catalog.__file__).parent
USE = re.compile(r"""\bt\(\s*["']([A-Za-z0-9_.]+)["']""")


def used_keys() -> set[str]:
    """The literal keys of ``t("…")`` calls in the templates and the page modules."""
    files = [*WEB.rglob("*.j2"), *(p for p in WEB.rglob("*.py") if p.name != "texts.py")]
    return {key for path in files for key in USE.findall(path.read_text(encoding="utf-8"))}


@pytest.mark.parametrize("language", catalog.languages())
def test_every_key_used_is_in_the_catalog(language: str) -> None:
    keys = set(catalog.texts(language).entries)
    # A key ending in "." is a prefix completed at run time (`t("facts.kinds." ~ kind)`).
    missing = {
        used
        for used in used_keys()
        if (
            not any(key.startswith(used) for key in keys)
            if used.endswith(".")
            else used not in keys
        )
    }
    assert not missing, f"texts missing from `{language}`: {sorted(missing)}"


def test_the_catalogs_have_the_same_keys() -> None:
    english = set(catalog.texts("en").entries)
    for language in catalog.languages():
        assert set(catalog.texts(language).entries) == english, language


def test_a_text_is_filled_by_name_and_a_missing_one_is_named() -> None:
    t = catalog.texts("en")
    assert t("site.signed_in_as", name="Aida") == "Signed in as Aida"
    with pytest.raises(KeyError, match=r"no text `nowhere\.at_all`"):
        t("nowhere.at_all")


def test_a_key_defined_in_two_files_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "xx").mkdir()
    (tmp_path / "xx" / "a.yaml").write_text("nav: {ask: Ask}\n", encoding="utf-8")
    (tmp_path / "xx" / "b.yaml").write_text("nav: {ask: Again}\n", encoding="utf-8")
    monkeypatch.setattr(catalog, "CATALOGS", tmp_path)
    catalog.texts.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"`nav\.ask` is defined twice"):
            catalog.texts("xx")
    finally:
        catalog.texts.cache_clear()
