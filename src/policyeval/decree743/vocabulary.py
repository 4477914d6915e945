"""The fact vocabulary of Decree 743: the record kinds fact files hold.

Each record kind is a pydantic model below; its fields declare the base predicates they give
(:mod:`policyeval.facts.model` says how records become rows). :data:`VOCABULARY` gathers them for
the loader, the JSON Schema and the README tables.
"""

import datetime as dt
from collections.abc import Iterator, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from policyeval.decree743 import calendar
from policyeval.engine.store import ALWAYS, Period
from policyeval.facts.model import (
    Computed,
    Dated,
    FactRecord,
    Id,
    Part,
    Pred,
    PredicateSpec,
    Ref,
    Relation,
    Text,
    Vocabulary,
)
from policyeval.language.syntax import Value

__all__ = [
    "BASE_PREDICATES",
    "COUNTRY_PATTERN",
    "DIGITS12_PATTERN",
    "PREDICATES",
    "RECORD_TYPES",
    "VOCABULARY",
    "Acting",
    "Addendum",
    "Admission",
    "Affiliation",
    "Agreement",
    "Answer",
    "AnswerDecision",
    "Cancellation",
    "Carrier",
    "Change",
    "ChangeKind",
    "ChangeNotice",
    "Competence",
    "ExecutorDetails",
    "Notice",
    "OrgKind",
    "Organization",
    "Ownership",
    "Permit",
    "Person",
    "PostalService",
    "ProtectionAgreement",
    "Record",
    "Request",
    "Secret",
    "SecretReturn",
    "ServiceNotice",
    "Stamp",
    "Subject",
    "Suspension",
    "Territory",
    "TerritoryKind",
    "Transfer",
    "Violation",
    "whole_capital_periods",
]


def format_percent(percent: Decimal) -> str:
    """A percentage exactly as entered, without trailing zeros or an exponent.

    >>> [format_percent(Decimal(text)) for text in ("25.50", "1E+2", "0.0001")]
    ['25.5', '100', '0.0001']
    """
    return format(percent.normalize(), "f")


def whole_capital_periods(shares: Sequence[tuple[Decimal, Period]]) -> list[Period]:
    """The days on which ``shares`` (percentages, each held over a period) sum to 100 % or
    more, as maximal periods.

    >>> day = dt.date
    >>> whole_capital_periods([(Decimal(60), ALWAYS), (Decimal(40), (day(2026, 1, 1), day.max))])
    [(datetime.date(2026, 1, 1), datetime.date(9999, 12, 31))]
    >>> whole_capital_periods([(Decimal(60), ALWAYS)])
    []
    """
    starts = {ALWAYS[0]} | {first for _, (first, _) in shares}
    starts |= {last + dt.timedelta(days=1) for _, (_, last) in shares if last < ALWAYS[1]}
    ordered = sorted(starts)
    ends = [start - dt.timedelta(days=1) for start in ordered[1:]] + [ALWAYS[1]]
    periods: list[Period] = []
    for start, end in zip(ordered, ends, strict=True):
        if sum(share for share, (first, last) in shares if first <= start <= last) < 100:
            continue
        if periods and periods[-1][1] + dt.timedelta(days=1) == start:
            periods[-1] = (periods[-1][0], end)
        else:
            periods.append((start, end))
    return periods


DIGITS12_PATTERN = r"^\d{12}$"
COUNTRY_PATTERN = r"^(?:[a-z]{2}|stateless)$"

Digits12 = Annotated[str, StringConstraints(pattern=DIGITS12_PATTERN)]
"""A business (BIN) or individual (IIN) identification number."""
Country = Annotated[str, StringConstraints(pattern=COUNTRY_PATTERN)]
"""An ISO 3166-1 alpha-2 code in lower case (``kz``), or ``stateless``."""
Count = Annotated[int, Field(ge=1)]


# ---- closed sets --------------------------------------------------------------------------


class OrgKind(StrEnum):
    """What an organization is (cl. 2, 8)."""

    STATE = "state"
    STATE_BODY = "state_body"
    STATE_ORGANIZATION = "state_organization"
    QUASI_PUBLIC = "quasi_public"
    COMMERCIAL = "commercial"
    FOREIGN = "foreign"
    NATIONAL_SECURITY = "national_security"


class TerritoryKind(StrEnum):
    """Territorial units: the competence of national security departments (cl. 3.3, 10)."""

    REPUBLICAN_CITY = "republican_city"
    REGION = "region"
    CITY = "city"
    SETTLEMENT = "settlement"


class Stamp(StrEnum):
    """Secrecy stamps: «секретно», «совершенно секретно», «особой важности»."""

    SECRET = "secret"
    TOP_SECRET = "top_secret"
    SPECIAL_IMPORTANCE = "special_importance"


class Carrier(StrEnum):
    """What carries a secret: a document, another material, or an information system (cl. 6)."""

    DOCUMENT = "document"
    MATERIAL = "material"
    INFORMATION_SYSTEM = "information_system"


class AnswerDecision(StrEnum):
    """A state body's answer to a request (cl. 5)."""

    GRANTED = "granted"
    REFUSED = "refused"


