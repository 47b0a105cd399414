"""The views of cxops/model/translatable.py (issue 34): each is read from the one list, and says
what the hand-written copies they replaced said."""

from __future__ import annotations

from cxops.core.lint.index import LANGUAGE_FIELDS
from cxops.model import proto, translatable
from cxops.model.schema import V3
from cxops.package import desired


def test_language_maps_are_the_slots_fields() -> None:
    assert (
        proto.LANGUAGE_MAPS
        == translatable.language_maps()
        == {
            (f"{V3}.Fulfillment", "messages"),
            (f"{V3}.Fulfillment", "conditional_cases"),
            (f"{V3}.Intent", "training_phrases"),
            (f"{V3}.EntityType", "entities"),
            (f"{V3}.EntityType", "excluded_phrases"),
            (f"{V3}.Generator", "prompt_text"),
        }
    )


def test_the_update_mask_of_another_language_is_the_slots_top_fields() -> None:
    assert desired.TRANSLATED_FIELDS == {
        "flow": ("event_handlers", "transition_routes"),
        "page": ("entry_fulfillment", "event_handlers", "transition_routes", "form"),
        "flow_route_group": ("transition_routes",),
        "route_group": ("transition_routes",),
        "intent": ("training_phrases",),
        "entity_type": ("entities", "excluded_phrases"),
        "generator": ("prompt_text",),
    }
    # Every collection of the list reaches a kind apply writes.
    assert set(translatable.TRANSLATABLE) <= set(desired.COLLECTION.values())


def test_lint_looks_at_the_tree_keys_of_the_list() -> None:
    assert translatable.tree_keys() - LANGUAGE_FIELDS == {"excluded_phrases"}
