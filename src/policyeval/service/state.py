"""What the service holds between requests: the snapshot served, the decision log, its settings."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from policyeval import CredentialStore, DecisionLog, JwtVerifier, Snapshot
from policyeval.service.reloads import Loader
from policyeval.service.settings import Settings

log = logging.getLogger("policyeval.service")


@dataclass
class ServiceState:
    """Created at startup and kept in ``app.state.service``.

    ``snapshot`` is everything a question needs, in one immutable object: a request reads it
    once (:func:`policyeval.service.deps.get_snapshot`) and a reload replaces it with one
    assignment, so no request sees the rules of one version and the facts of another.
    """

    settings: Settings
    snapshot: Snapshot | None
    """``None`` until the first load is done (the service then answers 503, health "loading")."""
    decision_log: DecisionLog
    credentials: CredentialStore
    jwt: JwtVerifier | None = None
    warm_ups: list[Callable[[Snapshot], object]] = field(default_factory=list)
    """Work worth doing once per snapshot before anyone asks for it (the pages' fact index):
    run in a thread of its own whenever a snapshot starts being served."""
    warming: list[threading.Thread] = field(default_factory=list, init=False)
    """The warm-up threads started (the last few; a test joins them)."""
    loader: Loader = field(init=False)

    def __post_init__(self) -> None:
        self.loader = Loader(self.settings, self.swap)
        if self.snapshot is not None:
            settle_heap(collect=False)
            self.warm_up(self.snapshot)

    def swap(self, new: Snapshot) -> Snapshot | None:
        """Serve ``new`` from the next request on (one assignment); returns the one replaced."""
        old, self.snapshot = self.snapshot, new
        settle_heap(collect=True)
        self.warm_up(new)
        return old

    def warm_up(self, snapshot: Snapshot) -> None:
        """Run the warm-ups of ``snapshot`` in a thread of their own (a failure only costs the
        first request the work), then keep what they built out of the collector's way too."""
        thread = threading.Thread(target=self._warm, args=(snapshot,), daemon=True)
        thread.start()
        self.warming[:] = [*self.warming[-7:], thread]

    def _warm(self, snapshot: Snapshot) -> None:
        for warm_up in self.warm_ups:
            try:
                warm_up(snapshot)
            except Exception:
                log.exception("a warm-up of the snapshot failed; its first use will do the work")
        settle_heap(collect=False)

    def close(self) -> None:
        """At shutdown: the objects kept out of the collector's way are collected again."""
        gc.unfreeze()


def settle_heap(*, collect: bool) -> None:
    """Keep what is alive now, the snapshot served above all, out of the cyclic garbage
    collector's way (``gc.freeze``): otherwise each full collection walks the whole snapshot
    (0.7 s at 1,000 organizations, every couple of thousand requests). ``collect``: first free
    what is garbage (a replaced snapshot, a load's leftovers), one pause per reload."""
    if collect:
        gc.unfreeze()
        gc.collect()
    gc.freeze()
