"""The ``policyeval`` command: check, decide, query, explain and serve, over the library calls the
service makes too.

Exit codes: 0 success (``decide``: allowed), 1 a negative answer (``decide``: refused; ``check``
and ``facts validate``: problems found; ``query``: no answer; ``explain``: not established;
``test``: a scenario failed), 2 an error (bad input, rules or facts that do not load).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from policyeval import (
    ALL_CUSTOMERS,
    DECREE_FILE,
    ROLES,
    AppliedRedaction,
    Argument,
    ChainHead,
    ClauseEntry,
    CredentialStore,
    DatedQueryResult,
    DecisionLog,
    ExplainLevel,
    FailedCondition,
    PolicyError,
    ProofNode,
    QueryError,
    Reason,
    RedactionWarning,
    RepairAdvice,
    RuleSet,
    ScenarioResult,
    SecretDecision,
    Snapshot,
    TransferDecision,
    Var,
    check_sources,
    clause_index,
    coverage_problems,
    decide_transfer,
    format_value,
    load,
    load_facts,
    load_rules,
    logged_report_html,
    other_ways_heading,
    read_assumed,
    read_redaction,
    render_clause_index_markdown,
    render_report_html,
    render_report_pdf,
    report_clauses,
    run_scenarios,
)

app = typer.Typer(
    name="policyeval",
    help="Decree 743 as Datalog: may a customer transfer state secrets to an executor?",
    no_args_is_help=True,
    add_completion=False,
)
facts_app = typer.Typer(help="Work with fact files.", no_args_is_help=True)
app.add_typer(facts_app, name="facts")
credentials_app = typer.Typer(
    help="API keys of the service (stored as hashes).", no_args_is_help=True
)
app.add_typer(credentials_app, name="credentials")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

PIPE_WIDTH = 10_000
"""Width when printing to a pipe or file: whole lines, so output can be searched."""

EXIT_OK, EXIT_NEGATIVE, EXIT_ERROR = 0, 1, 2

Policies = Annotated[
    Path,
    typer.Option("--policies", envvar="POLICYEVAL_POLICIES", help="directory of rule files"),
]
PolicyDirs = Annotated[
    list[Path],
    typer.Option(
        "--policies",
        envvar="POLICYEVAL_POLICIES",
        help="directory of rule files; repeat it for several redactions of the decree, each "
        "directory declaring its own (redaction.yaml)",
    ),
]
Facts = Annotated[
    Path, typer.Option("--facts", envvar="POLICYEVAL_FACTS", help="directory of fact files")
]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON instead of a tree")]
Explain = Annotated[
    ExplainLevel,
    typer.Option(
        help="none: the decision; reasons: with the reasons, repairs and clauses cited; "
        "full: with the proof and why-not trees"
    ),
]
AskedOn = Annotated[
    dt.datetime | None,
    typer.Option(
        formats=["%Y-%m-%d"],
        help="the date the question is asked for, which picks the redaction of the decree "
        "(default: the latest date among the arguments, else today)",
    ),
]
DEFAULT_POLICIES = [Path("policies")]
ReportFile = Annotated[
    Path | None,
    typer.Option(
        "--report",
        help="write the decision's report to this file: PDF if it ends in .pdf, else HTML",
    ),
]
QueryArgs = Annotated[
    list[str] | None,
    typer.Argument(
        help="`_` any, Upper-case a named variable, anything else a constant of the type the "
        "predicate declares for that argument (string, integer, date YYYY-MM-DD); where it "
        "declares none, YYYY-MM-DD a date, digits an integer, anything else a string"
    ),
]
AssumeFile = Annotated[
    Path | None, typer.Option("--assume", help="a fact file assumed for this question only")
]


# -- rules and facts ------------------------------------------------------------------------


@app.command()
def check(policies: PolicyDirs = DEFAULT_POLICIES, facts: Facts = Path("facts")) -> None:
    """Parse and check the rules, validate the facts; print every problem."""
    with _failing():
        with err.status("checking…") as status:
            rules, problems = check_sources(policies, facts, progress=status.update)
        for problem in problems:
            typer.echo(str(problem))
        if problems or rules is None:
            typer.echo(f"{len(problems)} problem{'' if len(problems) == 1 else 's'}", err=True)
            raise typer.Exit(EXIT_NEGATIVE)
        typer.echo(f"ok: {len(rules.rules)} rules, {len(clause_index(rules))} clauses")


@facts_app.command("validate")
def facts_validate(directory: Annotated[Path, typer.Argument(help="fact directory")]) -> None:
    """Validate fact files; print every problem."""
    with _failing():
        try:
            fact_base = load_facts(directory).fact_base
        except PolicyError as exc:
            _print_error(exc)
            raise typer.Exit(EXIT_NEGATIVE) from exc
        typer.echo(f"ok: {len(fact_base.facts)} facts, version {fact_base.version}")


@app.command()
def clauses(
    policies: Policies = Path("policies"),
    scenarios: Annotated[Path, typer.Option(help="scenario files citing clauses")] = Path(
        "tests/scenarios"
    ),
    as_json: AsJson = False,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="print the Markdown table of policies/INDEX.md")
    ] = False,
    check_status: Annotated[
        bool,
        typer.Option(
            "--check",
            help=f"print every quoted sentence without a valid status and, with {DECREE_FILE} "
            "among the rule files, every sentence of the decree not quoted; exit 1 if any",
        ),
    ] = False,
) -> None:
    """The clause index: each clause with the rules implementing it and scenarios exercising it."""
    with _failing():
        rule_set = load_rules(policies).rules
        entries = clause_index(rule_set, scenarios, strict=True)
        if check_status:
            _check_statuses(rule_set, entries, policies / DECREE_FILE)
        if as_json:
            typer.echo(json.dumps([entry.model_dump() for entry in entries], indent=2))
        elif markdown:
            typer.echo(render_clause_index_markdown(entries), nl=False)
        else:
            _show(_clause_table(entries))


def _check_statuses(rule_set: RuleSet, entries: list[ClauseEntry], decree: Path) -> NoReturn:
    """Print the problems of the sentences' statuses (and of the quotes against the decree, if
    its text is there); exit 1 if there are any."""
    problems = coverage_problems(rule_set, decree if decree.is_file() else None)
    for problem in problems:
        typer.echo(str(problem))
    if problems:
        typer.echo(f"{len(problems)} problem{'' if len(problems) == 1 else 's'}", err=True)
        raise typer.Exit(EXIT_NEGATIVE)
    sentences = sum(len(entry.sentences) for entry in entries)
    typer.echo(f"ok: {sentences} sentences, each with a status")
    raise typer.Exit(EXIT_OK)


# -- questions ------------------------------------------------------------------------------


@app.command()
def decide(
    customer: Annotated[str, typer.Option(help="the customer's id")],
    executor: Annotated[str, typer.Option(help="the executor's id")],
    secret: Annotated[list[str], typer.Option(help="a secret's id; repeat for several")],
    on: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"], help="transfer date")],
    assume: Annotated[
        Path | None, typer.Option(help="a fact file assumed for this decision only")
    ] = None,
    as_json: AsJson = False,
    policies: PolicyDirs = DEFAULT_POLICIES,
    facts: Facts = Path("facts"),
    report: ReportFile = None,
    explain: Explain = "reasons",
    decision_log: Annotated[
        str | None,
        typer.Option(
            envvar="POLICYEVAL_DECISION_LOG",
            help="the decision log this decision is recorded in: a SQLite file or a "
            "postgresql:// URL (default: the one `serve` writes)",
        ),
    ] = None,
) -> None:
    """Decide a transfer by the redaction of the decree in force on its date: exit 0 when
    allowed, 1 when refused, 2 on error. The decision names the redaction, with its warnings;
    a refusal its reasons and the checked repairs that would make it allowed."""
    with _failing():
        snapshot = _load(policies, facts)
        assumed = read_assumed(assume, snapshot.fact_base) if assume else []
        rules = snapshot.in_force(on.date())
        decision = decide_transfer(
            rules.evaluator(),
            customer,
            executor,
            secret,
            on.date(),
            assumed,
            redaction=rules.redaction,
            warnings=rules.warnings,
        )
        _write_report(report, decision, snapshot)
        _log_decision(decision, decision_log)
        if as_json:
            typer.echo(json.dumps(json.loads(decision.at_level(explain)), indent=2))
        else:
            _show(_decision_tree(decision, explain))
    raise typer.Exit(EXIT_OK if decision.decision == "allowed" else EXIT_NEGATIVE)


@app.command()
def query(
    predicate: Annotated[str, typer.Argument(help="predicate name")],
    args: QueryArgs = None,
    as_json: AsJson = False,
    proofs: Annotated[bool, typer.Option("--proofs/--no-proofs", help="prove answers")] = True,
    on: AskedOn = None,
    assume: AssumeFile = None,
    policies: PolicyDirs = DEFAULT_POLICIES,
    facts: Facts = Path("facts"),
) -> None:
    """Every answer to a question, by the redaction in force on its date: a table headed by
    the question's variables (`#n` for a `_` at argument n), or `yes`/`no` when it has
    neither; exit 0 with an answer, 1 without, 2 on error."""
    with _failing():
        snapshot = _load(policies, facts)
        arguments = parse_arguments(args or [], snapshot.argument_types.get(predicate), predicate)
        result = _ask(snapshot, predicate, arguments, on, assume, proofs=proofs)
        if as_json:
            typer.echo(result.model_dump_json(indent=2))
        else:
            _print_query(result, arguments)
    raise typer.Exit(EXIT_OK if result.answers else EXIT_NEGATIVE)


@app.command()
def explain(
    predicate: Annotated[str, typer.Argument(help="predicate name")],
    args: QueryArgs = None,
    as_json: AsJson = False,
    on: AskedOn = None,
    assume: AssumeFile = None,
    policies: PolicyDirs = DEFAULT_POLICIES,
    facts: Facts = Path("facts"),
) -> None:
    """Why (proof trees) or why not (every failed condition) for a question, by the redaction
    in force on its date: exit 0 when it is established, 1 when not, 2 on error."""
    with _failing():
        snapshot = _load(policies, facts)
        arguments = parse_arguments(args or [], snapshot.argument_types.get(predicate), predicate)
        result = _ask(snapshot, predicate, arguments, on, assume)
        if as_json:
            typer.echo(result.model_dump_json(indent=2))
        else:
            _print_explanation(result)
    raise typer.Exit(EXIT_OK if result.answers else EXIT_NEGATIVE)


def _ask(
    snapshot: Snapshot,
    predicate: str,
    arguments: list[Argument],
    on: dt.datetime | None,
    assume: Path | None,
    *,
    proofs: bool = True,
) -> DatedQueryResult:
    """The question asked of ``snapshot``, with the facts of ``assume`` for it only."""
    assumed = read_assumed(assume, snapshot.fact_base) if assume else []
    day = on.date() if on else None
    return snapshot.query(predicate, arguments, on=day, assume=assumed, proofs=proofs)


@app.command()
def serve(
    policies: PolicyDirs = DEFAULT_POLICIES,
    facts: Facts = Path("facts"),
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8743,
    decision_log: Annotated[
        str | None,
        typer.Option(
            envvar="POLICYEVAL_DECISION_LOG",
            help="the decision log: a SQLite file, or a postgresql:// URL shared by replicas",
        ),
    ] = None,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs). The port opens at once; rules and facts load
    behind it. On a first start it creates an admin key and prints it once."""
    import uvicorn

    from policyeval.service import Settings, create_app

    first, *others = policies or DEFAULT_POLICIES
    overrides: dict[str, Any] = {"policies": first, "redactions": others, "facts": facts}
    if decision_log is not None:
        overrides["decision_log"] = decision_log
    with _failing():
        settings = Settings(**overrides)
        for directory in settings.rule_directories:  # fail fast: the facts load behind the port
            load_rules(directory)
        _first_admin(CredentialStore(settings.credentials))
        err.print(
            f"serving on http://{host}:{port} (OpenAPI at /docs); loading rules and facts in "
            "the background: /healthz says `loading` until they are served"
        )
        uvicorn.run(create_app(settings, background=True), host=host, port=port)


