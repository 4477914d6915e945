"""The decree's other questions, ready to ask: a sentence, the predicate, its arguments.

Each argument says what it offers to choose from: the records of a kind (with their names), the
clauses of the decree, a date, or free text (a term, a duty, a result, whose values the rules
name). The sentences are in the text catalog (``query.preset.<key>``); README, "The questions
of the decree" and facts/README.md, "Questions worth asking", list the same questions.
"""

from __future__ import annotations

from dataclasses import dataclass

from policyeval import Rule, Snapshot, Var


@dataclass(frozen=True)
class Arg:
    """One argument of a question: its name and what it offers (a record kind, ``date``,
    ``clause`` or ``text``); ``given``: a value is needed (a date the rules compare)."""

    name: str
    choose: str = "text"
    given: bool = False


@dataclass(frozen=True)
class Preset:
    """A question of the decree: ``key`` names its sentence in the catalog."""

    key: str
    predicate: str
    args: tuple[Arg, ...]


def _a(name: str, choose: str = "text") -> Arg:
    return Arg(name, choose, given=choose == "date")


PRESETS: tuple[Preset, ...] = (
    Preset(
        "executors_for",
        "transfer_allowed",
        (_a("C", "organization"), _a("E", "executor"), _a("S", "secret"), _a("D", "date")),
    ),
    Preset(
        "agreement_allowed",
        "agreement_allowed",
        (_a("C", "organization"), _a("E", "executor"), _a("D", "date")),
    ),
    Preset("request_complete", "request_complete", (_a("R", "request"),)),
    Preset("request_lacks", "request_lacks", (_a("R", "request"), _a("Item"))),
    Preset("answer_due", "answer_due", (_a("R", "request"), _a("Due"))),
    Preset("answer_overdue", "answer_overdue", (_a("R", "request"), _a("D", "date"))),
    Preset("answer_late", "answer_late", (_a("Ans", "answer"),)),
    Preset("answer_in_time", "answer_in_time", (_a("Ans", "answer"),)),
    Preset("answer_validly_signed", "answer_validly_signed", (_a("Ans", "answer"),)),
    Preset("refusal_reasoned", "refusal_reasoned", (_a("Ans", "answer"),)),
    Preset("agreement_terms_complete", "agreement_terms_complete", (_a("A", "agreement"),)),
    Preset("agreement_lacks", "agreement_lacks", (_a("A", "agreement"), _a("Term"))),
    Preset(
        "protection_by",
        "protection_by",
        (_a("A", "agreement"), _a("Org", "organization"), _a("Way"), _a("D", "date")),
    ),
    Preset(
        "competent_authority",
        "competent_authority",
        (_a("Authority", "organization"), _a("A", "agreement"), _a("D", "date")),
    ),
    Preset(
        "foreign_participation",
        "foreign_participation",
        (_a("O", "organization"), _a("D", "date")),
    ),
    Preset("wholly_state_owned", "wholly_state_owned", (_a("O", "organization"), _a("D", "date"))),
    Preset(
        "may_suspend",
        "may_suspend",
        (_a("C", "organization"), _a("A", "agreement"), _a("D", "date")),
    ),
    Preset(
        "may_raise_cancellation",
        "may_raise_cancellation",
        (_a("C", "organization"), _a("A", "agreement"), _a("D", "date")),
    ),
    Preset("reorganization_duty", "reorganization_duty", (_a("A", "agreement"), _a("Duty"))),
    Preset(
        "duty_outstanding",
        "duty_outstanding",
        (_a("A", "agreement"), _a("Duty"), _a("D", "date")),
    ),
    Preset("duty_met", "duty_met", (_a("A", "agreement"), _a("Duty"), _a("D", "date"))),
    Preset("audit_result", "audit_result", (_a("T", "transfer"), _a("Result"))),
    Preset("transfer_breaches", "transfer_breaches", (_a("T", "transfer"), _a("Clause", "clause"))),
    Preset(
        "transfer_undetermined",
        "transfer_undetermined",
        (_a("T", "transfer"), _a("Clause", "clause"), _a("Missing")),
    ),
    Preset("lawful_transfer", "lawful_transfer", (_a("T", "transfer"),)),
)


def presets(snapshot: Snapshot) -> list[Preset]:
    """The presets the served rules can answer (their predicate, of that many arguments)."""
    types = snapshot.argument_types
    return [p for p in PRESETS if len(types.get(p.predicate, ())) == len(p.args)]


def preset(key: str) -> Preset | None:
    return next((p for p in PRESETS if p.key == key), None)


def predicate_args(snapshot: Snapshot, predicate: str) -> tuple[Arg, ...]:
    """Any predicate's arguments, named as its rules (or the fact vocabulary) name them, each
    offering what its declared type suggests (a date for a date)."""
    types = snapshot.argument_types.get(predicate, ())
    names = _names(snapshot, predicate, len(types))
    return tuple(
        Arg(
            name,
            "date" if kind == "date" else "text",
            given=position in _given(snapshot, predicate),
        )
        for position, (name, kind) in enumerate(zip(names, types, strict=True))
    )


def _names(snapshot: Snapshot, predicate: str, arity: int) -> list[str]:
    """Each position's name: the first rule's variable there, else the vocabulary's, else
    ``#n``."""
    names: list[str | None] = [None] * arity
    for rule in _rules(snapshot, predicate):
        for position, term in enumerate(rule.head.terms[:arity]):
            if names[position] is None and isinstance(term, Var):
                names[position] = term.name
    terms = snapshot.knowledge_base.glossary.get(predicate, ())
    base = list(terms[0].args) if terms else []
    return [
        name or (str(base[i]) if i < len(base) else f"#{i + 1}") for i, name in enumerate(names)
    ]


def _given(snapshot: Snapshot, predicate: str) -> set[int]:
    """The positions a question must bind: a rule's ``@given``, a dated fact's day."""
    given = {p for rule in _rules(snapshot, predicate) for p in rule.input_positions()}
    terms = snapshot.knowledge_base.glossary.get(predicate, ())
    return given | ({len(terms[0].args) - 1} if terms and terms[0].dated else set())


def _rules(snapshot: Snapshot, predicate: str) -> list[Rule]:
    return [
        rule for rule in snapshot.knowledge_base.rules.rules if rule.head.predicate == predicate
    ]


def predicates(snapshot: Snapshot) -> list[str]:
    """Every predicate a question may name: the rules' and the facts', in name order."""
    return sorted(snapshot.argument_types)
