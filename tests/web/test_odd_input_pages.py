"""Odd input to every page: never a 5xx, always a page (a 4xx names what is wrong).

Each query and form field a page reads is sent values a person or a script could send: empty,
very long, a lone surrogate, control characters, markup, a path, a number out of range, the
field repeated. Admin actions that change state (reload, create and revoke keys, run the
scenarios) are left to their own tests.
"""

from __future__ import annotations

import pytest

from web_session import Pages

ODD = [
    "",
    "x" * 1000,
    "\x1f\x7f",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "-1",
    "99999999999999999999",
    "2026-02-30",
    "%",
    "*",
    " ",
]

GETS = [
    "/",
    "/ask",
    "/clauses",
    "/decisions",
    "/organizations",
    "/secrets",
    "/query",
    "/whatif",
    "/scenarios",
    "/admin",
    "/signin",
]
"""Pages read with odd values in every parameter they take."""
PARAMETERS = [
    "q",
    "page",
    "customer",
    "executor",
    "secret",
    "on",
    "decision",
    "before",
    "predicate",
    "preset",
    "arg",
    "kind",
    "load",
    "next",
    "hypothetical",
    "run",
]
PATHS = [
    "/clauses/{}",
    "/rules/{}",
    "/decisions/{}",
    "/decisions/{}/report",
    "/organizations/{}",
    "/secrets/{}",
    "/records/{}/{}",
    "/source/facts/{}",
]
FORMS = {
    "/ask": ["customer", "executor", "secret", "on"],
    "/whatif": [
        "customer",
        "executor",
        "secret",
        "on",
        "record",
        "repair",
        "records_text",
        "action",
        "kind",
    ],
    "/signin": ["credential", "next"],
}


def no_server_error(status: int, where: str) -> None:
    assert status < 500, where


@pytest.mark.parametrize("value", ODD)
def test_odd_query_values_never_fail_a_page(pages: Pages, value: str) -> None:
    client = pages(roles=("admin",))
    for path in GETS:
        params = {name: value for name in PARAMETERS}
        answer = client.get(path, params=params)
        no_server_error(answer.status_code, f"{path} {value[:20]!r}")
        assert answer.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("value", [v for v in ODD if v.strip() and v.isprintable() and v != "%"])
def test_odd_ids_in_paths_are_a_404_or_a_page(pages: Pages, value: str) -> None:
    client = pages(roles=("admin",))
    for template in PATHS:
        path = template.format(*([value] * template.count("{}")))
        no_server_error(client.get(path).status_code, f"{path[:60]!r}")


@pytest.mark.parametrize("value", ODD)
def test_odd_form_values_never_fail_a_page(pages: Pages, value: str) -> None:
    client = pages(roles=("admin",))
    for path, fields in FORMS.items():
        single = client.post(path, data={name: value for name in fields})
        no_server_error(single.status_code, f"{path} {value[:20]!r}")
        repeated = client.post(path, data={name: [value, value] for name in fields})
        no_server_error(repeated.status_code, f"{path} repeated {value[:20]!r}")


BAD_UTF8 = "%ED%A0%80%FF"
"""A lone surrogate and a byte that is no UTF-8, as a client sends them: percent-encoded."""


def test_bytes_that_are_not_utf8_never_fail_a_page(pages: Pages) -> None:
    client = pages(roles=("admin",))
    for path in GETS:
        query = "&".join(f"{name}={BAD_UTF8}" for name in PARAMETERS)
        no_server_error(client.get(f"{path}?{query}").status_code, f"{path} query")
    for template in PATHS:
        path = template.format(*([BAD_UTF8] * template.count("{}")))
        no_server_error(client.get(path).status_code, path)
        no_server_error(client.get(path.replace(BAD_UTF8, "%00")).status_code, f"{path} NUL")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for path, fields in FORMS.items():
        body = "&".join(f"{name}={BAD_UTF8}" for name in fields)
        no_server_error(client.post(path, content=body, headers=form).status_code, path)