def _first_admin(store: CredentialStore) -> None:
    """On a first start (no admin key yet), create one with every role and show it once."""
    if store.has_admin():
        return
    record, token = store.create("admin", ROLES, [ALL_CUSTOMERS])
    err.print(
        f"[bold]First start: created the credential `{record.id}` (admin, every role, every "
        f"customer).[/] Its key is shown this once; keep it, it is stored only as a hash in "
        f"{store.path}:\n\n    {token}\n\n"
        "Call the API with `Authorization: Bearer <key>`; create narrower credentials with "
        "`policyeval credentials create`."
    )


@app.command("test")
def run_tests(
    paths: Annotated[list[Path] | None, typer.Argument(help="scenario files or dirs")] = None,
    policies: Policies = Path("policies"),
    root: Annotated[
        Path, typer.Option(help="directory the scenarios' `base` fact directories are under")
    ] = Path("."),
    as_json: AsJson = False,
) -> None:
    """Run the scenario tests: exit 0 when all pass, 1 when one fails, 2 when one is invalid."""
    with _failing():
        results = run_scenarios(paths or [Path("tests/scenarios")], policies, root)
        redaction = read_redaction(policies)
        failed = sum(not result.passed for result in results)
        applied = redaction.redaction if redaction else "undeclared"
        if as_json:
            report = {
                "redaction": applied,
                "passed": len(results) - failed,
                "failed": failed,
                "results": [result.model_dump(mode="json") for result in results],
            }
            typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
        else:
            _print_scenarios(results)
            typer.echo(f"{len(results) - failed} passed, {failed} failed (the {applied} redaction)")
    raise typer.Exit(EXIT_NEGATIVE if failed else EXIT_OK)


