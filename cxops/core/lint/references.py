"""References: resources defined and never used, and session parameters read but never set."""

from __future__ import annotations

from collections.abc import Iterator

from cxops.core.lint.index import Index
from cxops.core.lint.registry import Hit, Params, Severity, rule

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


@rule(
    "references/unset-parameter",
    Severity.warning,
    "A $session.params.X read in a condition or message that no form, preset, annotation or "
    "webhook parameter mapping sets (skipped where the agent calls a webhook, which can "
    "set any parameter).",
    cx_message="This intent route condition parameter is not defined.",
)
def unset_parameter(index: Index, params: Params) -> Iterator[Hit]:
    uses = index.uses
    if uses.webhooks:
        # A webhook response can set any session parameter: nothing offline can tell.
        return
    set_ = set(uses.params_set)
    for _, body in index.of_kind("webhook"):
        mapping = body.get("generic_web_service", {}).get("parameter_mapping")
        if isinstance(mapping, dict):
            set_.update(k for k in mapping if isinstance(k, str))
    for param, places in sorted(uses.params_read.items()):
        if param in set_:
            continue
        key, path = places[0]
        more = f" (and {len(places) - 1} more place(s))" if len(places) > 1 else ""
        yield Hit(key, path, f"$session.params.{param} is read here but nothing sets it{more}")
