"""Calls through one door: rate limit, deadline, bounded retry, errors that say what to fix."""

from __future__ import annotations

import dataclasses
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar, cast

from google.api_core import exceptions as gexc
from google.api_core import protobuf_helpers
from google.auth import credentials as ga_credentials
from google.cloud import dialogflowcx_v3 as cx
from google.protobuf import empty_pb2

from cxops.cx.connection import Connection, ConnectionSettings
from cxops.cx.errors import ErrorContext, exhausted_error, method_label, status_name, to_api_error
from cxops.cx.ratelimit import Clock, RateLimiter, RateLimits, Sleep
from cxops.cx.retry import RetriesExhausted, RetryPolicy, run_with_retry
from cxops.errors import ApiError
from cxops.model import progress

USER_ENV = "CXOPS_USER"
USER_HEADER = "x-cxops-user"
Req = TypeVar("Req")
Req_contra = TypeVar("Req_contra", contravariant=True)
Resp = TypeVar("Resp")
Resp_co = TypeVar("Resp_co", covariant=True)
Item_co = TypeVar("Item_co", covariant=True)
Item = TypeVar("Item")
T = TypeVar("T")


class Rpc(Protocol[Req_contra, Resp_co]):
    """A client method: ``client.list_flows``, ``client.create_flow``, …"""

    def __call__(
        self, request: Req_contra, *, retry: Any = ..., timeout: float = ..., metadata: Any = ...
    ) -> Resp_co: ...


class Pager(Protocol[Item_co]):
    """What ``List*`` methods return; only its first page is ever read here."""

    @property
    def pages(self) -> Iterator[Any]: ...

    def __iter__(self) -> Iterator[Item_co]: ...


class Operation(Protocol):
    """What long-running methods return (``google.api_core.operation.Operation``)."""

    @property
    def operation(self) -> Any: ...  # google.longrunning.Operation (untyped upstream)