@app.command()
def report(
    decision_id: Annotated[str, typer.Argument(help="the id of a decision in the decision log")],
    log: Annotated[
        str | None,
        typer.Option(
            envvar="POLICYEVAL_DECISION_LOG",
            help="the decision log: a SQLite file or a postgresql:// URL (default: the one "
            "`serve` writes)",
        ),
    ] = None,
    html: Annotated[Path | None, typer.Option(help="write the HTML page to this file")] = None,
    pdf: Annotated[Path | None, typer.Option(help="write the PDF to this file")] = None,
    policies: PolicyDirs = DEFAULT_POLICIES,
) -> None:
    """A logged decision's report: the question, the decision, the decree's text of every clause
    cited, the proof or the reasons, the facts with their sources, the versions, who asked and
    when. Printed as HTML unless --html or --pdf is given; exit 2 when the id is not logged."""
    with _failing():
        path = _log_target(log)
        record = _existing_log(path).get(decision_id)
        if record is None:
            _fail(f"no decision `{decision_id}` in the decision log `{path}`")
        page = logged_report_html(record, _report_clauses(policies, record.redaction))
        if pdf is not None:
            pdf.write_bytes(render_report_pdf(page))
        if html is not None:
            html.write_text(page, encoding="utf-8")
        if html is None and pdf is None:
            typer.echo(page, nl=False)