class Subject(StrEnum):
    """What an agreement is about: transferring carriers, or maintaining information systems."""

    DOCUMENTS = "documents"
    MAINTENANCE = "maintenance"


class PostalService(StrEnum):
    """Services a protection-services provider must inform in writing (cl. 8, last paragraph)."""

    COURIER = "courier_service"
    SPECIAL_POST = "special_postal_service"


class ChangeKind(StrEnum):
    """Events of cl. 10."""

    FUNCTIONS = "functions"
    OWNERSHIP = "ownership"
    LIQUIDATION = "liquidation"
    TERMINATION = "termination"


_ORG = Ref(("organization",))
_PERSON = Ref(("person",))
_PARTY = Ref(("organization", "person"))
_SECRET = Ref(("secret",))
_REQUEST = Ref(("request",))
_AGREEMENT = Ref(("agreement",))
_PERMIT = Ref(("permit",))
_ADMISSION = Ref(("admission",))
_PROTECTION = Ref(("protection_agreement",))
_VIOLATION = Ref(("violation",))
_CHANGE = Ref(("change",))
_AGREEMENT_OR_PERMIT = Ref(("agreement", "permit"))
_TERRITORY = Ref(("territory",))

_LOCATED_IN_DOC = "On Day, Party actually works (is located) in City, a symbol such as `astana`."


class Organization(FactRecord):
    """An organization. The Republic of Kazakhstan itself, as an owner, is one of kind `state`."""

    kind: Literal["organization"]
    var = "Org"
    title = "an organization (a state body, an enterprise, a company, an authority, the state)"

    name: Annotated[Text, Pred("org_name", "Org Name", "Org's full name is Name.")]
    org_kind: Annotated[
        Dated[OrgKind],
        Pred("org_kind", "Org Kind Day", "Org is of kind Kind on Day.", dated=True, sort=True),
    ]
    bin: Annotated[
        Digits12 | None,
        Pred("org_bin", "Org Bin", "Org's business identification number is Bin."),
    ] = None
    legal_address: Annotated[
        Text | None, Pred("org_address", "Org Address", "Org's legal address is Address.")
    ] = None
    city: Annotated[
        Dated[Id] | None, Pred("located_in", "Party City Day", _LOCATED_IN_DOC, dated=True)
    ] = None
    head: Annotated[
        Dated[Id] | None,
        _PERSON,
        Pred("org_head", "Org Person Day", "Person is the head of Org on Day.", dated=True),
    ] = None
    head_may_classify: Annotated[
        bool,
        Pred(
            "head_may_classify",
            "Org",
            "The head of Org is empowered to classify information as state secrets (cl. 4, 5).",
        ),
    ] = False
    has_protection_division: Annotated[
        Dated[bool],
        Pred(
            "has_protection_division",
            "Org Day",
            "Org has a division for protection of state secrets on Day.",
            dated=True,
        ),
    ] = False
    empowered_provider: Annotated[
        Dated[bool],
        Pred(
            "empowered_provider",
            "Org Day",
            "On Day, Org is empowered by the Government to provide services in the field of"
            " protecting state secrets (cl. 8.4).",
            dated=True,
        ),
    ] = False
    quasi_public: Annotated[
        Dated[bool],
        Pred(
            "quasi_public_status",
            "Org Day",
            "On Day, Org is a subject of the quasi-public sector, whatever its kind (a"
            " commercial company may be one, cl. 2.3, 8.3).",
            dated=True,
        ),
    ] = False


class Person(FactRecord):
    """A natural person: a head, an official, a citizen executor, an owner."""

    kind: Literal["person"]
    var = "Person"
    title = "a natural person"

    name: Annotated[
        Text, Pred("person_name", "Person Name", "Person's surname, name and patronymic are Name.")
    ]
    citizenship: Annotated[
        Country,
        Pred(
            "citizenship",
            "Person Country",
            "Person is a citizen of Country (`kz`, …).",
            fixed=True,
        ),
    ]
    iin: Annotated[
        Digits12 | None,
        Pred("person_iin", "Person Iin", "Person's individual identification number is Iin."),
    ] = None
    works_at: Annotated[
        Dated[Id] | None,
        _ORG,
        Pred("works_at", "Person Org Day", "Person works (studies) at Org on Day.", dated=True),
    ] = None
    position: Annotated[
        Text | None, Pred("person_position", "Person Position", "Person's position is Position.")
    ] = None
    residence: Annotated[
        Text | None,
        Pred("person_residence", "Person Address", "Person's place of residence is Address."),
    ] = None
    city: Annotated[
        Dated[Id] | None, Pred("located_in", "Party City Day", _LOCATED_IN_DOC, dated=True)
    ] = None
    id_issuer: Annotated[
        Text | None,
        Pred(
            "person_id_issuer",
            "Person Issuer",
            "Issuer is the authority that issued Person's identity document.",
        ),
    ] = None


