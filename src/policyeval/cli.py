"""The ``policyeval`` command: check, decide, query, explain and serve, over the library calls the
service makes too.

Exit codes: 0 success (``decide``: allowed), 1 a negative answer (``decide``: refused; ``check``
and ``facts validate``: problems found; ``query``: no answer; ``test``: a scenario failed),
2 an error (bad input, rules or facts that do not load).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from policyeval import (
    DECREE_FILE,
    AppliedRedaction,
    Argument,
    ClauseEntry,
    DatedQueryResult,
    FailedCondition,
    PolicyError,
    ProofNode,
    Reason,
    RedactionWarning,
    RuleSet,
    ScenarioResult,
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
    read_assumed,
    read_redaction,
    render_clause_index_markdown,
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
AskedOn = Annotated[
    dt.datetime | None,
    typer.Option(
        formats=["%Y-%m-%d"],
        help="the date the question is asked for, which picks the redaction of the decree "
        "(default: the latest date among the arguments, else today)",
    ),
]
DEFAULT_POLICIES = [Path("policies")]
QueryArgs = Annotated[
    list[str] | None,
    typer.Argument(
        help="`_` any, Upper-case a named variable, YYYY-MM-DD a date, digits an integer, "
        "anything else a string"
    ),
]


# -- rules and facts ------------------------------------------------------------------------


@app.command()
def check(policies: PolicyDirs = DEFAULT_POLICIES, facts: Facts = Path("facts")) -> None:
    """Parse and check the rules, validate the facts; print every problem."""
    with _failing(), err.status("checking…") as status:
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
) -> None:
    """Decide a transfer by the redaction of the decree in force on its date: exit 0 when
    allowed, 1 when refused, 2 on error. The decision names the redaction, with its warnings."""
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
    if as_json:
        typer.echo(decision.model_dump_json(indent=2))
    else:
        _show(_decision_tree(decision))
    raise typer.Exit(EXIT_OK if decision.decision == "allowed" else EXIT_NEGATIVE)


@app.command()
def query(
    predicate: Annotated[str, typer.Argument(help="predicate name")],
    args: QueryArgs = None,
    as_json: AsJson = False,
    proofs: Annotated[bool, typer.Option("--proofs/--no-proofs", help="prove answers")] = True,
    on: AskedOn = None,
    policies: PolicyDirs = DEFAULT_POLICIES,
    facts: Facts = Path("facts"),
) -> None:
    """Every answer to a question, by the redaction in force on its date; exit 1 when there
    is none."""
    with _failing():
        result = _load(policies, facts).query(
            predicate, parse_arguments(args or []), on=on.date() if on else None, proofs=proofs
        )
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        _print_query(result)
    raise typer.Exit(EXIT_OK if result.answers else EXIT_NEGATIVE)


@app.command()
def explain(
    predicate: Annotated[str, typer.Argument(help="predicate name")],
    args: QueryArgs = None,
    on: AskedOn = None,
    policies: PolicyDirs = DEFAULT_POLICIES,
    facts: Facts = Path("facts"),
) -> None:
    """Why (proof trees) or why not (every failed condition) for a question, by the redaction
    in force on its date."""
    with _failing():
        result = _load(policies, facts).query(
            predicate, parse_arguments(args or []), on=on.date() if on else None
        )
    for answer in result.answers:
        if answer.proof is not None:
            _show(proof_tree(answer.proof))
    if result.why_not is not None:
        _show(why_not_tree(result.why_not))
    _show(_redaction_note(result.redaction, result.warnings))


@app.command()
def serve(
    policies: PolicyDirs = DEFAULT_POLICIES,
    facts: Facts = Path("facts"),
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8743,
    decision_log: Annotated[
        Path | None,
        typer.Option(envvar="POLICYEVAL_DECISION_LOG", help="SQLite file of the decision log"),
    ] = None,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs)."""
    import uvicorn

    from policyeval.service import Settings, create_app

    first, *others = policies or DEFAULT_POLICIES
    overrides: dict[str, Any] = {"policies": first, "redactions": others, "facts": facts}
    if decision_log is not None:
        overrides["decision_log"] = decision_log
    settings = Settings(**overrides)
    with _failing(), err.status("loading rules and facts…") as status:
        snapshot = load(
            settings.rule_directories, facts, settings.scenarios, progress=status.update
        )
    uvicorn.run(create_app(settings, snapshot), host=host, port=port)


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