def _report_clauses(policies: list[Path], redaction: str | None) -> list[ClauseEntry]:
    """The clause index of the rule directory of ``redaction``, else of the first directory."""
    loaded = [load_rules(directory) for directory in policies or DEFAULT_POLICIES]
    chosen = next((rules for rules in loaded if rules.redaction.redaction == redaction), loaded[0])
    return clause_index(chosen.rules)


def _write_report(path: Path | None, decision: TransferDecision, snapshot: Snapshot) -> None:
    """Write ``decision``'s report to ``path`` (PDF for ``.pdf``, else HTML), if one is given."""
    if path is None:
        return
    page = render_report_html(
        decision,
        asked_by=f"cli:{_local_user()}",
        asked_at=dt.datetime.now(dt.UTC),
        clauses=report_clauses(snapshot, decision.redaction.redaction),
    )
    if path.suffix.lower() == ".pdf":
        path.write_bytes(render_report_pdf(page))
    else:
        path.write_text(page, encoding="utf-8")


def _local_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry
        return "a local user"


# -- arguments ------------------------------------------------------------------------------

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INT = re.compile(r"-?\d+")
_EXPECTED = {"string": "a string", "integer": "an integer", "date": "a date (YYYY-MM-DD)"}


def parse_argument(text: str, expected: str | None = None) -> Argument:
    """A command-line argument as a question's argument: `_` any, an upper-case name a
    variable, else a constant of the ``expected`` type (``string``, ``integer``, ``date``);
    without one, its look decides. Raises `ValueError` for text not of the type.

    >>> [parse_argument(a) for a in ["_", "X", "2026-03-02", "42", "acme"]]
    [None, Var(name='X'), datetime.date(2026, 3, 2), 42, 'acme']
    >>> parse_argument("8", "string"), parse_argument("2026-03-02", "string")
    ('8', '2026-03-02')
    >>> parse_argument("acme", "date")
    Traceback (most recent call last):
    ValueError: `acme` is not a valid date
    """
    if text == "_":
        return None
    if text[:1].isupper():
        return Var(text)
    if expected == "string":
        return text
    if expected == "integer" or (expected is None and _INT.fullmatch(text)):
        return _integer(text)
    if expected == "date" or (expected is None and _DATE.fullmatch(text)):
        return _date(text)
    return text