class Acting(FactRecord):
    """An appointment to act for the head of an organization from `start` to `end` (cl. 5)."""

    kind: Literal["acting"]
    var = "Acting"
    title = "an appointment to act for the head of an organization (cl. 5)"

    org: Annotated[Id, _ORG, Pred("acting_org", "Acting Org", "Acting is for the head of Org.")]
    person: Annotated[
        Id, _PERSON, Pred("acting_person", "Acting Person", "Person is appointed by Acting.")
    ]
    start: Annotated[dt.date, Pred("acting_start", "Acting Date", "Acting takes effect on Date.")]
    end: Annotated[
        dt.date | None, Pred("acting_end", "Acting Date", "Acting ends on Date (inclusive).")
    ] = None


def _whole_capital_rows(owned: Value, shares: Sequence[FactRecord]) -> Iterator[tuple[Value, ...]]:
    """``capital_accounted`` rows of ``owned``: its shares on record reach 100 %."""
    held = [(share.percent, share.period) for share in shares if isinstance(share, Ownership)]
    for first, last in whole_capital_periods(held):
        yield owned, first, last


class Ownership(FactRecord):
    """A share of an organization's capital held by an organization or a person, over a period."""

    kind: Literal["ownership"]
    var = "Share"
    title = "a share in an organization's capital"
    entity = False
    relations = (
        Relation(
            "owns",
            ("Owner", "Owned", "Share", "Day"),
            ("owner", "owned", "share"),
            "On Day, Owner holds Share (a percentage such as `25.5 %`) of Owned's capital.",
            dated=True,
        ),
    )
    computed = (
        Computed(
            "capital_accounted",
            ("Owned", "Day"),
            "On Day, the shares of Owned's capital on record sum to 100 % (or more): the whole"
            " capital is accounted for (cl. 8.4).",
            group="owned",
            how="the sum of `percent` on the day",
            rows=_whole_capital_rows,
            dated=True,
        ),
    )

    owner: Annotated[Id, _PARTY, Field(description="The organization or person holding the share.")]
    owned: Annotated[Id, _ORG, Field(description="The organization whose capital it is.")]
    percent: Annotated[
        Decimal,
        Field(
            gt=0,
            le=100,
            allow_inf_nan=False,
            description="The share in percent, exact: 100, 25.5, 0.0001.",
        ),
    ]
    valid_from: dt.date | None = Field(
        default=None, description="The first day the share is held; open when left out."
    )
    valid_to: dt.date | None = Field(
        default=None, description="The last day the share is held; open when left out."
    )

    @property
    def share(self) -> str:
        """The share as people write it: ``25.5 %`` (exact; no trailing zeros)."""
        return f"{format_percent(self.percent)} %"

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self


class Affiliation(FactRecord):
    """An affiliation of a legal or natural person with a quasi-public sector subject (cl. 8.3)."""

    kind: Literal["affiliation"]
    var = "Affiliation"
    title = "an affiliation with a quasi-public sector subject (cl. 8.3)"
    entity = False
    relations = (
        Relation(
            "affiliated",
            ("Party", "Subject", "Day"),
            ("affiliate", "subject"),
            "On Day, Party is affiliated with Subject under the legislative acts (cl. 8.3).",
            dated=True,
        ),
    )

    affiliate: Annotated[Id, _PARTY, Field(description="The affiliated organization or person.")]
    subject: Annotated[Id, _ORG, Field(description="The quasi-public sector subject.")]
    valid_from: dt.date | None = Field(
        default=None, description="The first day of the affiliation; open when left out."
    )
    valid_to: dt.date | None = Field(
        default=None, description="The last day of the affiliation; open when left out."
    )


class Territory(FactRecord):
    """A territorial unit: a city of republican significance, a region, a city or a settlement.

    Its id is the symbol `city` fields use (`astana`); a city or settlement names the region it
    lies in (cl. 3.3: the competent national security department)."""

    kind: Literal["territory"]
    var = "Territory"
    title = "a territorial unit (a city of republican significance, a region, a city, a settlement)"

    name: Annotated[Text, Pred("territory_name", "Territory Name", "Territory's name is Name.")]
    territory_kind: Annotated[
        TerritoryKind,
        Pred("territory_kind", "Territory Kind", "Territory is a Kind.", sort=True),
    ]
    region: Annotated[
        Dated[Id] | None,
        _TERRITORY,
        Pred(
            "territory_region",
            "Territory Region Day",
            "On Day, Territory lies in the region Region.",
            dated=True,
        ),
    ] = None


class Competence(FactRecord):
    """The territory a national security department is competent for, over a period (cl. 3.3)."""

    kind: Literal["competence"]
    var = "Competence"
    title = "the territorial competence of a national security department (cl. 3.3, 10)"
    entity = False
    relations = (
        Relation(
            "competent_for",
            ("Authority", "Territory", "Day"),
            ("authority", "territory"),
            "On Day, Authority (a national security department) is competent for Territory"
            " (cl. 3.3, 10).",
            dated=True,
        ),
    )

    authority: Annotated[Id, _ORG, Field(description="The national security department.")]
    territory: Annotated[
        Id, _TERRITORY, Field(description="The city of republican significance or the region.")
    ]
    valid_from: dt.date | None = Field(
        default=None, description="The first day of the competence; open when left out."
    )
    valid_to: dt.date | None = Field(
        default=None, description="The last day of the competence; open when left out."
    )


