"""The gRPC server around :class:`CxService`, with the knobs tests and benchmarks turn."""

from __future__ import annotations

import collections
import contextlib
import json
import random
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import grpc

from cxops.fake import beta
from cxops.fake.changelog import user_of
from cxops.fake.kinds import is_write
from cxops.fake.methods import Method, methods
from cxops.fake.protoutil import Msg
from cxops.fake.rpcerrors import RpcFailure
from cxops.fake.service import CxService
from cxops.fake.store import Store

WINDOW = 60.0


@dataclass
class Fault:
    code: grpc.StatusCode
    remaining: int
    after_commit: bool
    message: str


class Hold:
    """Let ``after`` write calls through, then hold the next one until :meth:`release`; it then
    fails CANCELLED. Held before it commits (``committed`` False: never written) or after (the
    write is made, its answer never arrives: the client cannot know). A test kills its client
    while the call is held: the kill lands at exactly that write, whatever the timing."""

    def __init__(self, after: int, committed: bool = False) -> None:
        self.remaining = after
        self.committed = committed
        self.reached = threading.Event()
        self._taken = False
        self._released = threading.Event()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Called for each write as it arrives: True for the one to hold."""
        with self._lock:
            if self.remaining > 0 or self._taken:
                self.remaining -= 1
                return False
            self._taken = True
            return True

    def block(self) -> None:
        self.reached.set()
        self._released.wait()

    def wait(self, timeout: float) -> bool:
        return self.reached.wait(timeout)

    def release(self) -> None:
        self._released.set()


def status_code(code: str | grpc.StatusCode) -> grpc.StatusCode:
    if isinstance(code, grpc.StatusCode):
        return code
    try:
        return grpc.StatusCode[code.upper()]
    except KeyError:
        raise ValueError(f"unknown gRPC status code {code!r}") from None


def _resource(request: Msg) -> str:
    fields = request.DESCRIPTOR.fields_by_name
    for field in ("name", "parent"):
        if field in fields and getattr(request, field):
            return str(getattr(request, field))
    for field, value in request.ListFields():
        if field.type == field.TYPE_MESSAGE and "name" in field.message_type.fields_by_name:
            return str(value.name)
    return ""


class Knobs:
    """Call counts, the calls log, injected faults, latency, quotas. Thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: collections.Counter[str] = collections.Counter()
        self.faults: dict[str, list[Fault]] = {}
        self.latency = 0.0
        self.read_quota: int | None = None
        self.quota_window = WINDOW
        self.write_quota: int | None = None
        self.recent: dict[bool, collections.deque[float]] = {
            True: collections.deque(),
            False: collections.deque(),
        }
        self.log: IO[str] | None = None
        self.hold: Hold | None = None
        # Random faults on writes: (share of calls, code, generator); half of them after commit.
        self.chaos: tuple[float, grpc.StatusCode, random.Random] | None = None

    def over_quota(self, method: str) -> bool:
        write = is_write(method)
        quota = self.write_quota if write else self.read_quota
        now = time.monotonic()
        with self.lock:
            recent = self.recent[write]
            while recent and recent[0] <= now - self.quota_window:
                recent.popleft()
            if quota is not None and len(recent) >= quota:
                return True
            recent.append(now)
            return False

    def take_fault(self, method: str) -> Fault | None:
        with self.lock:
            for key in (method, method.rsplit("/", 1)[-1]):
                queue = self.faults.get(key)
                if queue:
                    fault = queue[0]
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        queue.pop(0)
                    return fault
            if self.chaos is not None and is_write(method):
                rate, code, rng = self.chaos
                if rng.random() < rate:
                    return Fault(code, 1, rng.random() < 0.5, "injected at random by cxops fake")
        return None

    def record(self, method: str, resource: str, status: grpc.StatusCode) -> None:
        with self.lock:
            self.calls[method] += 1
            if self.log is not None:
                line = {"time": time.time(), "method": method, "resource": resource, "status": status.name}
                self.log.write(json.dumps(line) + "\n")
                self.log.flush()