def parse_arguments(
    texts: list[str], types: Sequence[str | None] | None = None, predicate: str = "the question"
) -> list[Argument]:
    """Each argument read by its declared type (``types``, by position; see
    `parse_argument`); text not of its type is a `QueryError` naming the argument."""
    declared = list(types or ())
    declared += [None] * (len(texts) - len(declared))
    parsed: list[Argument] = []
    for position, (text, expected) in enumerate(zip(texts, declared, strict=False), start=1):
        try:
            parsed.append(parse_argument(text, expected))
        except ValueError as exc:
            must = f" is {_EXPECTED[expected]}" if expected else ""
            raise QueryError(f"argument {position} of `{predicate}`{must}: {exc}") from exc
    return parsed


def _integer(text: str) -> int:
    if not _INT.fullmatch(text):
        raise ValueError(f"`{text}` is not an integer")
    return int(text)


def _date(text: str) -> dt.date:
    try:
        if _DATE.fullmatch(text):
            return dt.date.fromisoformat(text)
    except ValueError:
        pass
    raise ValueError(f"`{text}` is not a valid date")


# -- loading and errors ---------------------------------------------------------------------


def _load(policies: list[Path], facts: Path) -> Snapshot:
    with err.status("loading rules and facts…") as status:
        return load(policies or DEFAULT_POLICIES, facts, progress=status.update)


@contextmanager
def _failing() -> Iterator[None]:
    """Turn a `PolicyError` into ``error: …`` with every problem, and anything unexpected into
    ``error: internal error: <type>: <message>``; exit 2 either way, never a traceback (1 is
    a negative answer). Typer's own exits and usage errors pass through."""
    try:
        yield
    except PolicyError as exc:
        _print_error(exc)
        raise typer.Exit(EXIT_ERROR) from exc
    except (typer.Exit, typer.Abort, typer.TyperException):
        raise
    except Exception as exc:
        _fail(f"internal error: {type(exc).__name__}: {exc}")


def _print_error(exc: PolicyError) -> None:
    """``error: message`` and every problem, one a line, on stderr."""
    for line in (f"error: {exc.message}", *map(str, exc.problems)):
        _echo_error(line)


def _fail(message: str) -> NoReturn:
    """``error: message`` on stderr, and exit 2."""
    _echo_error(f"error: {message}")
    raise typer.Exit(EXIT_ERROR)


def _echo_error(line: str) -> None:
    """A line on stderr; what it repeats that UTF-8 cannot encode (a lone surrogate) escaped."""
    typer.echo(line.encode("utf-8", "backslashreplace").decode("utf-8"), err=True)


# -- rendering ------------------------------------------------------------------------------


def proof_tree(node: ProofNode, tree: Tree | None = None) -> Tree:
    """A proof as a rich tree: each derived atom with its rule and clause, facts with a source."""
    label = escape(node.render().splitlines()[0])
    if node.kind == "rule":
        label = (
            f"[bold]{escape(node.atom)}[/]  [cyan]\\[{escape(node.rule or '')}, clause "
            f"{escape(node.clause or '')}][/] {escape(node.reading or '')}"
        )
    branch = tree.add(label) if tree is not None else Tree(label)
    for child in node.children:
        proof_tree(child, branch)
    return branch


def why_not_tree(failure: FailedCondition, tree: Tree | None = None) -> Tree:
    """A why-not explanation as a rich tree: each rule tried and the conditions that fail."""
    label = f"[red]{escape(failure.render().splitlines()[0])}[/]"
    branch = tree.add(label) if tree is not None else Tree(label)
    for alternative in failure.alternatives:
        rule = branch.add(
            f"rule [cyan]{escape(alternative.rule)}[/] (clause {escape(alternative.clause)}): "
            f"{escape(alternative.reading)}"
        )
        for failed in alternative.failed:
            why_not_tree(failed, rule)
        for text in alternative.unchecked:
            rule.add(f"[dim]not checked (depends on a failed condition): {escape(text)}[/]")
    if failure.holds_because is not None:
        proof_tree(failure.holds_because, branch.add("[dim]because:[/]"))
    return branch


