"""Reachability: pages, flows and route groups a conversation can never get to, pages it can
never leave, and routes that can never fire."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cxops.core.lint.index import Index
from cxops.core.lint.registry import Hit, Params, Severity, rule
from cxops.model.snapshot import Key

W = Severity.warning
DEFAULT_START_FLOW = "Default Start Flow"


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
        # The Default Start Flow exists in every agent, also in one that starts with a playbook.
        if key.name not in index.uses.flows and key.name != DEFAULT_START_FLOW:
            yield Hit(
                key,
                ("display_name",),
                f"flow {key.name!r}: no transition enters it and it is not the start flow",
            )


def _ends(fulfillment: Any) -> bool:
    """Whether a fulfillment hands the conversation to a person or ends it."""
    if not isinstance(fulfillment, dict) or not isinstance(fulfillment.get("messages"), dict):
        return False
    return any(
        isinstance(m, dict) and ("live_agent_handoff" in m or "end_interaction" in m)
        for items in fulfillment["messages"].values()
        if isinstance(items, list)
        for m in items
    )


def _has_exit(body: dict[str, Any]) -> bool:
    form = body.get("form")
    entry = body.get("entry_fulfillment")
    return bool(
        _ends(entry)
        or (isinstance(entry, dict) and entry.get("webhook"))  # its response may name a target
        or body.get("transition_routes")
        or body.get("event_handlers")
        or body.get("transition_route_groups")
        or body.get("agent_transition_route_groups")
        or (isinstance(form, dict) and form.get("parameters"))
    )


@rule(
    "reachability/dead-end-page",
    W,
    "A page with no route, handler, route group or form, no webhook or handoff on entry, in a flow "
    "whose own routes take no input.",
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
    """A route that fires whenever it is evaluated and leaves the page for another page: no
    intent, a condition of ``true`` and a target page.

    Not a route without a target: it only runs its fulfillment, and Google's own prebuilt
    components chain such routes (a `true` route, then conditional ones). Not a route to a flow
    either: agents call a sub-flow with a `true` route and read its outcome in the routes after
    it, which the conversation evaluates on return.
    """
    if not isinstance(route, dict) or route.get("intent"):
        return False
    condition = route.get("condition")
    return (
        bool(route.get("target_page")) and isinstance(condition, str) and condition.strip().lower() == "true"
    )


@rule(
    "reachability/shadowed-route",
    W,
    "A condition route after an unconditional `true` route to a page, on the same page or flow: it never fires.",
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


def _groups(body: Any) -> Iterator[tuple[str, str]]:
    """(field, name) of the route groups a page or flow uses."""
    for field in ("transition_route_groups", "agent_transition_route_groups"):
        names = body.get(field) if isinstance(body, dict) else None
        for name in names if isinstance(names, list) else []:
            if isinstance(name, str):
                yield field, name


@rule(
    "reachability/reached-only-from-unreachable",
    W,
    "A page that transitions lead to, but only from pages that the flow's start page, its own "
    "routes and handlers, and the route groups in scope never reach.",
)
def reached_only_from_unreachable(index: Index, params: Params) -> Iterator[Hit]:
    # Each page's, flow's and group's targets, wherever in its body (routes, event handlers,
    # reprompt handlers, knowledge_connector_settings.target_page): gathered by the index.
    targets = index.uses.targets_of
    nothing: set[str] = set()

    def out_of(key: Key, body: Any) -> set[str]:
        found = set(targets.get(key, nothing))
        for field, name in _groups(body):
            group = (
                Key("flow_route_group", key.scope or key.name, name)
                if field == "transition_route_groups"
                else Key("route_group", "", name)
            )
            found |= targets.get(group, nothing)
        return found

    for flow_key, flow_body in index.of_kind("flow"):
        flow = flow_key.name
        pages = index.pages.get(flow, {})
        if not pages:
            continue
        # The flow's start page is the flow itself: its routes, handlers and groups are in
        # scope from the start (and on every page). A special target (Current Page, Previous
        # Page, Start Page, End Flow, ...) names no page of its own: it leads back to a page
        # already reached, to the start, or out of the flow
        # (https://cloud.google.com/dialogflow/cx/docs/concept/handler).
        reached: set[str] = set()
        frontier = [t for t in out_of(flow_key, flow_body) if t in pages]
        while frontier:
            name = frontier.pop()
            if name in reached:
                continue
            reached.add(name)
            frontier.extend(
                t for t in out_of(Key("page", flow, name), pages[name]) if t in pages and t not in reached
            )
        # The pages some transition names (else unreachable-page reports them), none of them
        # from where the walk got to.
        named = index.uses.pages.get(flow, set()) | index.uses.agent_group_pages
        sources: dict[str, str] = {}
        for name, body in pages.items():
            if name not in reached:
                for target in out_of(Key("page", flow, name), body):
                    sources.setdefault(target, name)
        for name in pages:
            if name in reached or name not in named:
                continue
            via = sources.get(name)
            yield Hit(
                Key("page", flow, name),
                ("display_name",),
                f"page {name!r} of flow {flow!r}: the transitions to it are on "
                + (
                    f"pages the flow never reaches (e.g. {via!r})"
                    if via
                    else "route groups no reachable page uses"
                ),
            )
