"""References: resources defined and never used, and session parameters read but never set."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from cxops.core.lint.index import FieldPath, Index
from cxops.core.lint.registry import Hit, Params, Severity, rule
from cxops.model.snapshot import Key

# CX creates these in every agent; an agent cannot delete them.
BUILT_IN_INTENTS = frozenset({"Default Welcome Intent", "Default Negative Intent"})


@rule("references/unused-intent", Severity.warning, "An intent that no route uses.")
def unused_intent(index: Index, params: Params) -> Iterator[Hit]:
    for key, _ in index.of_kind("intent"):
        if key.name not in index.uses.intents and key.name not in BUILT_IN_INTENTS:
            yield Hit(key, ("display_name",), f"intent {key.name!r} is used by no route")


@rule("references/unused-entity-type", Severity.warning, "An entity type that no parameter uses.")
def unused_entity_type(index: Index, params: Params) -> Iterator[Hit]:
    for key, _ in index.of_kind("entity_type"):
        if key.name not in index.uses.entity_types:
            yield Hit(
                key, ("display_name",), f"entity type {key.name!r} is used by no parameter (@{key.name})"
            )


@rule("references/unused-webhook", Severity.warning, "A webhook that no fulfillment calls.")
def unused_webhook(index: Index, params: Params) -> Iterator[Hit]:
    for key, _ in index.of_kind("webhook"):
        if key.name not in index.uses.webhooks:
            yield Hit(key, ("display_name",), f"webhook {key.name!r} is called by no fulfillment")


@rule("references/unused-generator", Severity.warning, "A generator that no fulfillment uses.")
def unused_generator(index: Index, params: Params) -> Iterator[Hit]:
    for key, _ in index.of_kind("generator"):
        if key.name not in index.uses.generators:
            yield Hit(key, ("display_name",), f"generator {key.name!r} is used by no fulfillment")


def _declared_parameters(index: Index) -> Iterator[str]:
    """Parameters that playbooks and flows declare as set from outside a fulfillment.

    A routine playbook's output ("write") parameters become session parameters, and a flow's
    input parameters are set by the task playbook that calls it
    (https://cloud.google.com/dialogflow/vertex/docs/concept/parameters); the definition's
    ``name`` is the parameter's id."""
    for kind, fields in (
        ("playbook", ("output_parameter_definitions",)),
        ("flow", ("input_parameter_definitions",)),
    ):
        for _, body in index.of_kind(kind):
            for name in fields:
                definitions = body.get(name)
                for definition in definitions if isinstance(definitions, list) else []:
                    if isinstance(definition, dict) and isinstance(definition.get("name"), str):
                        yield definition["name"]


def _service(body: dict[str, Any]) -> dict[str, Any] | None:
    """A webhook's generic web service: its own, or the one of its Service Directory config."""
    service = body.get("generic_web_service")
    directory = body.get("service_directory")
    if not isinstance(service, dict) and isinstance(directory, dict):
        service = directory.get("generic_web_service")
    return service if isinstance(service, dict) else None


def _standard_webhooks_called(index: Index) -> list[str]:
    """The called webhooks whose response can set any session parameter.

    A standard webhook's response can create any session parameter (WebhookResponse
    sessionInfo.parameters: "Parameters can be created, updated, or removed by the webhook");
    a flexible one sets only what its parameter mapping names ("Maps the values extracted from
    specific fields of the flexible webhook response into session parameters",
    https://cloud.google.com/dialogflow/cx/docs/reference/rest/v3/projects.locations.agents.webhooks).
    A webhook the agent does not define counts as standard: nothing says otherwise."""
    kinds = {}
    for key, body in index.of_kind("webhook"):
        service = _service(body)
        kinds[key.name] = service.get("webhook_type") if service else None
    return sorted(name for name in index.uses.webhooks if kinds.get(name) != "FLEXIBLE")


def _set_parameters(index: Index) -> set[str]:
    """Every parameter something in the agent sets, webhook responses aside."""
    set_ = set(index.uses.params_set)
    set_.update(_declared_parameters(index))
    for _, body in index.of_kind("webhook"):
        service = _service(body)
        mapping = service.get("parameter_mapping") if service else None
        if isinstance(mapping, dict):
            set_.update(k for k in mapping if isinstance(k, str))
    return set_


def _unset_reads(index: Index) -> Iterator[tuple[str, Key, FieldPath, str]]:
    set_ = _set_parameters(index)
    for param, places in sorted(index.uses.params_read.items()):
        if param not in set_:
            key, path = places[0]
            more = f" (and {len(places) - 1} more place(s))" if len(places) > 1 else ""
            yield param, key, path, more


@rule(
    "references/unset-parameter",
    Severity.warning,
    "A $session.params.X read in a condition or message that nothing in the agent sets: no "
    "set-parameter action (whatever its value), form parameter, intent parameter, playbook output "
    "parameter, flow input parameter or flexible webhook's parameter mapping; not reported where "
    "a standard webhook is called (see references/webhook-only-parameter).",
    cx_message="This intent route condition parameter is not defined.",
)
def unset_parameter(index: Index, params: Params) -> Iterator[Hit]:
    if _standard_webhooks_called(index):
        return  # undecidable here: webhook-only-parameter says so instead
    for param, key, path, more in _unset_reads(index):
        yield Hit(key, path, f"$session.params.{param} is read here but nothing in the agent sets it{more}")


@rule(
    "references/webhook-only-parameter",
    Severity.note,
    "A $session.params.X read that nothing in the agent sets, in an agent that calls a standard "
    "webhook: only a webhook response could set it, which lint cannot see.",
)
def webhook_only_parameter(index: Index, params: Params) -> Iterator[Hit]:
    called = _standard_webhooks_called(index)
    if not called:
        return  # decidable: unset-parameter reports these
    others = f" and {len(called) - 1} other(s)" if len(called) > 1 else ""
    for param, key, path, more in _unset_reads(index):
        yield Hit(
            key,
            path,
            f"$session.params.{param} is read here{more} and nothing in the agent sets it: only a "
            f"webhook response could (standard webhook {called[0]!r}{others} is called), which lint "
            "cannot see",
        )


# Whitespace CX keeps verbatim in a display name (the export writes " GoodToGo" and file names
# with trailing spaces) but that the console does not show.
_PADDED = re.compile(r"^\s|\s$|\s\s")


def _in_flow(key: Key, flow: str) -> bool:
    """Whether a target_page in ``key`` names a page of ``flow``: one in the flow's own
    resources, or in an agent route group (whose targets are the using page's flow's)."""
    return key.kind == "route_group" or (key.name if key.kind == "flow" else key.scope) == flow


def _referrer(index: Index, key: Key) -> Key | None:
    """The first resource whose routes, fulfillments or route group lists name ``key`` by its
    exact display name (the index's uses), or None."""
    uses = index.uses
    by_name = {
        "intent": uses.intents,
        "flow": uses.flows,
        "webhook": uses.webhooks,
        "generator": uses.generators,
    }
    if key.kind in by_name:
        use = by_name[key.kind].get(key.name)
        return use[0] if use else None
    if key.kind == "page":
        if key.name not in uses.pages.get(key.scope, set()) | uses.agent_group_pages:
            return None
        return next(
            (k for k, names in uses.targets_of.items() if key.name in names and _in_flow(k, key.scope)),
            None,
        )
    field, scope = (
        ("transition_route_groups", key.scope)
        if key.kind == "flow_route_group"
        else ("agent_transition_route_groups", "")
    )
    for user, body in [*index.of_kind("flow"), *index.of_kind("page")]:
        names = body.get(field)
        if (not scope or scope in (user.scope, user.name)) and isinstance(names, list) and key.name in names:
            return user
    return None


@rule(
    "references/whitespace-in-name",
    Severity.warning,
    "A display name with leading, trailing or doubled whitespace that a reference uses as it is.",
)
def whitespace_in_name(index: Index, params: Params) -> Iterator[Hit]:
    for kind in ("flow", "page", "intent", "webhook", "generator", "flow_route_group", "route_group"):
        for named, _ in index.of_kind(kind):
            if not _PADDED.search(named.name):
                continue  # most names
            by = _referrer(index, named)
            if by is None:
                continue  # nothing uses it: the unused-* rules' finding
            shown = named.name.replace("\t", "\\t")
            yield Hit(
                named,
                ("display_name",),
                f"{named.kind.replace('_', ' ')} name {shown!r} has leading, trailing or doubled "
                f"whitespace, and {by.kind.replace('_', ' ')} {by.name!r} refers to it by that exact "
                "name: retyped as it looks, the reference would not resolve",
            )