def reasons_tree(reasons: list[Reason], tree: Tree) -> None:
    """Each reason: what is wrong, each failed condition, the facts that block, and the other
    ways folded into one line."""
    for reason in reasons:
        branch = tree.add(
            f"clause {escape(reason.clause)}, rule [cyan]{escape(reason.rule)}[/]: "
            f"{escape(reason.text)}"
        )
        for missing in reason.missing:
            branch.add(f"[red]fails:[/] {escape(missing)}")
        for blocker in reason.blocking:
            branch.add(f"blocked by {escape(str(blocker))}")
        if reason.other_ways:
            folded = branch.add(f"[dim]{escape(other_ways_heading(reason.other_ways))}:[/]")
            for way in reason.other_ways:
                folded.add(f"[dim]{escape(str(way))}[/]")


def repairs_tree(advice: RepairAdvice, tree: Tree) -> None:
    """What would make it allowed: each checked repair, or why there is none."""
    if not advice.repairs:
        tree.add(f"no repair: {escape(advice.none_because or '')}")
        return
    branch = tree.add("would be allowed with (each checked: decided again with it assumed):")
    for number, repair in enumerate(advice.repairs, start=1):
        item = branch.add(f"{number}.")
        for change in repair.changes:
            item.add(escape(change.text))


def _decision_tree(decision: TransferDecision, level: ExplainLevel = "reasons") -> Tree:
    colour = "green" if decision.decision == "allowed" else "red"
    tree = Tree(f"[bold {colour}]{decision.decision.upper()}[/]  {escape(decision.question)}")
    for warning in decision.warnings:
        tree.add(_warning(warning))
    for item in decision.per_secret:
        branch = tree.add(f"secret [bold]{escape(item.secret)}[/]: {item.decision}")
        if level != "none":
            _secret_explanation(item, level, branch)
    tree.add(_redaction_line(decision.redaction))
    tree.add(
        f"[dim]policy {decision.policy_version}, facts {decision.facts_version}, "
        f"decision {decision.decision_id}[/]"
    )
    return tree


def _secret_explanation(item: SecretDecision, level: ExplainLevel, branch: Tree) -> None:
    """An allowed secret's clauses (and proof, at level full); a refused one's reasons and
    repairs (and why-not tree, at level full)."""
    if item.decision == "allowed":
        branch.label = f"{branch.label}, by clauses {', '.join(item.clauses)}"
        if level == "full" and item.proof is not None:
            proof_tree(item.proof, branch)
        return
    branch.label = f"{branch.label}, because:"
    reasons_tree(item.reasons, branch)
    if item.repairs is not None:
        repairs_tree(item.repairs, branch)
    if level == "full" and item.why_not is not None:
        why_not_tree(item.why_not, branch.add("every failed condition:"))


def _redaction_line(redaction: AppliedRedaction) -> str:
    """Which redaction of the decree answered, and the period it governs."""
    return (
        f"[dim]rules of the {escape(redaction.redaction)} redaction "
        f"({escape(redaction.enacted_by)}): {escape(redaction.period)}[/]"
    )


def _warning(warning: RedactionWarning) -> str:
    return f"[bold yellow]warning[/] ({warning.code}): {escape(warning.message)}"


def _redaction_note(redaction: AppliedRedaction, warnings: list[RedactionWarning]) -> Tree:
    """The redaction that answered a question, with its warnings under it."""
    tree = Tree(_redaction_line(redaction))
    for warning in warnings:
        tree.add(_warning(warning))
    return tree


def _show(renderable: RenderableType) -> None:
    """Print to stdout: wrapped to a terminal's width, whole lines into a pipe."""
    console = out if out.is_terminal else Console(highlight=False, width=PIPE_WIDTH)
    console.print(renderable)


