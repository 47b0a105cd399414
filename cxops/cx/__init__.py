"""The CX API adapter: the only part of cxops (besides the fake) that imports ``google.*``.

Everything else talks to Dialogflow CX through a :class:`CxSession`: typed clients, and
calls that are paced, bounded by a deadline, retried, and fail as one-line ``ApiError``s.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cxops.cx.connection import Connection, ConnectionSettings, describe_principal, endpoint_for
    from cxops.cx.errors import EMULATOR_PRINCIPAL, ErrorContext, exhausted_error, to_api_error
    from cxops.cx.ratelimit import Pacer, RateLimiter, RateLimits
    from cxops.cx.retry import RETRYABLE, RetriesExhausted, RetryPolicy, run_with_retry
    from cxops.cx.session import CxSession, Pager, Rpc

# Where each name lives. Loaded on first use (PEP 562), so that importing one light module of
# the adapter (``cxops.cx.ratelimit``, which stage files use) does not load the API client.
_HOME = {
    "Connection": "connection",
    "ConnectionSettings": "connection",
    "describe_principal": "connection",
    "endpoint_for": "connection",
    "EMULATOR_PRINCIPAL": "errors",
    "ErrorContext": "errors",
    "exhausted_error": "errors",
    "to_api_error": "errors",
    "Pacer": "ratelimit",
    "RateLimiter": "ratelimit",
    "RateLimits": "ratelimit",
    "RETRYABLE": "retry",
    "RetriesExhausted": "retry",
    "RetryPolicy": "retry",
    "run_with_retry": "retry",
    "CxSession": "session",
    "Pager": "session",
    "Rpc": "session",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


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
