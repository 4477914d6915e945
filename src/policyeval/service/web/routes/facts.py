"""The fact pages: organizations and secrets, a page of fifty at a time and searchable, and
every record on a page of its own with the records naming it.

An organization's page shows who owns it up the chain with the shares, what it owns, its
permits, its people's admissions, its agreements, requests, notices and transfers; a secret's
page where it was asked for, permitted, agreed and transferred. Every signed-in role may read
the facts (the API's queries read them too). The pages read a :class:`FactIndex` built once
per facts version, so they stay fast on a large fact base.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from policyeval import FactRecord
from policyeval.service.deps import SnapshotDep, StateDep
from policyeval.service.errors import NotFoundError
from policyeval.service.web.fact_index import RECORD_PAGES, FactIndex, fact_index, record_url
from policyeval.service.web.fact_views import Section, fields, paged, section, table_row
from policyeval.service.web.ownership import owners
from policyeval.service.web.pages import render
from policyeval.service.web.session import Viewer

router = APIRouter(include_in_schema=False)

LIST_COLUMNS = {"organization": ("org_kind", "city"), "secret": ("stamp", "carrier", "disposer")}
"""The columns of the list pages, after the name and the id."""

Shown = tuple[str, str, tuple[str, ...] | None]
"""A table a record's page always shows (empty, it says so): its key (in anchors and URLs),
the kind of its records and the fields naming the record (None: any)."""

ORGANIZATION_SECTIONS: tuple[Shown, ...] = (
    ("permits", "permit", ("holder",)),
    ("people_admissions", "admission", ()),  # the admissions of the people working there
    ("agreements", "agreement", ("customer", "executor")),
    ("requests", "request", None),
    ("notices", "notice", None),
    ("transfers", "transfer", None),
    ("owns", "ownership", ("owner",)),
)
SECRET_SECTIONS: tuple[Shown, ...] = (
    ("answers", "answer", None),
    ("requests", "request", None),
    ("agreements", "agreement", None),
    ("transfers", "transfer", None),
)
"""A secret's page: the answers permitting (or refusing) it, the requests asking for it, the
agreements listing it and the transfers handing it over."""

Search = Annotated[str, Query(max_length=200)]
PageNumber = Annotated[int, Query(ge=1, le=1_000_000)]


@router.get("/organizations")
def organizations(
    request: Request,
    snapshot: SnapshotDep,
    state: StateDep,
    principal: Viewer,
    q: Search = "",
    page: PageNumber = 1,
) -> Response:
    """Every organization, by name, fifty a page; ``q`` finds words in id, name, kind, city."""
    return _list(
        request, principal, fact_index(snapshot, state.settings.facts), "organization", q, page
    )


@router.get("/secrets")
def secrets(
    request: Request,
    snapshot: SnapshotDep,
    state: StateDep,
    principal: Viewer,
    q: Search = "",
    page: PageNumber = 1,
) -> Response:
    """Every secret, by name, fifty a page; ``q`` finds words in id, name, stamp, disposer."""
    return _list(request, principal, fact_index(snapshot, state.settings.facts), "secret", q, page)


def _list(
    request: Request, principal: Viewer, index: FactIndex, kind: str, q: str, page: int
) -> Response:
    words = q.lower().split()
    found = [item for item in index.lists[kind] if all(word in item.search for word in words)]
    shown, page, pages = paged(found, page)
    rows = [table_row(item.record, LIST_COLUMNS[kind], index) for item in shown]
    path = RECORD_PAGES[kind]

    def url(number: int) -> str:
        return f"{path}?{urlencode({'q': q, 'page': number} if q else {'page': number})}"

    return render(
        request,
        "facts_list.html.j2",
        principal,
        kind=kind,
        path=path,
        q=q,
        rows=rows,
        columns=LIST_COLUMNS[kind],
        total=len(found),
        everything=len(index.lists[kind]),
        page=page,
        pages=pages,
        page_url=url,
    )


@router.get("/organizations/{organization_id}")
def organization(
    request: Request,
    organization_id: str,
    snapshot: SnapshotDep,
    state: StateDep,
    principal: Viewer,
) -> Response:
    """An organization: its fields, its owners up the chain, what it owns, and the records
    naming it."""
    index = fact_index(snapshot, state.settings.facts)
    record = _found(index, "organization", organization_id)
    pages = _section_pages(request)
    sections = [
        _organization_section(index, record.id, shown, pages) for shown in ORGANIZATION_SECTIONS
    ]
    covered = (*ORGANIZATION_SECTIONS, ("owners", "ownership", ("owned",)))
    return render(
        request,
        "facts_organization.html.j2",
        principal,
        record=record,
        fields=fields(record, index),
        source=index.sources.get(record.id),
        owners=owners(index, record.id),
        index_url=index.url,
        index_name=index.name,
        sections=sections,
        others=_others(index, record.id, covered, pages),
        section_url=_section_url(request),
    )


def _organization_section(
    index: FactIndex, organization_id: str, shown: Shown, pages: dict[str, int]
) -> Section:
    key, kind, names = shown
    if key == "people_admissions":
        people = index.naming(organization_id, "person", ["works_at"])
        admitted = [a for person in people for a in index.naming(person.id, kind, ["person"])]
        return section(key, admitted, index, pages.get(key, 1), kind)
    return section(key, index.naming(organization_id, kind, names), index, pages.get(key, 1), kind)


@router.get("/secrets/{secret_id}")
def secret(
    request: Request, secret_id: str, snapshot: SnapshotDep, state: StateDep, principal: Viewer
) -> Response:
    """A secret: its fields, the answers permitting it, the requests, agreements and
    transfers naming it, and any other record naming it."""
    index = fact_index(snapshot, state.settings.facts)
    record = _found(index, "secret", secret_id)
    pages = _section_pages(request)
    sections = [
        section(key, index.naming(record.id, kind, names), index, pages.get(key, 1), kind)
        for key, kind, names in SECRET_SECTIONS
    ]
    return render(
        request,
        "facts_secret.html.j2",
        principal,
        record=record,
        fields=fields(record, index),
        source=index.sources.get(record.id),
        sections=sections,
        others=_others(index, record.id, SECRET_SECTIONS, pages),
        section_url=_section_url(request),
    )


@router.get("/records/{kind}/{record_id}")
def record_page(
    request: Request,
    kind: str,
    record_id: str,
    snapshot: SnapshotDep,
    state: StateDep,
    principal: Viewer,
) -> Response:
    """Any record: its fields, its source and the records naming it. An organization or a
    secret is sent to its own page."""
    index = fact_index(snapshot, state.settings.facts)
    record = _found(index, kind, record_id)
    if kind in RECORD_PAGES:
        return RedirectResponse(record_url(kind, record.id), status_code=303)
    return render(
        request,
        "facts_record.html.j2",
        principal,
        record=record,
        name=index.name(record.id),
        fields=fields(record, index),
        source=index.sources.get(record.id),
        others=_others(index, record.id, (), _section_pages(request)),
        section_url=_section_url(request),
    )


def _found(index: FactIndex, kind: str, record_id: str) -> FactRecord:
    record = index.get(kind, record_id)
    if record is None:
        raise NotFoundError(f"no {kind[:40]} `{record_id[:100]}` in the facts served")
    return record


def _others(
    index: FactIndex, record_id: str, covered: Iterable[Shown], pages: dict[str, int]
) -> list[Section]:
    """A table per kind of record naming ``record_id`` in a field no table of ``covered``
    shows, in the vocabulary's order."""
    besides: dict[str, set[str] | None] = {}
    for _, kind, names in covered:
        known = besides.get(kind, set())
        besides[kind] = None if names is None or known is None else known | set(names)
    found: list[Section] = []
    for kind in index.naming_kinds(record_id):
        skipped = besides.get(kind, set())
        records = index.naming(record_id, kind, besides=skipped) if skipped is not None else []
        if records:
            naming = [n for n in index.naming_fields(record_id, kind) if n not in (skipped or ())]
            found.append(section(kind, records, index, pages.get(kind, 1), kind, naming))
    return found


def _section_pages(request: Request) -> dict[str, int]:
    """The page asked of each table of a record's page: ``?<table>_page=N``."""
    asked: dict[str, int] = {}
    for name, value in request.query_params.items():
        if name.endswith("_page") and value.isdigit():
            asked[name.removesuffix("_page")] = int(value[:9])
    return asked


def _section_url(request: Request) -> Callable[[str], Callable[[int], str]]:
    """For the table ``key``, the address of its page ``number``, the other tables' pages
    kept (``section_url(key)`` is what :func:`m.pager` takes)."""
    kept: Sequence[tuple[str, str]] = list(request.query_params.items())

    def of(key: str) -> Callable[[int], str]:
        def url(number: int) -> str:
            params = [(n, v) for n, v in kept if n != f"{key}_page"]
            params.append((f"{key}_page", str(number)))
            return f"{request.url.path}?{urlencode(params)}#{key}"

        return url

    return of