class Secret(FactRecord):
    """A carrier of state secrets with its particulars (cl. 4.2, 6.4), or an information system."""

    kind: Literal["secret"]
    var = "Secret"
    title = "a carrier of state secrets: a document, another material, an information system"

    name: Annotated[Text, Pred("secret_name", "Secret Name", "Secret (the carrier) is named Name.")]
    carrier: Annotated[
        Carrier, Pred("secret_carrier", "Secret Carrier", "Secret's carrier is a Carrier.")
    ] = Carrier.DOCUMENT
    stamp: Annotated[
        Stamp | None, Pred("secret_stamp", "Secret Stamp", "Secret bears secrecy stamp Stamp.")
    ] = None
    account_number: Annotated[
        Text | None,
        Pred("secret_account", "Secret Number", "Secret is registered under account Number."),
    ] = None
    copy_number: Annotated[
        Text | None, Pred("secret_copy", "Secret Number", "Secret is copy number Number.")
    ] = None
    sheets: Annotated[
        Count | None, Pred("secret_sheets", "Secret Sheets", "Secret has Sheets sheets.")
    ] = None
    disposer: Annotated[
        Id | None,
        _ORG,
        Pred(
            "secret_disposer",
            "Secret Org",
            "Org is the state body that disposes Secret (Law, art. 15).",
        ),
    ] = None
    owner: Annotated[
        Id | None,
        _ORG,
        Pred("secret_owner", "Secret Org", "Org owns Secret (an information system)."),
    ] = None


class ExecutorDetails(Part):
    """Item 1 of a request: the executor as the request describes it, each detail optional."""

    name: Annotated[
        Text | None,
        Pred(
            "request_executor_name",
            "Request Name",
            "Request gives the executor's full name Name (organization or citizen).",
        ),
    ] = None
    bin: Annotated[
        Text | None,
        Pred("request_executor_bin", "Request Bin", "Request gives the executor's BIN as Bin."),
    ] = None
    legal_address: Annotated[
        Text | None,
        Pred(
            "request_executor_address",
            "Request Address",
            "Request gives the executor's legal address Address.",
        ),
    ] = None
    head_name: Annotated[
        Text | None,
        Pred(
            "request_executor_head",
            "Request Name",
            "Request names the executor's head: Name (surname, name, patronymic).",
        ),
    ] = None
    iin: Annotated[
        Text | None,
        Pred("request_executor_iin", "Request Iin", "Request gives the citizen's IIN as Iin."),
    ] = None
    workplace: Annotated[
        Text | None,
        Pred(
            "request_executor_workplace",
            "Request Place",
            "Request gives the citizen's place of work (study) Place.",
        ),
    ] = None
    position: Annotated[
        Text | None,
        Pred(
            "request_executor_position",
            "Request Position",
            "Request gives the citizen's position Position.",
        ),
    ] = None
    residence: Annotated[
        Text | None,
        Pred(
            "request_executor_residence",
            "Request Address",
            "Request gives the citizen's place of residence Address.",
        ),
    ] = None
    no_workplace: Annotated[
        bool,
        Pred(
            "request_executor_no_workplace",
            "Request",
            "Request states that the citizen has no place of work (study) nor position.",
        ),
    ] = False
    id_issuer: Annotated[
        Text | None,
        Pred(
            "request_executor_id_issuer",
            "Request Issuer",
            "Request names Issuer, the authority that issued the citizen's identity document.",
        ),
    ] = None


def _period_start(day: dt.date | None) -> dt.date | None:
    """A day a period of working days is counted from (cl. 5: ``add_working_days``): one the
    calendar knows, with a year left for the period, or loading would fail computing it."""
    first, last = calendar.FIRST_DAY, calendar.LAST_PERIOD_START
    if day is not None and not first <= day <= last:
        raise ValueError(
            f"{day} is outside {first} to {last}, the days Kazakhstan's working-day calendar"
            " can count the answer's period from"
        )
    return day