class CxSession(Connection):
    """A :class:`Connection` whose calls all go through :meth:`call`.

    One session per stage: its rate limiter paces every call of every thread using it.
    ``context`` (stage, stage file, agent) only improves error messages and may be set later,
    e.g. once an agent's display name has been resolved to its resource name.
    """

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        policy: RetryPolicy = RetryPolicy(),
        limits: RateLimits = RateLimits(),
        context: ErrorContext = ErrorContext(),
        credentials: ga_credentials.Credentials | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(settings, credentials=credentials)
        self.policy = policy
        self.context = context
        self.limiter = RateLimiter(limits, clock=clock, sleep=sleep)
        self._clock = clock
        self._sleep = sleep
        self._rng = rng
        # Where a retry is announced: stderr, as a warning is (a test may replace it).
        self.notify: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)
        # Who is calling, for an emulator's changelog (the real service knows from the
        # credentials): the x-cxops-user header, from CXOPS_USER.
        user = os.environ.get(USER_ENV, "")
        self.metadata: tuple[tuple[str, str], ...] = (
            ((USER_HEADER, user),) if user and settings.emulator_host else ()
        )

    def call(
        self, method: Rpc[Req, Resp], request: Req, *, write: bool, policy: RetryPolicy | None = None
    ) -> Resp:
        """``method(request)`` within the limits, the deadline and the retry policy.

        Raises :class:`~cxops.errors.ApiError` for every API failure. The library's own retry
        is switched off (``retry=None``) so that only this policy decides.
        """
        label = method_label(getattr(method, "__name__", "call"))
        extra: dict[str, Any] = {"metadata": self.metadata} if self.metadata else {}

        def retrying(attempt: int, attempts: int, error: gexc.GoogleAPICallError) -> None:
            # One line, after the first failure only: an unreachable endpoint is otherwise
            # many seconds of silence, and a line per attempt would flood a CI log.
            if attempt == 2:
                self.notify(f"retrying {label}: {status_name(error)} (attempt {attempt} of {attempts})…")

        try:
            return run_with_retry(
                lambda timeout: method(request, retry=None, timeout=timeout, **extra),
                policy=policy or self.policy,
                limiter=self.limiter,
                write=write,
                clock=self._clock,
                sleep=self._sleep,
                rng=self._rng,
                on_retry=retrying,
            )
        except RetriesExhausted as failure:
            raise exhausted_error(
                failure, method=label, deadline=self.policy.deadline, endpoint=self.endpoint
            ) from failure.last
        except gexc.GoogleAPICallError as exc:
            raise self._error(exc, label, request, write) from exc

    def list_all(self, method: Rpc[Req, Pager[Item]], request: Req) -> list[Item]:
        """Every item of a ``List*`` method, one :meth:`call` per page (:meth:`iter_all`)."""
        return list(self.iter_all(method, request))

    def iter_all(self, method: Rpc[Req, Pager[Item]], request: Req) -> Iterator[Item]:
        """Every item of a ``List*`` method, a page at a time: one :meth:`call` per page.

        Pages are requested explicitly (``page_token`` in, ``next_page_token`` out) because
        the library's pager would fetch the later pages itself, past the limiter and retry.
        """
        seen: set[str] = set()
        token = ""
        while True:
            factory: Any = type(request)
            page_request = factory(request)  # a copy: the caller's request stays as it was
            page_request.page_token = token
            page = next(iter(self.call(method, page_request, write=False).pages))
            yield from _page_items(page)
            token = page.next_page_token
            if not token:
                return
            if token in seen:
                label = method_label(getattr(method, "__name__", "call"))
                raise ApiError(f"{label}: the server returned page token {token!r} twice", code="INTERNAL")
            seen.add(token)

    def wait(
        self, method: Rpc[Req, Operation], request: Req, result_type: type[T], *, write: bool = True
    ) -> T:
        """Start a long-running operation and return its result of type ``result_type``.

        Polling goes through :meth:`call` as reads, so it is paced and retried like everything
        else, and the whole wait is bounded by ``policy.operation_deadline``.
        """
        label = method_label(getattr(method, "__name__", "call"))
        # Starting an operation may itself take long where the work is done before answering
        # (the stand-in restores a package in the call): it gets the operation's deadline.
        patient = dataclasses.replace(
            self.policy,
            attempt_timeout=self.policy.operation_deadline,
            deadline=self.policy.operation_deadline,
        )
        with progress.step(f"{label} (long-running operation)") as shown:
            operation = self.call(method, request, write=write, policy=patient).operation
            give_up_at = self._clock() + self.policy.operation_deadline
            pause = self.policy.poll_initial
            while not operation.done:
                if self._clock() + pause > give_up_at:
                    raise ApiError(
                        f"{label}: operation {operation.name} did not finish within the"
                        f" {self.policy.operation_deadline:g}s operation deadline",
                        code="DEADLINE_EXCEEDED",
                    )
                self._sleep(pause)
                pause = min(self.policy.poll_max, pause * 1.5)
                # Any client reaches google.longrunning.Operations on the same endpoint.
                operation = self.call(self.agents.get_operation, {"name": operation.name}, write=False)
                shown.advance()
        if operation.HasField("error"):
            failure = gexc.from_grpc_status(  # type: ignore[no-untyped-call]
                operation.error.code, operation.error.message, response=operation
            )
            raise self._error(failure, label, request, write)
        result = protobuf_helpers.from_any_pb(result_type, operation.response)  # type: ignore[no-untyped-call]
        return cast(T, result)

    def get_agent(self, agent: str) -> Any:
        """The agent resource ``agent`` (a full name), read."""
        return self.call(self.agents.get_agent, cx.GetAgentRequest(name=agent), write=False)

    def set_agent_description(self, agent: Any, description: str) -> None:
        """Write only ``description`` of ``agent`` (a message read with :meth:`get_agent`)."""
        agent.description = description
        request = cx.UpdateAgentRequest(agent=agent, update_mask={"paths": ["description"]})
        self.call(self.agents.update_agent, request, write=True)

    def restore_agent(self, agent: str, content: bytes) -> None:
        """Replace everything in ``agent`` with a JSON package (RestoreAgent, long-running)."""
        request = cx.RestoreAgentRequest(name=agent, agent_content=content)
        self.wait(self.agents.restore_agent, request, empty_pb2.Empty, write=True)

    def _error(self, exc: gexc.GoogleAPICallError, label: str, request: object, write: bool) -> ApiError:
        return to_api_error(
            exc, method=label, request=request, write=write, principal=self.principal, context=self.context
        )


def _page_items(page: Any) -> list[Any]:
    """The one repeated message field of a ``List*`` response (``flows``, ``intents``, …)."""
    descriptor = type(page).pb(page).DESCRIPTOR
    fields = [
        f.name
        for f in descriptor.fields
        if f.is_repeated and f.message_type is not None and not f.message_type.GetOptions().map_entry
    ]
    if len(fields) != 1:
        raise TypeError(f"{descriptor.full_name} has no single list field: {fields}")
    return list(getattr(page, fields[0]))
