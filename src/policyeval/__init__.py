"""policyeval: Decree 743's rules on transferring state secrets, as literate Datalog.

The library surface is re-exported here; everything else is an implementation module. The CLI
(`policyeval.cli`) and the service (`policyeval.service`) import only these names (a test
checks it), so what they can do is what the library offers.
"""

from policyeval.collector import collector_paused
from policyeval.credentials import (
    ALL_CUSTOMERS,
    ROLES,
    AuthenticationError,
    CredentialStore,
    JwtVerifier,
    KeyRecord,
    Principal,
    Role,
)
from policyeval.decision_log import (
    ChainBreak,
    ChainHead,
    DecisionFilter,
    DecisionLog,
    DecisionLogError,
    DecisionNotLogged,
    DecisionRecord,
)
from policyeval.decree743 import BUILTINS, VOCABULARY
from policyeval.decree743.decisions import (
    EXPLAIN_LEVELS,
    ExplainLevel,
    SecretDecision,
    TransferDecision,
    TransferReason,
    decide_transfer,
    explained,
)
from policyeval.engine.budget import deadline as evaluation_deadline
from policyeval.engine.store import BaseFact, FactSource, FactStore
from policyeval.errors import (
    EvaluationTimeout,
    FactError,
    LimitError,
    PolicyError,
    Problem,
    QueryError,
    ReportError,
    RuleCheckError,
    RuleSyntaxError,
    ScenarioError,
    UnknownEntityError,
)
from policyeval.evaluator import (
    Argument,
    Evaluator,
    KnowledgeBase,
    Outcome,
    QueryResult,
    build_knowledge_base,
)
from policyeval.explain.model import FailedCondition, ProofNode, RuleFailure, proof_json
from policyeval.explain.reasons import Blocker, OtherWay, Reason, cited_clauses, other_ways_heading
from policyeval.facts.loader import FactBase, load_fact_files, load_fact_records
from policyeval.facts.model import FactRecord
from policyeval.facts.schema_export import fact_file_json_schema
from policyeval.language.checker import check
from policyeval.language.parser import load_rule_set, parse_rules
from policyeval.language.syntax import Rule, RuleSet, Value, Var, format_value
from policyeval.loading import (
    DatedQueryResult,
    Edition,
    InForce,
    Snapshot,
    check_sources,
    load,
    load_facts,
    load_knowledge_base,
    load_rules,
    question_day,
    read_assumed,
)
from policyeval.redactions import (
    AppliedRedaction,
    EntryIntoForce,
    KnownRedaction,
    Redaction,
    RedactionWarning,
    read_redaction,
)
from policyeval.repairs import Change, Repair, RepairAdvice, find_repairs
from policyeval.report import (
    logged_report_html,
    render_report_html,
    render_report_pdf,
    report_clauses,
)
from policyeval.scenarios.clause_index import (
    ClauseEntry,
    clause_index,
    render_clause_index_markdown,
)
from policyeval.scenarios.coverage import DECREE_FILE, coverage_problems
from policyeval.scenarios.format import load_scenarios
from policyeval.scenarios.judge import ScenarioResult
from policyeval.scenarios.runner import run_scenarios

__all__ = [
    "ALL_CUSTOMERS",
    "BUILTINS",
    "DECREE_FILE",
    "EXPLAIN_LEVELS",
    "ROLES",
    "VOCABULARY",
    "AppliedRedaction",
    "Argument",
    "AuthenticationError",
    "BaseFact",
    "Blocker",
    "ChainBreak",
    "ChainHead",
    "Change",
    "ClauseEntry",
    "CredentialStore",
    "DatedQueryResult",
    "DecisionFilter",
    "DecisionLog",
    "DecisionLogError",
    "DecisionNotLogged",
    "DecisionRecord",
    "Edition",
    "EntryIntoForce",
    "EvaluationTimeout",
    "Evaluator",
    "ExplainLevel",
    "FactBase",
    "FactError",
    "FactRecord",
    "FactSource",
    "FactStore",
    "FailedCondition",
    "InForce",
    "JwtVerifier",
    "KeyRecord",
    "KnowledgeBase",
    "KnownRedaction",
    "LimitError",
    "OtherWay",
    "Outcome",
    "PolicyError",
    "Principal",
    "Problem",
    "ProofNode",
    "QueryError",
    "QueryResult",
    "Reason",
    "Redaction",
    "RedactionWarning",
    "Repair",
    "RepairAdvice",
    "ReportError",
    "Role",
    "Rule",
    "RuleCheckError",
    "RuleFailure",
    "RuleSet",
    "RuleSyntaxError",
    "ScenarioError",
    "ScenarioResult",
    "SecretDecision",
    "Snapshot",
    "TransferDecision",
    "TransferReason",
    "UnknownEntityError",
    "Value",
    "Var",
    "build_knowledge_base",
    "check",
    "check_sources",
    "cited_clauses",
    "clause_index",
    "collector_paused",
    "coverage_problems",
    "decide_transfer",
    "evaluation_deadline",
    "explained",
    "fact_file_json_schema",
    "find_repairs",
    "format_value",
    "load",
    "load_fact_files",
    "load_fact_records",
    "load_facts",
    "load_knowledge_base",
    "load_rule_set",
    "load_rules",
    "load_scenarios",
    "logged_report_html",
    "other_ways_heading",
    "parse_rules",
    "proof_json",
    "question_day",
    "read_assumed",
    "read_redaction",
    "render_clause_index_markdown",
    "render_report_html",
    "render_report_pdf",
    "report_clauses",
    "run_scenarios",
]
