"""CalculateCoverage on the runtime: what the agent's test cases exercise when they run.

Shapes of the v3 reference (CalculateCoverageResponse): ``intent_coverage`` (every intent but the
fallback one, covered when some turn matched it), ``transition_coverage`` (every transition
route and event handler of flows and pages that has a target, with its source and target node,
covered when it fired), ``route_group_coverage`` (per route group, each route, covered when it
fired). A score is the covered share. The real service derives coverage from the test cases'
content; the stand-in from running them, which covers what the conversation really went through.
"""

from __future__ import annotations

from typing import Any

from google.cloud import dialogflowcx_v3 as cx

from cxops.fake.protoutil import Msg
from cxops.fake.runtime.testrun import run_case


def _pb(message: Any) -> Msg:
    return type(message).pb(message)


def _score(covered: int, total: int) -> float:
    return covered / total if total else 0.0


def exercised(service: Any, agent: str) -> tuple[set[str], set[tuple[str, str]]]:
    intents: set[str] = set()
    fired: set[tuple[str, str]] = set()
    for case in service.store.list(agent, "testCases"):
        _, outputs = run_case(service, agent, case.base)
        for out in outputs:
            if out.intent is not None:
                intents.add(out.intent.name)
            fired.update(out.traversed)
    return intents, fired


def calculate(service: Any, agent: str, kind: int) -> Msg:
    intents, fired = exercised(service, agent)
    response = _pb(cx.CalculateCoverageResponse(agent=agent))
    kinds = cx.CalculateCoverageRequest.CoverageType
    store = service.store
    if kind == kinds.INTENT:
        part = response.intent_coverage
        for entry in store.list(agent, "intents"):
            if entry.base.is_fallback:
                continue
            part.intents.add(intent=entry.name, covered=entry.name in intents)
        part.coverage_score = _score(sum(i.covered for i in part.intents), len(part.intents))
    elif kind == kinds.PAGE_TRANSITION:
        part = response.transition_coverage
        for flow in store.list(agent, "flows"):
            owners = [(flow.name, flow.base, True)] + [
                (p.name, p.base, False) for p in store.list(flow.name, "pages")
            ]
            for owner, msg, is_flow in owners:
                index = 0
                for field in ("transition_routes", "event_handlers"):
                    for item in getattr(msg, field):
                        if not item.target_page and not item.target_flow:
                            continue
                        transition = part.transitions.add(
                            index=index, covered=(owner, str(item.name)) in fired
                        )
                        index += 1
                        if is_flow:
                            transition.source.flow.name = owner
                        else:
                            transition.source.page.name = owner
                        if item.target_page:
                            transition.target.page.name = str(item.target_page)
                        else:
                            transition.target.flow.name = str(item.target_flow)
                        getattr(
                            transition,
                            "transition_route" if field == "transition_routes" else "event_handler",
                        ).CopyFrom(item)
        part.coverage_score = _score(sum(t.covered for t in part.transitions), len(part.transitions))
    elif kind == kinds.TRANSITION_ROUTE_GROUP:
        part = response.route_group_coverage
        groups = list(store.list(agent, "transitionRouteGroups"))
        for flow in store.list(agent, "flows"):
            groups.extend(store.list(flow.name, "transitionRouteGroups"))
        covered = total = 0
        for group in groups:
            item = part.coverages.add()
            item.route_group.name = group.name
            item.route_group.display_name = group.base.display_name
            for route in group.base.transition_routes:
                hit = (group.name, str(route.name)) in fired
                item.transitions.add(transition_route=route, covered=hit)
                covered, total = covered + hit, total + 1
            item.coverage_score = _score(sum(t.covered for t in item.transitions), len(item.transitions))
        part.coverage_score = _score(covered, total)
    else:
        from cxops.fake.rpcerrors import invalid

        raise invalid("CalculateCoverageRequest.type is required.")
    return response
