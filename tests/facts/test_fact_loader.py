"""Fact files become base facts with their source, or are rejected with every problem located."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from policyeval.decree743 import VOCABULARY
from policyeval.decree743.vocabulary import BASE_PREDICATES, RECORD_TYPES, Organization
from policyeval.engine.store import ALWAYS, BaseFact, FactSource
from policyeval.errors import FactError, Problem
from policyeval.facts.loader import FactBase, load_fact_files, load_fact_records
from policyeval.language.syntax import Location

ACME = """\
- kind: organization
  id: acme
  name: Acme LLP
  org_kind: commercial
  bin: 123456789012
  city: astana
  head: ivanov
  has_protection_division: true
  empowered_provider: false

- kind: person
  id: ivanov
  name: Ivanov Ivan
  citizenship: kz
"""

# One record of every kind with every field written: together they give every base predicate.
EVERY_FIELD = """\
- {kind: organization, id: republic_kz, name: Republic of Kazakhstan, org_kind: state}
- kind: organization
  id: ministry
  name: Ministry
  org_kind: state_body
  bin: "000000000001"
  legal_address: Astana, 1 Main St
  city: astana
  head: minister
  head_may_classify: true
  has_protection_division: true
  empowered_provider: true
- {kind: organization, id: kns, name: KNB Astana, org_kind: national_security, city: astana}
- {kind: organization, id: acme, name: Acme LLP, org_kind: commercial, city: astana,
   quasi_public: true}
- {kind: territory, id: astana, name: Astana, territory_kind: city, region: akmola}
- {kind: territory, id: akmola, name: Akmola region, territory_kind: region}
- {kind: competence, id: kns_astana, authority: kns, territory: astana}
- kind: person
  id: minister
  name: Minister M.
  citizenship: kz
  iin: "800101300123"
  works_at: ministry
  position: minister
  residence: Astana, 2 Main St
  city: astana
  id_issuer: Ministry of Internal Affairs
- {kind: acting, id: deputy_acts, org: ministry, person: minister, start: 2026-01-01,
   end: 2026-01-31}
- {kind: ownership, id: state_owns_ministry, owner: republic_kz, owned: ministry, percent: 100}
- {kind: affiliation, id: acme_aff, affiliate: acme, subject: ministry}
- kind: secret
  id: plan
  name: Plan No. 1
  carrier: document
  stamp: top_secret
  account_number: 12/345
  copy_number: 2
  sheets: 14
  disposer: ministry
  owner: ministry
- kind: request
  id: req
  customer: ministry
  addressee: ministry
  executor: acme
  sent: 2026-02-01
  received: 2026-02-03
  executor_details:
    name: Acme LLP
    bin: "123456789012"
    legal_address: Astana
    head_name: Petrov P.
    iin: "800101300123"
    workplace: Acme
    position: engineer
    residence: Astana
    id_issuer: MIA
    no_workplace: true
  secrets: [plan]
  substantiation: needed for the work
  planned_start: 2026-03-01
  planned_end: 2026-12-31
  permits: [acme_permit]
  admissions: [minister_admission]
  draft: agr
- kind: answer
  id: ans
  request: req
  by: ministry
  decision: refused
  date: 2026-02-10
  signed_by: minister
  executor: acme
  secrets: [plan]
  reasons: [no permit]
  received: 2026-02-11
  withdrawn: 2026-03-01
- kind: agreement
  id: agr
  customer: ministry
  executor: acme
  concluded: 2026-02-20
  subject: maintenance
  control_terms: clause 5
  financing_terms: clause 6
  permits: [acme_permit]
  admissions: [minister_admission]
  annex: [plan]
  certificate: circulating information
  systems: [plan]
  work_city: astana
  at_customer_premises: true
  responsible_division: security department
  protection_by: ministry
- {kind: addendum, id: add1, agreement: agr, date: 2026-05-01, assignee: ministry, change: chg,
   secrets: [plan]}
