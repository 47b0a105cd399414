"""The CX API adapter: the only part of cxops (besides the fake) that imports ``google.*``.

Everything else talks to Dialogflow CX through a :class:`CxSession`: typed clients, and
calls that are paced, bounded by a deadline, retried, and fail as one-line ``ApiError``s.
"""

from __future__ import annotations

from cxops.cx.connection import Connection, ConnectionSettings, describe_principal, endpoint_for
from cxops.cx.errors import EMULATOR_PRINCIPAL, ErrorContext, exhausted_error, to_api_error
from cxops.cx.ratelimit import Pacer, RateLimiter, RateLimits
from cxops.cx.retry import RETRYABLE, RetriesExhausted, RetryPolicy, run_with_retry
from cxops.cx.session import CxSession, Pager, Rpc

__all__ = [
    "EMULATOR_PRINCIPAL",
    "RETRYABLE",
    "Connection",
    "ConnectionSettings",
    "CxSession",
    "ErrorContext",
    "Pacer",
    "Pager",
    "RateLimiter",
    "RateLimits",
    "RetriesExhausted",
    "RetryPolicy",
    "Rpc",
    "describe_principal",
    "endpoint_for",
    "exhausted_error",
    "run_with_retry",
    "to_api_error",
]