class Request(FactRecord):
    """A customer's written request for permission to transfer secrets (cl. 4)."""

    kind: Literal["request"]
    var = "Request"
    title = "a customer's request for permission to transfer secrets (cl. 4)"

    customer: Annotated[
        Id, _ORG, Pred("request_customer", "Request Org", "Org (the customer) made Request.")
    ]
    addressee: Annotated[
        Id, _ORG, Pred("request_addressee", "Request Org", "Request is addressed to Org.")
    ]
    executor: Annotated[
        Id,
        _PARTY,
        Pred("request_executor", "Request Executor", "Request is about executor Executor."),
    ]
    sent: Annotated[
        dt.date | None, Pred("request_sent", "Request Date", "Request was sent on Date.")
    ] = None
    received: Annotated[
        dt.date | None,
        Pred("request_received", "Request Date", "The addressee received Request on Date."),
        AfterValidator(_period_start),
    ] = None
    executor_details: ExecutorDetails = Field(
        default_factory=ExecutorDetails,
        description="Item 1: the executor as the request describes it.",
    )
    secrets: Annotated[
        list[Id],
        _SECRET,
        Pred("request_secret", "Request Secret", "Request lists Secret for transfer (item 2)."),
    ] = []
    substantiation: Annotated[
        Text | None,
        Pred(
            "request_substantiation",
            "Request Text",
            "Request substantiates the need to transfer by Text (item 3).",
        ),
    ] = None
    planned_start: Annotated[
        dt.date | None,
        Pred(
            "request_planned_start",
            "Request Date",
            "Request plans the transfer from Date (item 4).",
        ),
    ] = None
    planned_end: Annotated[
        dt.date | None,
        Pred(
            "request_planned_end",
            "Request Date",
            "Request plans the transfer until Date (item 4).",
        ),
    ] = None
    permits: Annotated[
        list[Id],
        _PERMIT,
        Pred("request_permit", "Request Permit", "Request gives the details of Permit (item 5)."),
    ] = []
    admissions: Annotated[
        list[Id],
        _ADMISSION,
        Pred(
            "request_admission",
            "Request Admission",
            "Request gives the details of Admission (item 5).",
        ),
    ] = []
    draft: Annotated[
        Id | None,
        _AGREEMENT,
        Pred(
            "request_draft",
            "Request Agreement",
            "Request is accompanied by Agreement as the draft agreement.",
        ),
    ] = None


class Answer(FactRecord):
    """A state body's written answer to a request: permission or a reasoned refusal (cl. 5)."""

    kind: Literal["answer"]
    var = "Answer"
    title = "a state body's answer to a request (cl. 5)"

    request: Annotated[
        Id, _REQUEST, Pred("answer_request", "Answer Request", "Answer answers Request.")
    ]
    by: Annotated[Id, _ORG, Pred("answer_by", "Answer Org", "Org (the state body) gave Answer.")]
    decision: Annotated[
        AnswerDecision, Pred("answer_decision", "Answer Decision", "Answer's decision is Decision.")
    ]
    date: Annotated[dt.date, Pred("answer_date", "Answer Date", "Answer is dated Date.")]
    signed_by: Annotated[
        Id | None,
        _PERSON,
        Pred("answer_signed_by", "Answer Person", "Person signed Answer."),
    ] = None
    executor: Annotated[
        Id | None,
        _PARTY,
        Pred("answer_executor", "Answer Executor", "Answer concerns executor Executor."),
    ] = None
    secrets: Annotated[
        list[Id],
        _SECRET,
        Pred(
            "answer_secret",
            "Answer Secret",
            "Answer covers Secret (the extent necessary for the work).",
        ),
    ] = []
    reasons: Annotated[
        list[Text],
        Pred("answer_reason", "Answer Reason", "Answer gives Reason for refusing the transfer."),
    ] = []
    received: Annotated[
        dt.date | None,
        Pred(
            "answer_received",
            "Answer Date",
            "The customer received Answer on Date (cl. 3.1, 7; when not given, its date counts).",
        ),
    ] = None
    withdrawn: Annotated[
        dt.date | None,
        Pred(
            "answer_withdrawn",
            "Answer Date",
            "The state body withdrew Answer (a permission) with effect from Date (cl. 3.1).",
        ),
    ] = None

    @model_validator(mode="after")
    def _after_its_date(self) -> Self:
        for name in ("received", "withdrawn"):
            day = getattr(self, name)
            if day is not None and day < self.date:
                raise ValueError(f"{name} is before the answer's date")
        return self


class Agreement(FactRecord):
    """An agreement for joint and other work (cl. 6); without `concluded` it is a draft."""

    kind: Literal["agreement"]
    var = "Agreement"
    title = "an agreement for joint and other work, or its draft (cl. 6)"

    customer: Annotated[
        Id, _ORG, Pred("agreement_customer", "Agreement Org", "Org is Agreement's customer.")
    ]
    executor: Annotated[
        Id,
        _PARTY,
        Pred("agreement_executor", "Agreement Executor", "Executor is Agreement's executor."),
    ]
    concluded: Annotated[
        dt.date | None,
        Pred("agreement_concluded", "Agreement Date", "Agreement was concluded on Date."),
    ] = None
    subject: Annotated[
        Subject,
        Pred("agreement_subject", "Agreement Subject", "Agreement's subject is Subject."),
    ] = Subject.DOCUMENTS
    control_terms: Annotated[
        Text | None,
        Pred(
            "agreement_control",
            "Agreement Text",
            "Agreement settles the customer's control and the executor's responsibility for"
            " safety of the secrets by Text (cl. 6.1).",
        ),
    ] = None
    financing_terms: Annotated[
        Text | None,
        Pred(
            "agreement_financing",
            "Agreement Text",
            "Agreement settles financing of protection of the secrets by Text (cl. 6.2).",
        ),
    ] = None
    permits: Annotated[
        list[Id],
        _PERMIT,
        Pred(
            "agreement_permit",
            "Agreement Permit",
            "Agreement gives the details of Permit (cl. 6.3).",
        ),
    ] = []
    admissions: Annotated[
        list[Id],
        _ADMISSION,
        Pred(
            "agreement_admission",
            "Agreement Admission",
            "Agreement gives the details of Admission (cl. 6.3).",
        ),
    ] = []
    annex: Annotated[
        list[Id],
        _SECRET,
        Pred("annex_secret", "Agreement Secret", "Agreement's annex lists Secret (cl. 6.4)."),
    ] = []
    certificate: Annotated[
        Text | None,
        Pred(
            "agreement_certificate",
            "Agreement Text",
            "Agreement has a certificate describing the circulating secrets: Text (cl. 6).",
        ),
    ] = None
    systems: Annotated[
        list[Id],
        _SECRET,
        Pred(
            "agreement_system",
            "Agreement System",
            "Agreement is for maintenance of information system System (cl. 6).",
        ),
    ] = []
    work_city: Annotated[
        Id | None,
        Pred("agreement_work_city", "Agreement City", "The work under Agreement is done in City."),
    ] = None
    at_customer_premises: Annotated[
        bool,
        Pred(
            "work_at_customer",
            "Agreement",
            "The work under Agreement is done at the customer's place (cl. 8.2).",
        ),
    ] = False
    responsible_division: Annotated[
        Text | None,
        Pred(
            "agreement_division",
            "Agreement Division",
            "Division of the customer concludes and monitors Agreement (cl. 6, last paragraph).",
        ),
    ] = None
    protection_by: Annotated[
        Id | None,
        _ORG,
        Pred(
            "agreement_protection_by",
            "Agreement Org",
            "The protection division of Org organizes protection of the secrets under"
            " Agreement (cl. 8).",
        ),
    ] = None