- kind: notice
  id: ntc
  customer: ministry
  authority: kns
  date: 2026-02-21
  agreement: agr
  secrets: [plan]
- kind: permit
  id: acme_permit
  holder: acme
  number: P-1
  issued: 2025-01-01
  valid_until: 2027-12-31
  issuer: kns
  protection_agreements: [prot]
- kind: admission
  id: minister_admission
  person: minister
  number: A-1
  issued: 2025-01-01
  valid_until: 2030-01-01
  issuer: kns
  form: 2
  level: top_secret
- {kind: protection_agreement, id: prot, executor: acme, provider: ministry, concluded: 2025-06-01}
- kind: service_notice
  id: snt
  protection_agreement: prot
  sender: ministry
  services: [courier_service, special_postal_service]
  date: 2025-06-05
- {kind: violation, id: vio, agreement: agr, date: 2026-04-01, description: open safe,
   eliminated: 2026-04-03}
- {kind: suspension, id: sus, agreement: agr, start: 2026-04-01, end: 2026-04-03, violation: vio}
- {kind: cancellation, id: can, target: acme_permit, date: 2026-06-01, by: kns}
- {kind: change, id: chg, party: ministry, change_kind: functions, date: 2026-04-20,
   agreements: [agr]}
- {kind: change_notice, id: chn, change: chg, sender: ministry, recipient: kns, date: 2026-04-21}
- {kind: secret_return, id: ret, executor: acme, customer: ministry, secrets: [plan],
   date: 2026-07-01, agreement: agr}
- {kind: transfer, id: trf, customer: ministry, executor: acme, secrets: [plan],
   date: 2026-03-01, agreement: agr, recipient: minister}
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def rejected(load: Callable[[], object]) -> list[Problem]:
    """The problems of a load that must fail."""
    with pytest.raises(FactError) as caught:
        load()
    count = len(caught.value.problems)
    assert caught.value.message == f"fact base rejected: {count} problem{'s' * (count != 1)}"
    return caught.value.problems


def rows(base: FactBase | list[BaseFact], predicate: str) -> set[tuple[object, ...]]:
    facts = base.facts if isinstance(base, FactBase) else base
    return {f.args for f in facts if f.predicate == predicate}


# ---- valid records ------------------------------------------------------------------------


def test_records_become_base_facts_with_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "acme.yaml", ACME)
    base = load_fact_files([path], VOCABULARY)

    at_acme, at_ivanov = FactSource(str(path), 1, "acme"), FactSource(str(path), 11, "ivanov")
    assert base.facts[:4] == [
        BaseFact("organization", ("acme",), at_acme),
        BaseFact("org_name", ("acme", "Acme LLP"), at_acme),
        BaseFact("org_kind", ("acme", "commercial", *ALWAYS), at_acme),
        BaseFact("org_bin", ("acme", "123456789012"), at_acme),
    ]
    assert BaseFact("citizenship", ("ivanov", "kz"), at_ivanov) in base.facts
    assert isinstance(base.records["organization"]["acme"], Organization)
    assert base.kind_of("ivanov") == "person"
    assert base.kind_of("nobody") is None


def test_flags_give_a_row_only_when_true_and_absent_fields_none(tmp_path: Path) -> None:
    base = load_fact_files([write(tmp_path, "acme.yaml", ACME)], VOCABULARY)

    assert rows(base, "has_protection_division") == {("acme", *ALWAYS)}
    assert rows(base, "empowered_provider") == set()
    assert rows(base, "org_address") == set()
    assert rows(base, "located_in") == {("acme", "astana", *ALWAYS)}


def test_every_record_kind_and_every_base_predicate(tmp_path: Path) -> None:
    base = load_fact_files([write(tmp_path, "world.yaml", EVERY_FIELD)], VOCABULARY)

    given = {f.predicate: len(f.args) for f in [*base.facts, *base.computed_facts()]}
    dated = VOCABULARY.dated()
    stored = {name: len(args) + (name in dated) for name, args in BASE_PREDICATES.items()}
    assert given == stored
    assert {kind for kind, records in base.records.items() if records} == set(RECORD_TYPES)
    assert all(
        isinstance(v, str | int | dt.date) and not isinstance(v, bool)
        for f in base.facts
        for v in f.args
    )