def _print_query(result: DatedQueryResult, args: Sequence[Argument]) -> None:
    """The answers as a table headed by the question's variables, or `yes`/`no` for a question
    without any; then each proof, or the reasons why not."""
    columns = query_columns(args)
    if not columns:
        _show(f"{'yes' if result.answers else 'no'}: {escape(result.question)}")
    elif result.answers:
        count = len(result.answers)
        _show(f"{count} answer{'' if count == 1 else 's'} to {escape(result.question)}")
        _show(_answer_table(result, columns))
    else:
        _show(f"no answers to {escape(result.question)}")
    for answer in result.answers:
        if answer.proof is not None:
            _show(proof_tree(answer.proof))
    if not result.answers and result.reasons:
        tree = Tree("why not:")
        reasons_tree(result.reasons, tree)
        _show(tree)
    _show(_redaction_note(result.redaction, result.warnings))


def query_columns(args: Sequence[Argument]) -> list[tuple[str, int]]:
    """The answer table's columns: each variable once, by its name, and each `_` as ``#n``
    (its argument position); constants are in the question, not in columns.

    >>> query_columns([Var("R"), "acme", None, Var("R"), Var("Due")])
    [('R', 0), ('#3', 2), ('Due', 4)]
    """
    columns: dict[str, int] = {}
    for position, arg in enumerate(args):
        if isinstance(arg, Var):
            columns.setdefault(arg.name, position)
        elif arg is None:
            columns[f"#{position + 1}"] = position
    return list(columns.items())


def _answer_table(result: DatedQueryResult, columns: list[tuple[str, int]]) -> Table:
    table = Table()
    for header, _ in columns:
        table.add_column(escape(header))
    for answer in result.answers:
        table.add_row(*(escape(format_value(answer.values[i])) for _, i in columns))
    return table


def _print_explanation(result: DatedQueryResult) -> None:
    """Each answer's proof tree, or the why-not tree; then the redaction that answered."""
    for answer in result.answers:
        if answer.proof is not None:
            _show(proof_tree(answer.proof))
    if result.why_not is not None:
        _show(why_not_tree(result.why_not))
    _show(_redaction_note(result.redaction, result.warnings))


def _print_scenarios(results: list[ScenarioResult]) -> None:
    """A table of every scenario, then each failure with its reasons or proof."""
    if not results:
        return
    table = Table("scenario", "clause", "expected", "got", "result", title="scenarios")
    for result in results:
        verdict = "[green]PASS[/]" if result.passed else "[bold red]FAIL[/]"
        expected = _outcome(result.expected, result.expected_cites)
        got = _outcome(result.decision, result.cited)
        table.add_row(escape(result.name), escape(result.clause), expected, got, verdict)
    _show(table)
    for result in results:
        if not result.passed:
            _show(_failure_tree(result))


def _outcome(decision: str, cites: list[str]) -> str:
    return escape(f"{decision} citing {', '.join(cites)}" if cites else decision)


def _failure_tree(result: ScenarioResult) -> Tree:
    tree = Tree(f"[bold red]FAIL[/] {escape(result.file)}: {escape(result.name)}")
    tree.add(f"question: {escape(result.question)}")
    for failure in result.failures:
        tree.add(f"[red]{escape(failure)}[/]")
    if result.reasons:
        reasons_tree(result.reasons, tree.add("refused, due to the following rules:"))
    if result.proof is not None:
        proof_tree(result.proof, tree.add("allowed, because:"))
    return tree


def _clause_table(entries: list[ClauseEntry]) -> Table:
    table = Table("clause", "title", "rules", "scenarios", title="clause index")
    for entry in entries:
        table.add_row(
            escape(entry.clause),
            escape(entry.title),
            escape(", ".join(entry.rules)) or "[red]none[/]",
            escape(", ".join(entry.scenarios)),
        )
    return table


# -- credentials ---------------------------------------------------------------------------

CredentialFile = Annotated[
    Path,
    typer.Option(
        "--store", envvar="POLICYEVAL_CREDENTIALS", help="the credentials file of the service"
    ),
]