class Addendum(FactRecord):
    """An addendum to an agreement: the customer's assignee (cl. 10), secrets added (cl. 6.4, 7)."""

    kind: Literal["addendum"]
    var = "Addendum"
    title = "an addendum to an agreement (cl. 6.4, 7, 10)"

    agreement: Annotated[
        Id,
        _AGREEMENT,
        Pred("addendum_agreement", "Addendum Agreement", "Addendum amends Agreement."),
    ]
    date: Annotated[dt.date, Pred("addendum_date", "Addendum Date", "Addendum is dated Date.")]
    assignee: Annotated[
        Id | None,
        _ORG,
        Pred(
            "addendum_assignee",
            "Addendum Org",
            "Addendum names Org as the customer's assignee.",
        ),
    ] = None
    change: Annotated[
        Id | None,
        _CHANGE,
        Pred(
            "addendum_change",
            "Addendum Change",
            "Addendum was drawn up because of Change (it answers only that change, cl. 10).",
        ),
    ] = None
    secrets: Annotated[
        list[Id],
        _SECRET,
        Pred(
            "addendum_secret",
            "Addendum Secret",
            "Addendum adds Secret to the agreement's annex from its date (cl. 6.4, 7).",
        ),
    ] = []


class Notice(FactRecord):
    """A customer's written notice to the national security authority (cl. 3.3)."""

    kind: Literal["notice"]
    var = "Notice"
    title = "a customer's notice to the national security authority (cl. 3.3)"

    customer: Annotated[
        Id, _ORG, Pred("notice_customer", "Notice Org", "Org (the customer) sent Notice.")
    ]
    authority: Annotated[
        Id, _ORG, Pred("notice_authority", "Notice Org", "Notice is addressed to Org.")
    ]
    date: Annotated[dt.date, Pred("notice_date", "Notice Date", "Notice was sent on Date.")]
    agreement: Annotated[
        Id | None,
        _AGREEMENT,
        Pred("notice_agreement", "Notice Agreement", "Notice reports concluding Agreement."),
    ] = None
    secrets: Annotated[
        list[Id],
        _SECRET,
        Pred("notice_secret", "Notice Secret", "Notice reports the transfer of Secret."),
    ] = []


class Permit(FactRecord):
    """A national security authority's permit to carry out work using state secrets."""

    kind: Literal["permit"]
    var = "Permit"
    title = "a permit to carry out work using state secrets"

    holder: Annotated[Id, _ORG, Pred("permit_holder", "Permit Org", "Permit was issued to Org.")]
    number: Annotated[Text, Pred("permit_number", "Permit Number", "Permit's number is Number.")]
    issued: Annotated[dt.date, Pred("permit_issued", "Permit Date", "Permit was issued on Date.")]
    valid_until: Annotated[
        dt.date,
        Pred("permit_valid_until", "Permit Date", "Permit is valid until Date (inclusive)."),
    ]
    issuer: Annotated[Id, _ORG, Pred("permit_issuer", "Permit Org", "Org issued Permit.")]
    protection_agreements: Annotated[
        list[Id],
        _PROTECTION,
        Pred(
            "permit_protection",
            "Permit Protection",
            "Permit indicates protection-services agreement Protection (cl. 8.4).",
        ),
    ] = []


