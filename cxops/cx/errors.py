"""CX API failures as one-line cxops errors that say what to fix."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from google.api_core import exceptions as gexc

from cxops.cx.retry import RetriesExhausted
from cxops.errors import ApiError

EMULATOR_PRINCIPAL = "(emulator, no credentials)"

_AGENT = re.compile(r"^projects/[^/]+/locations/[^/]+/agents/[^/]+")
_PROJECT = re.compile(r"^projects/([^/]+)")
# Update requests carry the resource, not its name, at the top level.
_RESOURCE_FIELDS = (
    "agent",
    "flow",
    "page",
    "transition_route_group",
    "intent",
    "entity_type",
    "webhook",
    "test_case",
    "generator",
    "playbook",
    "example",
    "tool",
    "version",
    "environment",
)
_MAX_SERVER_MESSAGE = 400


@dataclass(frozen=True)
class ErrorContext:
    """What the session works on, so that errors can point at the user's own files."""

    stage: str | None = None
    stage_file: str | None = None
    agent: str | None = None


def method_label(name: str) -> str:
    """``list_flows`` -> ``ListFlows``, the name the API and its docs use."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_")) or "call"


def status_name(exc: gexc.GoogleAPICallError) -> str:
    code = exc.grpc_status_code
    return code.name if code is not None else type(exc).__name__


def resource_of(request: object) -> str | None:
    """The resource name a request targets (``name``, ``parent`` or the updated resource's)."""
    for field in ("name", "parent"):
        value = request.get(field) if isinstance(request, Mapping) else getattr(request, field, None)
        if isinstance(value, str) and value:
            return value
    for field in _RESOURCE_FIELDS:
        value = getattr(getattr(request, field, None), "name", None)
        if isinstance(value, str) and value:
            return value
    return None


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _MAX_SERVER_MESSAGE else line[: _MAX_SERVER_MESSAGE - 1] + "…"


def _server_says(exc: gexc.GoogleAPICallError) -> str:
    return _one_line(str(exc.message or "") or status_name(exc))


def _stage_hint(context: ErrorContext) -> str:
    if context.stage_file:
        return f"check project, location and agent_id in {context.stage_file}"
    if context.stage:
        return f"check project, location and agent_id of stage {context.stage}"
    return "check the stage's project, location and agent_id"


def _permission_denied(
    exc: gexc.GoogleAPICallError,
    method: str,
    target: str | None,
    write: bool,
    principal: str,
    ctx: ErrorContext,
) -> str:
    agent = ctx.agent or _agent_of(target) or target or "the agent"
    project = _PROJECT.match(agent)
    on_project = f" on project {project.group(1)}" if project else ""
    role = (
        "roles/dialogflow.admin"
        if write
        else "roles/dialogflow.reader (read-only commands) or roles/dialogflow.admin"
    )
    return (
        f"{method}: permission denied on {agent} for {principal}: grant {role}{on_project}"
        f" (server: {_server_says(exc)})"
    )


def _not_found(exc: gexc.GoogleAPICallError, method: str, target: str | None, ctx: ErrorContext) -> str:
    agent = ctx.agent or _agent_of(target)
    # A missing agent means a wrong stage file; a missing child means the agent changed.
    if agent is not None and target in (agent, None):
        where = f" (stage {ctx.stage})" if ctx.stage else ""
        return f"agent {agent} not found{where}: {_stage_hint(ctx)} (server: {_server_says(exc)})"
    what = target or "the resource"
    return (
        f"{method}: {what} not found; it may have been deleted since it was read,"
        f" re-run the command (server: {_server_says(exc)})"
    )


def _agent_of(resource: str | None) -> str | None:
    match = _AGENT.match(resource or "")
    return match.group(0) if match else None


def to_api_error(
    exc: gexc.GoogleAPICallError,
    *,
    method: str,
    request: object = None,
    write: bool = False,
    principal: str = "the Application Default Credentials",
    context: ErrorContext | None = None,
) -> ApiError:
    """One API failure of ``method`` (e.g. ``ListFlows``) as an :class:`ApiError`."""
    ctx = context or ErrorContext()
    code = status_name(exc)
    target = resource_of(request)
    on = f" on {target}" if target else ""
    if code == "PERMISSION_DENIED":
        message = _permission_denied(exc, method, target, write, principal, ctx)
    elif code == "NOT_FOUND":
        message = _not_found(exc, method, target, ctx)
    elif code == "UNAUTHENTICATED":
        message = (
            f"{method}: not authenticated to the Dialogflow API as {principal}: run"
            " `gcloud auth application-default login`, or in CI set up workload identity"
            f" federation (server: {_server_says(exc)})"
        )
    elif code in ("INVALID_ARGUMENT", "ALREADY_EXISTS", "FAILED_PRECONDITION"):
        message = f"{method}{on} refused ({code}): {_server_says(exc)}"
    elif code == "DEADLINE_EXCEEDED":
        message = f"{method}{on} did not finish within its deadline: {_server_says(exc)}"
    else:
        message = f"{method}{on} failed ({code}): {_server_says(exc)}"
    return ApiError(message, code=code)


def exhausted_error(failure: RetriesExhausted, *, method: str, deadline: float, endpoint: str) -> ApiError:
    """Retries ran out: how many attempts, over how long, and the last error."""
    last = status_name(failure.last)
    tried = f"{failure.attempts} attempts over {failure.elapsed:.1f}s"
    why = (
        f"did not succeed within the {deadline:g}s deadline ({tried})"
        if failure.deadline
        else f"gave up after {tried}"
    )
    message = f"{method}: {why}; last error {last}: {_server_says(failure.last)}"
    if last == "UNAVAILABLE":
        message += f"; is the CX API reachable at {endpoint}?"
    code = "DEADLINE_EXCEEDED" if failure.deadline else last
    return ApiError(message, code=code)