def test_lists_give_one_row_per_item_and_nested_details_belong_to_the_record(
    tmp_path: Path,
) -> None:
    base = load_fact_files([write(tmp_path, "world.yaml", EVERY_FIELD)], VOCABULARY)

    assert rows(base, "service_notice_recipient") == {
        ("snt", "courier_service"),
        ("snt", "special_postal_service"),
    }
    assert rows(base, "request_executor_bin") == {("req", "123456789012")}
    assert rows(base, "request_planned_end") == {("req", dt.date(2026, 12, 31))}
    assert rows(base, "secret_copy") == {("plan", "2")}
    assert rows(base, "secret_sheets") == {("plan", 14)}
    assert rows(base, "admission_form") == {("minister_admission", 2)}


def test_shares_are_exact_percentages_of_any_precision(tmp_path: Path) -> None:
    shares = (
        "- {kind: ownership, id: s1, owner: ivanov, owned: acme, percent: 99.4999}\n"
        "- {kind: ownership, id: s2, owner: acme, owned: acme, percent: 0.5000,"
        " valid_from: 2026-01-01}\n"
        "- {kind: ownership, id: s3, owner: acme, owned: acme, percent: 0.0001}\n"
    )
    base = load_fact_files([write(tmp_path, "shares.yaml", ACME + shares)], VOCABULARY)

    assert rows(base, "owns") == {
        ("ivanov", "acme", "99.4999 %", *ALWAYS),
        ("acme", "acme", "0.5 %", dt.date(2026, 1, 1), ALWAYS[1]),
        ("acme", "acme", "0.0001 %", *ALWAYS),
    }


def test_dated_fields_take_values_with_periods(tmp_path: Path) -> None:
    heads = ACME.replace(
        "  head: ivanov\n",
        "  head:\n"
        "    - {value: ivanov, valid_to: 2026-03-01}\n"
        "    - {value: ivanov, valid_from: 2026-06-01}\n",
    )
    store = load_fact_files([write(tmp_path, "acme.yaml", heads)], VOCABULARY).store()

    on = [day for day in (dt.date(2026, 3, 1), dt.date(2026, 4, 1), dt.date(2026, 6, 1))]
    assert [store.holds("org_head", ("acme", "ivanov", day)) for day in on] == [True, False, True]
    matched = store.match("org_head", ("acme", None, None))
    periods = [source.period if source else None for _, source in matched]
    assert periods == [(ALWAYS[0], dt.date(2026, 3, 1)), (dt.date(2026, 6, 1), ALWAYS[1])]


def test_a_period_that_ends_before_it_begins_is_rejected(tmp_path: Path) -> None:
    backwards = ACME.replace(
        "  head: ivanov\n",
        "  head: [{value: ivanov, valid_from: 2026-03-02, valid_to: 2026-03-01}]\n",
    )
    problems = rejected(lambda: load_fact_files([write(tmp_path, "a.yaml", backwards)], VOCABULARY))
    assert "valid_to is before valid_from" in problems[0].message


def test_mapping_form_directories_and_references_across_files(tmp_path: Path) -> None:
    facts = tmp_path / "facts"
    people = write(
        facts,
        "b/people.yml",
        "records:\n  - {kind: person, id: ivanov, name: I, citizenship: kz}\n",
    )
    orgs = write(
        facts,
        "a.yaml",
        "- {kind: organization, id: acme, name: A, org_kind: commercial, head: ivanov}\n",
    )
    write(facts, "notes.txt", "not facts")
    base = load_fact_files([facts], VOCABULARY)

    assert [f.source for f in base.facts if f.predicate in {"person", "organization"}] == [
        FactSource(str(orgs), 1, "acme"),
        FactSource(str(people), 2, "ivanov"),
    ]
    assert rows(base, "org_head") == {("acme", "ivanov", *ALWAYS)}


