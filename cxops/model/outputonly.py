"""The fields CX sets itself: never in a tree, never written, kept by the server on update.

The rule is the protos' own: a field annotated ``google.api.field_behavior = OUTPUT_ONLY``
(recorded in the generated table, cxops/model/schema.json; https://google.aip.dev/203#output-only)
is set by the server. Two things the annotation does not cover are written here once: a resource's
own ``name`` (its identity, a UUID; trees key resources by display name, SPEC §1), and the few
fields or export keys CX fills in that the protos leave unmarked, each with why. The package codec
(what a tree leaves out), the API importer (what it drops from a fetched resource) and the stand-in
(what it keeps from the stored resource) all read :func:`fields`.
"""

from __future__ import annotations

import functools

from cxops.model import kinds, schema
from cxops.model.schema import V3

# Set by CX but not marked OUTPUT_ONLY in the protos: message (under v3) -> field -> why.
# Keys that are no v3 field are the export's own (snake_case of its camelCase key).
UNMARKED: dict[str, dict[str, str]] = {
    "Agent": {
        "project_number": "export-only key: the Cloud project's number, not the agent's content",
    },
    "Intent": {
        "num_training_phrases": "export-only key: derived, the count of phrases of all languages",
    },
    "Intent.TrainingPhrase": {
        "id": "a UUID CX assigns to each phrase; phrases are matched by their text",
    },
    "Intent.TrainingPhrase.Part": {
        "auto": "export-only key: CX's own mark on parts it annotated, derived from the phrase",
    },
    "TestCase": {
        "last_test_result": "the result of CX's last run: history, not the test's definition",
        "create_time": "no v3 field: dropped like creation_time should an export spell it so",
    },
}

# The resource messages, whose own top-level ``name`` is identity: the tree kinds
# (cxops/model/kinds.py), and the versions and environments CX names the same way.
_RESOURCES = frozenset(f"{V3}.{k.proto}" for k in kinds.KINDS.values()) | {
    f"{V3}.Version",
    f"{V3}.Environment",
}


def _marked(full_name: str) -> frozenset[str]:
    try:
        return schema.output_only(full_name)
    except KeyError:  # a message no tree kind reaches (the table holds only those)
        return frozenset()


@functools.cache
def fields(full_name: str, *, nested: bool = False) -> frozenset[str]:
    """The fields of a message (full name) CX sets itself. At the top of a resource this includes
    its ``name``; ``nested``: where the message sits inside another one, so a resource message's
    ``name`` is a reference (a test case's ``current_page``) and stays."""
    short = full_name.removeprefix(f"{V3}.")
    out = _marked(full_name) | frozenset(UNMARKED.get(short, {}))
    if not nested and full_name in _RESOURCES:
        out |= {"name"}
    return out
