"""The sort of a party in words: the glossary's sort terms are kept per glossary, never read from
another glossary (a new one, or one built again with the same contents), and read in its order."""

from __future__ import annotations

import datetime as dt

from policyeval.engine.glossary import BaseTerm, Glossary
from policyeval.engine.store import FactSource, FactStore
from policyeval.explain import wording
from policyeval.explain.wording import sort_of, sort_terms

ORGANIZATION = BaseTerm("organization", "organization", "", ("Org",), sort=True)
PERSON = BaseTerm("person", "person", "", ("Person",), sort=True)
ORG_KIND = BaseTerm("org_kind", "organization", "org_kind", ("Org", "Kind"), sort=True)
LICENSED = BaseTerm("licensed", "organization", "licensed", ("Org", "Day"), dated=True)


def _store() -> FactStore:
    store = FactStore({"organization": 1, "person": 1, "org_kind": 2, "licensed": 2})
    for predicate, args in [
        ("organization", ("acme",)),
        ("person", ("acme",)),
        ("org_kind", ("acme", "commercial")),
    ]:
        store.add(predicate, args, FactSource("world.yaml", 1, "acme"))
    return store


def test_the_sort_terms_are_kept_per_glossary_in_its_order() -> None:
    glossary: Glossary = {
        "org_kind": (ORG_KIND,),
        "person": (PERSON,),
        "licensed": (LICENSED,),
        "organization": (ORGANIZATION,),
    }
    assert sort_terms(glossary) == ((PERSON, ORGANIZATION), (ORG_KIND,))
    assert sort_terms(glossary) is sort_terms(glossary)
    assert sort_of(glossary, _store(), "acme", dt.date(2026, 1, 5)) == (
        "acme is a person and an organization (of `org_kind` commercial)"
    )


def test_a_glossary_never_reads_another_glossarys_terms() -> None:
    store = _store()
    organizations: Glossary = {"organization": (ORGANIZATION,)}
    people: Glossary = {"person": (PERSON,)}
    assert sort_of(organizations, store, "acme", None) == "acme is an organization"
    assert sort_of(people, store, "acme", None) == "acme is a person"
    assert sort_of({}, store, "acme", None) == "acme is not on record as anything"
    again: Glossary = dict(organizations)  # the same contents, another glossary
    assert sort_terms(again) == sort_terms(organizations)
    assert sort_terms(again) is not sort_terms(organizations)


def test_the_glossaries_kept_are_bounded() -> None:
    glossaries: list[Glossary] = [{"person": (PERSON,)} for _ in range(3 * 8)]
    for glossary in glossaries:
        assert sort_terms(glossary) == ((PERSON,), ())
    assert len(wording._SORT_TERMS) <= 8
