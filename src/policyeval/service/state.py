"""What the service holds between requests: the snapshot served, the decision log, its settings."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from policyeval import CredentialStore, DecisionLog, JwtVerifier, Snapshot
from policyeval.service.settings import Settings


@dataclass
class ServiceState:
    """Created at startup and kept in ``app.state.service``.

    ``snapshot`` is everything a question needs, in one immutable object: a request reads it
    once (:func:`policyeval.service.deps.get_snapshot`) and a reload replaces it with one
    assignment, so no request sees the rules of one version and the facts of another.
    """

    settings: Settings
    snapshot: Snapshot
    decision_log: DecisionLog
    credentials: CredentialStore
    jwt: JwtVerifier | None = None
    # Reloads read files for a while; one at a time keeps the served versions in file order.
    reloading: threading.Lock = field(default_factory=threading.Lock)
