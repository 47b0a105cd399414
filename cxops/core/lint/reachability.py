"""Reachability: pages, flows and route groups a conversation can never get to, pages it can
never leave, and routes that can never fire."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cxops.core.lint.index import Index
from cxops.core.lint.registry import Hit, Params, Severity, rule
from cxops.model.snapshot import Key

W = Severity.warning


@rule("reachability/unreachable-page", W, "A page that no transition of its flow targets.")
def unreachable_page(index: Index, params: Params) -> Iterator[Hit]:
    uses = index.uses
    for key, _ in index.of_kind("page"):
        targets = uses.pages.get(key.scope, set())
        if key.name not in targets and key.name not in uses.agent_group_pages:
            yield Hit(
                key, ("display_name",), f"page {key.name!r} of flow {key.scope!r}: no transition leads to it"
            )


@rule("reachability/unreachable-flow", W, "A flow that is not the start flow and that no route enters.")
def unreachable_flow(index: Index, params: Params) -> Iterator[Hit]:
    for key, _ in index.of_kind("flow"):
        if key.name not in index.uses.flows:
            yield Hit(
                key,
                ("display_name",),
                f"flow {key.name!r}: no transition enters it and it is not the start flow",
            )


def _has_exit(body: dict[str, Any]) -> bool:
    form = body.get("form")
    return bool(
        body.get("transition_routes")
        or body.get("event_handlers")
        or body.get("transition_route_groups")
        or body.get("agent_transition_route_groups")
        or (isinstance(form, dict) and form.get("parameters"))
    )


@rule(
    "reachability/dead-end-page",
    W,
    "A page with no route, handler, route group or form, in a flow whose own routes take no input.",
)
def dead_end_page(index: Index, params: Params) -> Iterator[Hit]:
    flows = dict((k.name, b) for k, b in index.of_kind("flow"))
    for key, body in index.of_kind("page"):
        if _has_exit(body):
            continue
        flow = flows.get(key.scope, {})
        # The flow's intent routes and route groups are in scope on every page of the flow.
        if any(isinstance(r, dict) and r.get("intent") for r in flow.get("transition_routes") or []):
            continue
        if flow.get("transition_route_groups") or flow.get("agent_transition_route_groups"):
            continue
        yield Hit(
            key,
            ("display_name",),
            f"page {key.name!r} has no way out: no route, event handler, route group or form, and "
            f"flow {key.scope!r} has no intent routes",
        )


@rule("reachability/unused-route-group", W, "A route group that no page or flow uses.")
def unused_route_group(index: Index, params: Params) -> Iterator[Hit]:
    uses = index.uses
    for key, _ in index.of_kind("flow_route_group"):
        if key.name not in uses.flow_groups.get(key.scope, set()):
            yield Hit(
                key,
                ("display_name",),
                f"route group {key.name!r} of flow {key.scope!r} is used by no page or flow",
            )
    for key, _ in index.of_kind("route_group"):
        if key.name not in uses.agent_groups:
            yield Hit(key, ("display_name",), f"agent route group {key.name!r} is used by no page or flow")


def _always(route: Any) -> bool:
    """A route that fires whenever it is evaluated: no intent and a condition of ``true``."""
    if not isinstance(route, dict) or route.get("intent"):
        return False
    condition = route.get("condition")
    return isinstance(condition, str) and condition.strip().lower() == "true"


@rule(
    "reachability/shadowed-route",
    W,
    "A condition route after an unconditional `true` route of the same page or flow: it never fires.",
)
def shadowed_route(index: Index, params: Params) -> Iterator[Hit]:
    for kind in ("page", "flow", "flow_route_group", "route_group"):
        for key, body in index.of_kind(kind):
            yield from _shadowed(key, body.get("transition_routes"))


def _shadowed(key: Key, routes: Any) -> Iterator[Hit]:
    if not isinstance(routes, list):
        return
    first: int | None = None
    for i, route in enumerate(routes):
        if first is not None and isinstance(route, dict) and not route.get("intent"):
            yield Hit(
                key,
                ("transition_routes", i),
                f"transition route {i} never fires: route {first} before it has condition 'true'",
            )
        elif first is None and _always(route):
            first = i
