"""policyeval: Decree 743's rules on transferring state secrets, as literate Datalog.

The library surface is re-exported here; everything else is an implementation module. The CLI
(`policyeval.cli`) and the service (`policyeval.service`) are built on exactly these names.
"""

from policyeval.checker import check
from policyeval.decisions import TransferDecision, decide_transfer
from policyeval.errors import (
    FactError,
    PolicyError,
    Problem,
    QueryError,
    RuleCheckError,
    RuleSyntaxError,
    ScenarioError,
    UnknownEntityError,
)
from policyeval.evaluator import Evaluator, KnowledgeBase, QueryResult, build_knowledge_base
from policyeval.explanations import FailedCondition, ProofNode, Reason, RuleFailure
from policyeval.fact_loader import FactBase, load_fact_files, load_fact_records
from policyeval.loading import load_knowledge_base
from policyeval.parser import load_rule_set, parse_rules
from policyeval.scenarios import load_scenarios, run_scenarios
from policyeval.store import BaseFact, FactSource, FactStore
from policyeval.syntax import Rule, RuleSet, Var

__all__ = [
    "BaseFact",
    "Evaluator",
    "FactBase",
    "FactError",
    "FactSource",
    "FactStore",
    "FailedCondition",
    "KnowledgeBase",
    "PolicyError",
    "Problem",
    "ProofNode",
    "QueryError",
    "QueryResult",
    "Reason",
    "Rule",
    "RuleCheckError",
    "RuleFailure",
    "RuleSet",
    "RuleSyntaxError",
    "ScenarioError",
    "TransferDecision",
    "UnknownEntityError",
    "Var",
    "build_knowledge_base",
    "check",
    "decide_transfer",
    "load_fact_files",
    "load_fact_records",
    "load_knowledge_base",
    "load_rule_set",
    "load_scenarios",
    "parse_rules",
    "run_scenarios",
]
