"""What the service holds between requests: one evaluator, one decision log, its settings."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from policyeval.decision_log import DecisionLog
from policyeval.evaluator import Evaluator
from policyeval.fact_loader import FactBase
from policyeval.service.settings import Settings


@dataclass
class ServiceState:
    """Created at startup and kept in ``app.state.service``."""

    settings: Settings
    evaluator: Evaluator
    decision_log: DecisionLog
    # The fact base served, for what-if records that refer to its records; set with each reload.
    fact_base: FactBase
    # Reloads read files for a while; one at a time keeps the served versions in file order.
    reloading: threading.Lock = field(default_factory=threading.Lock)