class Admission(FactRecord):
    """An official's or citizen's admission to state secrets."""

    kind: Literal["admission"]
    var = "Admission"
    title = "an admission of an official or a citizen to state secrets"

    person: Annotated[
        Id, _PERSON, Pred("admission_person", "Admission Person", "Admission admits Person.")
    ]
    number: Annotated[
        Text, Pred("admission_number", "Admission Number", "Admission's number is Number.")
    ]
    issued: Annotated[
        dt.date, Pred("admission_issued", "Admission Date", "Admission was issued on Date.")
    ]
    valid_until: Annotated[
        dt.date,
        Pred(
            "admission_valid_until", "Admission Date", "Admission is valid until Date (inclusive)."
        ),
    ]
    issuer: Annotated[Id, _ORG, Pred("admission_issuer", "Admission Org", "Org issued Admission.")]
    form: Annotated[
        int | None,
        Field(ge=1, le=3),
        Pred(
            "admission_form",
            "Admission Form",
            "Admission is of form Form: 1 admits to information of special importance, 2 to"
            " top secret, 3 to secret, each also to the lower degrees (cl. 11).",
        ),
    ] = None
    level: Annotated[
        Stamp | None,
        Pred(
            "admission_level",
            "Admission Stamp",
            "Admission admits to secrets stamped up to Stamp.",
        ),
    ] = None


class ProtectionAgreement(FactRecord):
    """An executor's agreement on the services of another's protection division (cl. 8.4)."""

    kind: Literal["protection_agreement"]
    var = "Protection"
    title = "an agreement on the services of a division for protection of state secrets (cl. 8.4)"

    executor: Annotated[
        Id,
        _PARTY,
        Pred(
            "protection_executor",
            "Protection Executor",
            "Executor receives the services under Protection.",
        ),
    ]
    provider: Annotated[
        Id,
        _ORG,
        Pred(
            "protection_provider",
            "Protection Org",
            "Org provides the services of its division under Protection.",
        ),
    ]
    concluded: Annotated[
        dt.date | None,
        Pred("protection_concluded", "Protection Date", "Protection was concluded on Date."),
    ] = None


class ServiceNotice(FactRecord):
    """A provider's written information to courier or special postal service branches (cl. 8)."""

    kind: Literal["service_notice"]
    var = "ServiceNotice"
    title = "a provider's written information to the courier and special postal services (cl. 8)"

    protection_agreement: Annotated[
        Id,
        _PROTECTION,
        Pred(
            "service_notice_agreement",
            "ServiceNotice Protection",
            "ServiceNotice informs of concluding Protection.",
        ),
    ]
    sender: Annotated[
        Id, _ORG, Pred("service_notice_sender", "ServiceNotice Org", "Org sent ServiceNotice.")
    ]
    services: Annotated[
        list[PostalService],
        Field(min_length=1),
        Pred(
            "service_notice_recipient",
            "ServiceNotice Service",
            "ServiceNotice was sent to branches of Service.",
        ),
    ]
    date: Annotated[
        dt.date, Pred("service_notice_date", "ServiceNotice Date", "ServiceNotice is dated Date.")
    ]


class Violation(FactRecord):
    """An executor's violation of its obligations to protect state secrets (cl. 9)."""

    kind: Literal["violation"]
    var = "Violation"
    title = "a violation of the obligations to protect state secrets (cl. 9)"

    agreement: Annotated[
        Id,
        _AGREEMENT,
        Pred("violation_agreement", "Violation Agreement", "Violation was under Agreement."),
    ]
    date: Annotated[
        dt.date, Pred("violation_date", "Violation Date", "Violation was found on Date.")
    ]
    description: Annotated[
        Text | None,
        Pred("violation_description", "Violation Text", "Violation is described by Text."),
    ] = None
    eliminated: Annotated[
        dt.date | None,
        Pred("violation_eliminated", "Violation Date", "Violation was eliminated on Date."),
    ] = None


class Suspension(FactRecord):
    """The customer's suspension of the order until violations are eliminated (cl. 9)."""

    kind: Literal["suspension"]
    var = "Suspension"
    title = "a suspension of the work under an agreement (cl. 9)"

    agreement: Annotated[
        Id,
        _AGREEMENT,
        Pred("suspension_agreement", "Suspension Agreement", "Suspension suspends Agreement."),
    ]
    start: Annotated[
        dt.date, Pred("suspension_start", "Suspension Date", "Suspension takes effect on Date.")
    ]
    end: Annotated[
        dt.date | None,
        Pred("suspension_end", "Suspension Date", "Suspension ends on Date (inclusive)."),
    ] = None
    violation: Annotated[
        Id | None,
        _VIOLATION,
        Pred("suspension_violation", "Suspension Violation", "Suspension is for Violation."),
    ] = None


class Cancellation(FactRecord):
    """A cancellation of an order (agreement) or of a permit (cl. 9)."""

    kind: Literal["cancellation"]
    var = "Cancellation"
    title = "a cancellation of an agreement or a permit (cl. 9)"

    target: Annotated[
        Id,
        _AGREEMENT_OR_PERMIT,
        Pred("cancellation_of", "Cancellation Target", "Cancellation cancels Target."),
    ]
    date: Annotated[
        dt.date,
        Pred("cancellation_date", "Cancellation Date", "Cancellation takes effect on Date."),
    ]
    by: Annotated[
        Id | None,
        _ORG,
        Pred(
            "cancellation_by",
            "Cancellation Org",
            "Org made Cancellation (a permit counts as cancelled only when Org is a national"
            " security authority, cl. 9).",
        ),
    ] = None