class FakeCX:
    """The CX v3 API stand-in: an in-process gRPC server on 127.0.0.1.

    >>> with FakeCX() as fake:
    ...     client = cx.AgentsClient(transport=...grpc(channel=grpc.insecure_channel(fake.address)))
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        state_file: Path | str | None = None,
        calls_log: Path | str | None = None,
        seed: int | None = None,
        shuffle_seed: int | None = None,
        latency: float = 0.0,
        reads_per_minute: int | None = None,
        writes_per_minute: int | None = None,
        max_workers: int = 16,
        webhook_fixtures: Path | str | None = None,
    ) -> None:
        self.state_file = Path(state_file) if state_file else None
        store = Store.load(self.state_file) if self.state_file and self.state_file.exists() else Store()
        self.service = CxService(store, seed=seed)
        self.service.shuffle_seed = shuffle_seed
        self.service.webhook_fixtures = Path(webhook_fixtures) if webhook_fixtures else None
        self.knobs = Knobs()
        self.knobs.latency = latency
        self.set_quota(reads_per_minute=reads_per_minute, writes_per_minute=writes_per_minute)
        self._calls_log_path = Path(calls_log) if calls_log else None
        self._host, self._port = host, port
        self._max_workers = max_workers
        self._server: grpc.Server | None = None
        self._beta_operations = beta.BetaOperations()
        self.address = ""

    # -- knobs --------------------------------------------------------------------------------

    @property
    def calls(self) -> collections.Counter[str]:
        return self.knobs.calls

    def count(self, *methods: str) -> int:
        """Calls so far of the given methods, by short (``CreateFlow``) or full gRPC name."""
        total = 0
        for full, n in self.knobs.calls.items():
            short = full.rsplit("/", 1)[-1]
            if any(m in (full, short) for m in methods):
                total += n
        return total

    def write_count(self) -> int:
        return sum(n for m, n in self.knobs.calls.items() if is_write(m))

    def read_count(self) -> int:
        return sum(n for m, n in self.knobs.calls.items() if not is_write(m))

    def reset_calls(self) -> None:
        with self.knobs.lock:
            self.knobs.calls.clear()

    def inject(
        self,
        method: str,
        code: str | grpc.StatusCode,
        count: int = 1,
        *,
        after_commit: bool = False,
        message: str = "injected by cxops fake",
    ) -> None:
        """Make the next ``count`` calls of ``method`` fail with ``code`` (after the write commits, if asked)."""
        fault = Fault(status_code(code), count, after_commit, message)
        with self.knobs.lock:
            self.knobs.faults.setdefault(method, []).append(fault)

    def clear_faults(self) -> None:
        with self.knobs.lock:
            self.knobs.faults.clear()
            self.knobs.chaos = None

    def fail_writes_at_random(
        self, rate: float, code: str | grpc.StatusCode = "UNAVAILABLE", seed: int = 0
    ) -> None:
        """Fail a ``rate`` share of write calls with ``code``, half before and half after the
        write commits (seeded, so a failing run can be repeated)."""
        with self.knobs.lock:
            self.knobs.chaos = (rate, status_code(code), random.Random(seed))

    @contextlib.contextmanager
    def hold_writes(self, after: int, *, committed: bool = False) -> Iterator[Hold]:
        """Within the block, the write after the next ``after`` ones waits (before it commits, or
        after with ``committed``) until the block ends, and then fails CANCELLED:
        ``hold.wait(60)`` tells when it is held."""
        hold = Hold(after, committed)
        self.knobs.hold = hold
        try:
            yield hold
        finally:
            self.knobs.hold = None
            hold.release()

    @property
    def latency(self) -> float:
        return self.knobs.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self.knobs.latency = seconds

    def set_quota(
        self,
        *,
        reads_per_minute: int | None = None,
        writes_per_minute: int | None = None,
        window: float = WINDOW,
    ) -> None:
        """Quotas per window (a minute; tests may shorten it); beyond them: RESOURCE_EXHAUSTED."""
        self.knobs.read_quota = reads_per_minute
        self.knobs.write_quota = writes_per_minute
        self.knobs.quota_window = window

    @property
    def operation_polls(self) -> int:
        """How many GetOperation polls a new long-running operation answers 'not done'."""
        return self.service.operation_polls

    @operation_polls.setter
    def operation_polls(self, polls: int) -> None:
        self.service.operation_polls = polls

    @property
    def shuffle_seed(self) -> int | None:
        return self.service.shuffle_seed

    @shuffle_seed.setter
    def shuffle_seed(self, seed: int | None) -> None:
        self.service.shuffle_seed = seed

    def save(self, path: Path | str | None = None) -> None:
        target = Path(path) if path else self.state_file
        if target is None:
            raise ValueError("no state file given")
        with self.service.lock:
            self.service.store.save(target)

    # -- serving ------------------------------------------------------------------------------

    def _wrap(self, method: Method) -> Callable[[Msg, grpc.ServicerContext], Msg]:
        knobs, service, name = self.knobs, self.service, method.full_name

        def handle(request: Msg, context: grpc.ServicerContext) -> Msg:
            resource = _resource(request)

            def fail(code: grpc.StatusCode, message: str) -> None:
                knobs.record(name, resource, code)
                context.abort(code, message)

            if knobs.latency:
                time.sleep(knobs.latency)
            if knobs.over_quota(name):
                fail(grpc.StatusCode.RESOURCE_EXHAUSTED, "Quota exceeded for quota metric (cxops fake).")
            fault = knobs.take_fault(name)
            if fault is not None and not fault.after_commit:
                fail(fault.code, fault.message)
            write = is_write(name)
            hold = knobs.hold if write else None
            held = hold is not None and hold.take()
            if held and hold is not None and not hold.committed:
                hold.block()
                fail(grpc.StatusCode.CANCELLED, "held by cxops fake until its client was gone; not written")
            try:
                with service.lock:
                    before = service.before_write(request) if write else {}
                    response = method.handler(request)
                    if write:
                        user = user_of(context.invocation_metadata())
                        service.record_write(name.rsplit("/", 1)[-1], request, response, user, before)
            except RpcFailure as failure:
                fail(failure.code, failure.message)
            except Exception as bug:  # a bug in the stand-in must reach the client, not hang it
                traceback.print_exc()
                fail(grpc.StatusCode.INTERNAL, f"cxops fake: {type(bug).__name__}: {bug}")
            if held and hold is not None:
                hold.block()
                fail(grpc.StatusCode.CANCELLED, "held by cxops fake after it was written; answer dropped")
            if fault is not None:
                fail(fault.code, fault.message)
            knobs.record(name, resource, grpc.StatusCode.OK)
            return response

        return handle

    def _wrap_beta(self, method: Method) -> tuple[Method, Callable[[Msg, grpc.ServicerContext], Msg]]:
        """The v3beta1 twin of a v3 method: translated in, handled as v3, translated out."""
        name = beta.beta_name(method.full_name)
        request, response = beta.beta_class(method.request), beta.beta_class(method.response)
        inner = self._wrap(Method(name, method.handler, method.request, method.response))
        knobs, operations = self.knobs, self._beta_operations

        def handle(message: Msg, context: grpc.ServicerContext) -> Msg:
            try:
                v3_message = beta.to_v3(message, method.request)
            except beta.Untranslatable as error:
                knobs.record(name, "", grpc.StatusCode.INVALID_ARGUMENT)
                context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"cxops fake holds the v3 fields only; this v3beta1 request sets one v3 has not: {error}",
                )
            answer = inner(v3_message, context)
            operations.add(answer)
            return beta.to_beta(answer, response)

        return Method(name, method.handler, request, response), handle

    def _handlers(self) -> list[grpc.GenericRpcHandler[Any, Any]]:
        by_service: dict[str, dict[str, grpc.RpcMethodHandler[Any, Any]]] = {}
        operations = self._beta_operations

        def serve(method: Method, handle: Callable[[Msg, grpc.ServicerContext], Msg]) -> None:
            service, _, short = method.full_name[1:].partition("/")
            shared = service == "google.longrunning.Operations"  # one for v3 and v3beta1
            by_service.setdefault(service, {})[short] = grpc.unary_unary_rpc_method_handler(
                handle,
                request_deserializer=method.request.FromString,
                response_serializer=(
                    (lambda msg: operations.answer(msg).SerializeToString())
                    if shared
                    else (lambda msg: msg.SerializeToString())
                ),
            )

        for method in methods(self.service):
            serve(method, self._wrap(method))
            if method.full_name.startswith(f"/{beta.V3}."):
                serve(*self._wrap_beta(method))
        handlers: list[grpc.GenericRpcHandler[Any, Any]] = [
            grpc.method_handlers_generic_handler(service, table) for service, table in by_service.items()
        ]
        handlers.append(_Unimplemented(self.knobs))
        return handlers

    def start(self) -> str:
        if self._calls_log_path is not None:
            self.knobs.log = self._calls_log_path.open("a", encoding="utf-8")
        server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=self._max_workers, thread_name_prefix="cxops-fake"),
            handlers=self._handlers(),
            options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)],
        )
        port = server.add_insecure_port(f"{self._host}:{self._port}")
        if port == 0:
            raise OSError(f"cannot listen on {self._host}:{self._port}")
        server.start()
        self._server = server
        self.address = f"{self._host}:{port}"
        return self.address

    def stop(self, grace: float | None = 1.0) -> None:
        if self._server is not None:
            self._server.stop(grace).wait()
            self._server = None
        if self.state_file is not None:
            self.save()
        if self.knobs.log is not None:
            self.knobs.log.close()
            self.knobs.log = None

    def __enter__(self) -> FakeCX:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Unimplemented(grpc.GenericRpcHandler):  # type: ignore[type-arg]
    """Every method that is not served answers UNIMPLEMENTED, and is counted and logged."""

    def __init__(self, knobs: Knobs) -> None:
        self.knobs = knobs

    def service(
        self, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        method = str(handler_call_details.method)
        knobs = self.knobs

        def handle(request: bytes, context: grpc.ServicerContext) -> Any:
            knobs.record(method, "", grpc.StatusCode.UNIMPLEMENTED)
            context.abort(grpc.StatusCode.UNIMPLEMENTED, f"{method} is not implemented by cxops fake.")

        return grpc.unary_unary_rpc_method_handler(handle)
