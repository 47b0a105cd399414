"""Which fields of the CX v3 API are translatable: read and written per ``language_code``.

Taken from the ``language_code`` documentation of each v3 request (e.g.
``CreatePageRequest.language_code``). One list for all of cxops: the stand-in stores these
fields per language, and the API adapters read and write them per language. The other views
are read from it: which (message, field) a tree holds as ``{language: value}``
(:func:`language_maps`, cxops/model/proto.py ``LANGUAGE_MAPS``), the update mask of a write in
another language (:func:`top_fields`), the tree keys lint looks for (:func:`tree_keys`).
"""

from __future__ import annotations

from cxops.model import kinds, schema

# A translatable slot: a path of fields from the resource down to a message, and the fields of
# that message stored per language. ``x[]`` steps through a repeated field; its elements are
# keyed by their output-only ``name`` id (routes, handlers) or their ``display_name`` (form
# parameters), so a language's content stays with its element when others are added or moved.
Slot = tuple[tuple[str, ...], tuple[str, ...]]

FULFILLMENT_FIELDS = ("messages", "conditional_cases")

# One place for every translatable field of the v3 API (see the module docstring).
TRANSLATABLE: dict[str, tuple[Slot, ...]] = {
    "flows": (
        (("event_handlers[]", "trigger_fulfillment"), FULFILLMENT_FIELDS),
        (("transition_routes[]", "trigger_fulfillment"), FULFILLMENT_FIELDS),
    ),
    "pages": (
        (("entry_fulfillment",), FULFILLMENT_FIELDS),
        (("event_handlers[]", "trigger_fulfillment"), FULFILLMENT_FIELDS),
        (("transition_routes[]", "trigger_fulfillment"), FULFILLMENT_FIELDS),
        (("form", "parameters[]", "fill_behavior", "initial_prompt_fulfillment"), FULFILLMENT_FIELDS),
        (
            ("form", "parameters[]", "fill_behavior", "reprompt_event_handlers[]", "trigger_fulfillment"),
            FULFILLMENT_FIELDS,
        ),
    ),
    "transitionRouteGroups": ((("transition_routes[]", "trigger_fulfillment"), FULFILLMENT_FIELDS),),
    "intents": (((), ("training_phrases",)),),
    "entityTypes": (((), ("entities", "excluded_phrases")),),
    "generators": (((), ("prompt_text",)),),
}


def top_fields(collection: str) -> tuple[str, ...]:
    """The top-level fields of a resource that hold its translatable slots, in the order above:
    the update mask of a write in a language other than the default."""
    out: dict[str, None] = {}
    for steps, fields in TRANSLATABLE.get(collection, ()):
        out.update(dict.fromkeys((steps[0].removesuffix("[]"),) if steps else fields))
    return tuple(out)


def _resource_message(collection: str) -> str:
    # The API collection of these kinds is their package folder (cxops/model/kinds.py).
    for kind in kinds.KINDS.values():
        if kind.package_dir == collection:
            return f"{schema.V3}.{kind.proto}"
    raise KeyError(collection)


def language_maps() -> frozenset[tuple[str, str]]:
    """(message full name, field) of every translatable field: a tree holds its value as a map
    of language -> the field's value. Read from the slots, following their steps through the
    generated table of v3 messages (cxops/model/schema.json)."""
    out: set[tuple[str, str]] = set()
    for collection, slots in TRANSLATABLE.items():
        for steps, fields in slots:
            desc = schema.message(_resource_message(collection))
            for step in steps:
                sub = desc.fields_by_name[step.removesuffix("[]")].message_type
                assert sub is not None, (collection, steps)
                desc = sub
            out.update((desc.full_name, name) for name in fields)
    return frozenset(out)


def tree_keys() -> frozenset[str]:
    """The keys under which a tree holds content by language (snake_case, as the protos)."""
    return frozenset(name for _, name in language_maps())