class Change(FactRecord):
    """A change of functions or form of ownership, a liquidation or a termination (cl. 10)."""

    kind: Literal["change"]
    var = "Change"
    title = "a change of functions or ownership, a liquidation or a termination of work (cl. 10)"

    party: Annotated[Id, _PARTY, Pred("change_party", "Change Party", "Change happened to Party.")]
    change_kind: Annotated[
        ChangeKind, Pred("change_kind", "Change Kind", "Change is of kind Kind.")
    ]
    date: Annotated[dt.date, Pred("change_date", "Change Date", "Change took effect on Date.")]
    agreements: Annotated[
        list[Id],
        _AGREEMENT,
        Pred("change_agreement", "Change Agreement", "Change concerns the work under Agreement."),
    ] = []


class ChangeNotice(FactRecord):
    """A written notification of a change (cl. 10)."""

    kind: Literal["change_notice"]
    var = "ChangeNotice"
    title = "a written notification of a change (cl. 10)"

    change: Annotated[
        Id, _CHANGE, Pred("change_notice_of", "ChangeNotice Change", "ChangeNotice reports Change.")
    ]
    sender: Annotated[
        Id, _PARTY, Pred("change_notice_sender", "ChangeNotice Party", "Party sent ChangeNotice.")
    ]
    recipient: Annotated[
        Id,
        _ORG,
        Pred("change_notice_recipient", "ChangeNotice Org", "ChangeNotice was sent to Org."),
    ]
    date: Annotated[
        dt.date, Pred("change_notice_date", "ChangeNotice Date", "ChangeNotice was sent on Date.")
    ]


class SecretReturn(FactRecord):
    """A return of transferred secrets from the executor to the customer (cl. 10)."""

    kind: Literal["secret_return"]
    var = "Return"
    title = "a return of secrets from the executor to the customer (cl. 10)"

    executor: Annotated[
        Id,
        _PARTY,
        Pred("return_executor", "Return Executor", "Executor gave the secrets back by Return."),
    ]
    customer: Annotated[
        Id,
        _ORG,
        Pred("return_customer", "Return Org", "Org (the customer) got the secrets back by Return."),
    ]
    secrets: Annotated[
        list[Id],
        _SECRET,
        Field(min_length=1),
        Pred("return_secret", "Return Secret", "Return gives back Secret."),
    ]
    date: Annotated[dt.date, Pred("return_date", "Return Date", "Return took place on Date.")]
    agreement: Annotated[
        Id | None,
        _AGREEMENT,
        Pred(
            "return_agreement",
            "Return Agreement",
            "Return is under Agreement (without it, under every agreement of the two parties).",
        ),
    ] = None


class Transfer(FactRecord):
    """A transfer of secrets from a customer to an executor that took place (for audits)."""

    kind: Literal["transfer"]
    var = "Transfer"
    title = "a transfer of secrets that took place"

    customer: Annotated[
        Id, _ORG, Pred("transfer_customer", "Transfer Org", "Org (the customer) made Transfer.")
    ]
    executor: Annotated[
        Id,
        _PARTY,
        Pred("transfer_executor", "Transfer Executor", "Executor received Transfer."),
    ]
    secrets: Annotated[
        list[Id],
        _SECRET,
        Field(min_length=1),
        Pred("transfer_secret", "Transfer Secret", "Transfer handed over Secret."),
    ]
    date: Annotated[dt.date, Pred("transfer_date", "Transfer Date", "Transfer took place on Date.")]
    agreement: Annotated[
        Id | None,
        _AGREEMENT,
        Pred("transfer_agreement", "Transfer Agreement", "Transfer was under Agreement."),
    ] = None
    recipient: Annotated[
        Id | None,
        _PERSON,
        Pred("transfer_recipient", "Transfer Person", "Person received Transfer for the executor."),
    ] = None


Record = Annotated[
    Organization
    | Person
    | Acting
    | Ownership
    | Affiliation
    | Territory
    | Competence
    | Secret
    | Request
    | Answer
    | Agreement
    | Addendum
    | Notice
    | Permit
    | Admission
    | ProtectionAgreement
    | ServiceNotice
    | Violation
    | Suspension
    | Cancellation
    | Change
    | ChangeNotice
    | SecretReturn
    | Transfer,
    Field(discriminator="kind"),
]
"""Any record, told apart by ``kind``."""

VOCABULARY = Vocabulary.of(
    "Decree 743 fact file",
    Record,
    {DIGITS12_PATTERN: "12 digits", COUNTRY_PATTERN: "country"},
)
"""The decree's record kinds, for the loader, the JSON Schema and the README tables."""

RECORD_TYPES: dict[str, type[FactRecord]] = VOCABULARY.record_types
"""Record kind → its model, in README order."""

PREDICATES: tuple[PredicateSpec, ...] = VOCABULARY.predicates
"""Every base predicate as each record kind gives it (a name may come from several kinds)."""

BASE_PREDICATES: dict[str, tuple[str, ...]] = VOCABULARY.base_predicates
"""Every base predicate: name → argument names, whether or not a fact base has rows for it."""
