"""Decree 743 as data: its record kinds, its calendar built-ins and its transfer decision.

The generic packages (language, engine, explain, facts) know nothing of the decree; this one
hands them its vocabulary (:data:`VOCABULARY`) and built-ins (:data:`BUILTINS`).
"""

from policyeval.decree743.builtins import BUILTINS
from policyeval.decree743.vocabulary import VOCABULARY

__all__ = ["BUILTINS", "VOCABULARY"]