def test_version_follows_the_bytes(tmp_path: Path) -> None:
    path = write(tmp_path, "acme.yaml", ACME)
    first = load_fact_files([path], VOCABULARY).version
    assert first == load_fact_files([path], VOCABULARY).version
    assert len(first) == 12
    path.write_text(ACME.replace("Acme LLP", "Acme JSC"), encoding="utf-8")
    assert load_fact_files([path], VOCABULARY).version != first


def test_store_declares_every_base_predicate(tmp_path: Path) -> None:
    store = load_fact_files([write(tmp_path, "acme.yaml", ACME)], VOCABULARY).store()

    assert store.schema() == {name: len(args) for name, args in BASE_PREDICATES.items()}
    assert store.holds("org_head", ("acme", "ivanov", dt.date(2026, 1, 1)))
    assert list(store.facts("transfer")) == []


def test_no_is_norway_not_false(tmp_path: Path) -> None:
    path = write(tmp_path, "no.yaml", ACME.replace("citizenship: kz", "citizenship: no"))
    assert rows(load_fact_files([path], VOCABULARY), "citizenship") == {("ivanov", "no")}


# ---- problems -----------------------------------------------------------------------------


def test_unknown_kind_suggests_the_closest(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", "- kind: organisation\n  id: acme\n")
    [problem] = rejected(lambda: load_fact_files([path], VOCABULARY))

    assert problem == Problem(
        "unknown_kind",
        "unknown kind `organisation` (did you mean `organization`?)",
        Location(str(path), 1, 9),
    )


def test_missing_field_names_record_and_field_at_the_record(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", ACME.replace("  org_kind: commercial\n", ""))
    [problem] = rejected(lambda: load_fact_files([path], VOCABULARY))

    assert problem.code == "missing_field"
    assert problem.message == "organization `acme`: missing field `org_kind`"
    assert problem.location == Location(str(path), 1, 3)


def test_invalid_date_is_reported_at_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.yaml",
        ACME + "- {kind: acting, id: act, org: acme, person: ivanov,\n   start: 2026-02-30}\n",
    )
    [problem] = rejected(lambda: load_fact_files([path], VOCABULARY))

    assert problem.code == "invalid_field"
    assert problem.message.startswith("acting `act`: field `start`: input should be a valid date")
    assert problem.message.endswith("(got `2026-02-30`)")
    assert problem.location == Location(str(path), 16, 11)


def test_unknown_field_in_a_nested_part_suggests_the_closest(tmp_path: Path) -> None:
    text = EVERY_FIELD.replace("    head_name: Petrov P.", "    head_nme: Petrov P.")
    path = write(tmp_path, "a.yaml", text)
    [problem] = rejected(lambda: load_fact_files([path], VOCABULARY))

    assert problem.code == "unknown_field"
    assert problem.message == (
        "request `req`: unknown field `executor_details.head_nme` (did you mean `head_name`?)"
    )
    line = text.splitlines().index("    head_nme: Petrov P.") + 1
    assert problem.location == Location(str(path), line, 15)


def test_duplicate_id_names_both_places(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", ACME)
    second = write(tmp_path, "b.yaml", "- {kind: secret, id: acme, name: Plan}\n")
    [problem] = rejected(lambda: load_fact_files([tmp_path], VOCABULARY))

    assert problem.code == "duplicate_id"
    assert problem.location == Location(str(second), 1, 22)
    assert problem.message == (
        f"secret `acme`: id `acme` is already used by organization `acme` at {first}:1:3"
    )


def test_references_must_name_a_record_of_the_right_kind(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.yaml",
        ACME
        + "- {kind: transfer, id: t, customer: acm, executor: acme, secrets: [ivanov],"
        + " date: 2026-01-01}\n",
    )
    problems = rejected(lambda: load_fact_files([path], VOCABULARY))

    assert [(p.code, p.message) for p in problems] == [
        (
            "unknown_reference",
            "transfer `t`: field `customer`: no `organization` called `acm` (did you mean `acme`?)",
        ),
        (
            "wrong_reference",
            "transfer `t`: field `secrets[0]`: `ivanov` is of kind `person`, not `secret`",
        ),
    ]
    assert [p.location for p in problems] == [
        Location(str(path), 15, 37),
        Location(str(path), 15, 68),
    ]


def test_yaml_syntax_error_has_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", "- kind: person\n  id: [ivanov\n  name: x\n")
    [problem] = rejected(lambda: load_fact_files([path], VOCABULARY))

    assert problem.code == "yaml_error"
    assert problem.location is not None and problem.location.line == 3


def test_duplicate_keys_and_bad_shapes(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", ACME.replace("  city: astana\n", "  city: astana\n  city: almaty\n"))
    write(tmp_path, "b.yaml", "kind: person\n")
    write(tmp_path, "c.yaml", "- just text\n")
    problems = rejected(lambda: load_fact_files([tmp_path, tmp_path / "missing.yaml"], VOCABULARY))

    assert [p.code for p in problems] == ["duplicate_key", "bad_file", "bad_record", "missing_file"]


def test_every_problem_in_every_file_at_once_sorted_and_nothing_loaded(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", ACME.replace("bin: 123456789012", "bin: 12345"))
    write(
        tmp_path, "b.yaml", "- {kind: person, id: petrov, name: P, citizenship: kz, works_at: ac}\n"
    )
    write(tmp_path, "c.yaml", "- {kind: secret, id: plan, name: Plan, sheets: 0, stamp: secrett}\n")
    problems = rejected(lambda: load_fact_files([tmp_path], VOCABULARY))

    assert [(Path(p.location.file).name, p.code) for p in problems if p.location] == [
        ("a.yaml", "invalid_field"),
        ("b.yaml", "unknown_reference"),
        ("c.yaml", "invalid_field"),
        ("c.yaml", "invalid_field"),
    ]
    assert "organization `acme`: field `bin`" in problems[0].message
    assert str(problems[0]).startswith(f"{tmp_path / 'a.yaml'}:5:8: invalid_field: ")


def test_a_record_that_fails_does_not_cascade_into_unknown_references(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", ACME.replace("  citizenship: kz\n", ""))
    [problem] = rejected(lambda: load_fact_files([path], VOCABULARY))

    assert problem.code == "missing_field"  # and no unknown reference from acme's `head`


# ---- what-if records ----------------------------------------------------------------------


def test_what_if_records_load_against_a_base(tmp_path: Path) -> None:
    base = load_fact_files([write(tmp_path, "acme.yaml", ACME)], VOCABULARY)
    assumed: list[dict[str, Any]] = [
        {"kind": "secret", "id": "plan", "name": "Plan", "stamp": "secret"},
        {
            "kind": "transfer",
            "id": "t1",
            "customer": "acme",
            "executor": "ivanov",
            "secrets": ["plan"],
            "date": "2026-03-01",
        },
    ]
    facts = load_fact_records(assumed, base=base)

    assert (
        BaseFact("transfer_date", ("t1", dt.date(2026, 3, 1)), FactSource("<assume>", 2, "t1"))
        in facts
    )
    assert rows(facts, "secret_stamp") == {("plan", "secret")}
    assert base.store().overlay(facts).holds("transfer_secret", ("t1", "plan"))


def test_what_if_records_may_restate_a_base_record_to_add_rows(tmp_path: Path) -> None:
    base = load_fact_files([write(tmp_path, "acme.yaml", ACME)], VOCABULARY)
    restated = {"kind": "organization", "id": "acme", "name": "Acme LLP", "org_kind": "commercial"}
    facts = load_fact_records([{**restated, "empowered_provider": True}], base=base)
    assert rows(facts, "empowered_provider") == {("acme", *ALWAYS)}

    problems = rejected(lambda: load_fact_records([{**restated, "kind": "secret"}], base=base))
    assert [p.code for p in problems] == ["unknown_field", "duplicate_id"]


def test_what_if_records_are_checked_like_files() -> None:
    notice = {"kind": "notice", "id": "n1", "customer": "acme", "authority": "kns"}
    problems = rejected(
        lambda: load_fact_records(
            [notice, {**notice, "id": "n2", "date": "2026-01-01"}], "w.json", vocabulary=VOCABULARY
        )
    )

    assert [(p.code, p.location) for p in problems] == [
        ("missing_field", Location("w.json", 1)),
        ("unknown_reference", Location("w.json", 2)),
        ("unknown_reference", Location("w.json", 2)),
    ]
    assert problems[0].message == "notice `n1`: missing field `date`"


# ---- computed facts -----------------------------------------------------------------------

SHARES = """\
- {kind: organization, id: state, name: Republic, org_kind: state}
- {kind: organization, id: prov, name: Provider JSC, org_kind: commercial}
- {kind: organization, id: part, name: Partly JSC, org_kind: commercial}
- {kind: ownership, id: own_prov_a, owner: state, owned: prov, percent: 60}
- {kind: ownership, id: own_prov_b, owner: state, owned: prov, percent: 40, valid_to: 2026-03-31}
- {kind: ownership, id: own_prov_c, owner: state, owned: prov, percent: 39.9999,
   valid_from: 2026-04-01}
- {kind: ownership, id: own_part, owner: state, owned: part, percent: 60}
"""


def test_shares_that_sum_to_the_whole_capital_give_a_dated_computed_fact(tmp_path: Path) -> None:
    path = write(tmp_path, "shares.yaml", SHARES)
    base = load_fact_files([path], VOCABULARY)
    store = base.store()

    # 60 + 40 until 31 March; 60 + 39.9999 after: the register no longer accounts for it all.
    assert rows(base.computed_facts(), "capital_accounted") == {
        ("prov", dt.date.min, dt.date(2026, 3, 31))
    }
    assert not any(f.predicate == "capital_accounted" for f in base.facts)
    assert store.holds("capital_accounted", ("prov", dt.date(2026, 3, 31)))
    assert not store.holds("capital_accounted", ("prov", dt.date(2026, 4, 1)))
    assert not store.holds("capital_accounted", ("part", dt.date(2026, 1, 1)))
    [(_, source)] = store.match("capital_accounted", ("prov", dt.date(2026, 1, 1)))
    assert source == FactSource(str(path), 4, "own_prov_a", (dt.date.min, dt.date(2026, 3, 31)))


def test_a_fact_base_without_a_share_computes_the_sum_without_it(tmp_path: Path) -> None:
    base = load_fact_files([write(tmp_path, "shares.yaml", SHARES)], VOCABULARY)
    records = {
        kind: {rid: r for rid, r in by_id.items() if rid != "own_prov_b"}
        for kind, by_id in base.records.items()
    }
    without = FactBase(records, base.facts, base.version, VOCABULARY)
    assert rows(without.computed_facts(), "capital_accounted") == set()


def test_what_if_shares_are_summed_with_the_base_shares(tmp_path: Path) -> None:
    base = load_fact_files([write(tmp_path, "shares.yaml", SHARES)], VOCABULARY)
    share = {"kind": "ownership", "id": "own_part_b", "owner": "state", "owned": "part"}
    facts = load_fact_records([{**share, "percent": 40, "valid_from": "2026-02-01"}], base=base)

    assert rows(facts, "capital_accounted") == {("part", dt.date(2026, 2, 1), dt.date.max)}
    assert [f.source for f in facts if f.predicate == "capital_accounted"] == [
        FactSource("<assume>", 1, "own_part_b")
    ]
    overlay = base.store().overlay(facts)
    assert overlay.holds("capital_accounted", ("part", dt.date(2026, 2, 1)))
    assert not overlay.holds("capital_accounted", ("part", dt.date(2026, 1, 31)))