@credentials_app.command("create")
def credentials_create(
    name: Annotated[str, typer.Option(help="who the key is for; recorded as the asker")],
    role: Annotated[
        list[str], typer.Option(help="officer, lawyer, auditor or admin; repeat for several")
    ],
    customer: Annotated[
        list[str] | None,
        typer.Option(help="an officer's customer organization; repeat; `*` for all"),
    ] = None,
    store: CredentialFile = Path("var/credentials.json"),
) -> None:
    """Create an API key and print it once (only its hash is kept)."""
    unknown = sorted(set(role) - set(ROLES))
    if unknown:
        _fail(f"unknown role {', '.join(unknown)}; roles are {', '.join(ROLES)}")
    with _failing():
        record, token = CredentialStore(store).create(
            name,
            [r for r in ROLES if r in role],
            customer or [],
        )
        err.print(f"created `{record.id}` for {record.name} ({', '.join(record.roles)}); the key:")
        typer.echo(token)


@credentials_app.command("list")
def credentials_list(store: CredentialFile = Path("var/credentials.json")) -> None:
    """Every key: id, name, roles, customers, created, revoked (never the key)."""
    table = Table("id", "name", "roles", "customers", "created", "revoked")
    with _failing():
        records = CredentialStore(store).list()
        for r in records:
            revoked = r.revoked.isoformat(timespec="seconds") if r.revoked else ""
            table.add_row(
                r.id,
                escape(r.name),
                ", ".join(r.roles),
                escape(", ".join(r.customers)),
                r.created.isoformat(timespec="seconds"),
                revoked,
            )
        _show(table)


@credentials_app.command("revoke")
def credentials_revoke(
    key_id: Annotated[str, typer.Argument(help="the key's id (see `credentials list`)")],
    store: CredentialFile = Path("var/credentials.json"),
) -> None:
    """Revoke a key: it stops working at the next request."""
    with _failing():
        record = CredentialStore(store).revoke(key_id)
        err.print(f"revoked `{record.id}` ({escape(record.name)})")


# -- the decision log -----------------------------------------------------------------------

log_app = typer.Typer(help="Check and export the decision log's hash chain.", no_args_is_help=True)
app.add_typer(log_app, name="log")

LogTarget = Annotated[
    str | None,
    typer.Option(
        "--decision-log",
        envvar="POLICYEVAL_DECISION_LOG",
        help="a SQLite file or a postgresql:// URL (default: the one `serve` writes)",
    ),
]


@log_app.command("verify")
def log_verify(
    decision_log: LogTarget = None,
    expect_head: Annotated[
        Path | None,
        typer.Option(help="a head exported by `policyeval log head`, which the log must contain"),
    ] = None,
) -> None:
    """Walk the hash chain: exit 0 when the log is intact, 1 naming the first entry changed,
    deleted or moved, 2 on error."""
    with _failing():
        log = _existing_log(decision_log)
        expected = _read_head(expect_head) if expect_head else None
        broken = log.verify(expected)
        head = log.head()
        if broken is not None:
            typer.echo(f"broken: {broken}")
            raise typer.Exit(EXIT_NEGATIVE)
        typer.echo(f"intact: {head.seq} entries, head {head.entry_hash}")
    raise typer.Exit(EXIT_OK)


@log_app.command("head")
def log_head(decision_log: LogTarget = None) -> None:
    """The chain's head as JSON (seq, hash, time): keep it elsewhere, and later check the log
    still contains it (`log verify --expect-head`)."""
    with _failing():
        head = _existing_log(decision_log).head()
        document = {"seq": head.seq, "hash": head.entry_hash, "recorded_at": head.recorded_at}
        typer.echo(json.dumps(document))


def _log_target(target: str | None) -> str:
    """``target``, or the decision log the service writes (``POLICYEVAL_DECISION_LOG``)."""
    from policyeval.service import Settings

    return target or str(Settings().decision_log)


def _log_decision(decision: TransferDecision, target: str | None) -> None:
    """Record a decision made here, asked by ``cli:<user>``, in the log the service writes."""
    DecisionLog(_log_target(target)).record(decision, f"cli:{_local_user()}")


def _existing_log(target: str | None) -> DecisionLog:
    """The decision log at ``target``; an error when a SQLite file is not there."""
    chosen = _log_target(target)
    if "://" not in chosen and not Path(chosen).is_file():
        _fail(f"no decision log at `{chosen}`")
    return DecisionLog(chosen)


def _read_head(path: Path) -> ChainHead:
    """A head exported by `log head`."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return ChainHead(int(document["seq"]), str(document["hash"]), document.get("recorded_at"))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        _fail(f"`{path}` is not a head exported by `policyeval log head`: {exc}")
