"""Which fields of the CX v3 API are translatable: read and written per ``language_code``.

Taken from the ``language_code`` documentation of each v3 request (e.g.
``CreatePageRequest.language_code``). One list for all of cxops: the stand-in stores these
fields per language, and the API adapters read and write them per language.
"""

from __future__ import annotations

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