# -- arguments ------------------------------------------------------------------------------

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INT = re.compile(r"-?\d+")


def parse_argument(text: str) -> Argument:
    """A command-line argument as a question's argument.

    >>> [parse_argument(a) for a in ["_", "X", "2026-03-02", "42", "acme"]]
    [None, Var(name='X'), datetime.date(2026, 3, 2), 42, 'acme']
    """
    if text == "_":
        return None
    if text[:1].isupper():
        return Var(text)
    if _DATE.fullmatch(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError as exc:
            raise typer.BadParameter(f"`{text}` is not a valid date") from exc
    if _INT.fullmatch(text):
        return int(text)
    return text


def parse_arguments(texts: list[str]) -> list[Argument]:
    return [parse_argument(text) for text in texts]


# -- loading and errors ---------------------------------------------------------------------


def _load(policies: list[Path], facts: Path) -> Snapshot:
    with err.status("loading rules and facts…") as status:
        return load(policies or DEFAULT_POLICIES, facts, progress=status.update)


@contextmanager
def _failing() -> Iterator[None]:
    """Turn a `PolicyError` into ``error: …`` with every problem, and exit 2."""
    try:
        yield
    except PolicyError as exc:
        _print_error(exc)
        raise typer.Exit(EXIT_ERROR) from exc


def _print_error(exc: PolicyError) -> None:
    typer.echo(f"error: {exc.message}", err=True)
    for problem in exc.problems:
        typer.echo(str(problem), err=True)


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_ERROR)


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
    for reason in reasons:
        branch = tree.add(
            f"clause {escape(reason.clause)}, rule [cyan]{escape(reason.rule)}[/]: "
            f"{escape(reason.text)}"
        )
        for missing in reason.missing:
            branch.add(f"[red]{escape(missing)}[/]")


def _decision_tree(decision: TransferDecision) -> Tree:
    colour = "green" if decision.decision == "allowed" else "red"
    tree = Tree(f"[bold {colour}]{decision.decision.upper()}[/]  {escape(decision.question)}")
    for warning in decision.warnings:
        tree.add(_warning(warning))
    for item in decision.per_secret:
        branch = tree.add(f"secret [bold]{escape(item.secret)}[/]: {item.decision}")
        if item.proof is not None:
            proof_tree(item.proof, branch)
        elif item.reasons:
            branch.label = f"{branch.label}, due to the following rules:"
            reasons_tree(item.reasons, branch)
        elif item.why_not is not None:
            why_not_tree(item.why_not, branch)
    tree.add(_redaction_line(decision.redaction))
    tree.add(
        f"[dim]policy {decision.policy_version}, facts {decision.facts_version}, "
        f"decision {decision.decision_id}[/]"
    )
    return tree


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


def _print_query(result: DatedQueryResult) -> None:
    if not result.answers:
        _show(f"no answers to {escape(result.question)}")
        if result.reasons:
            tree = Tree("why not:")
            reasons_tree(result.reasons, tree)
            _show(tree)
        _show(_redaction_note(result.redaction, result.warnings))
        return
    table = Table(title=escape(result.question), title_justify="left")
    width = len(result.answers[0].values)
    for position in range(1, width + 1):
        table.add_column(f"#{position}")
    for answer in result.answers:
        table.add_row(*(escape(format_value(value)) for value in answer.values))
    _show(table)
    for answer in result.answers:
        if answer.proof is not None:
            _show(proof_tree(answer.proof))
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
