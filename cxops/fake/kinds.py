"""The resource kinds the stand-in serves, and which of their fields are translatable.

The translatable fields follow the ``language_code`` documentation of each v3 request
(e.g. ``CreatePageRequest.language_code``): they are read and written per language, everything
else is shared by all languages of the agent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from google.cloud import dialogflowcx_v3 as cx

from cxops.fake.protoutil import Msg
from cxops.model import kinds as M
from cxops.model.proto import SPECIAL_PAGE_IDS
from cxops.model.translatable import TRANSLATABLE, Slot


@dataclass(frozen=True)
class Kind:
    """One collection of resources, e.g. ``flows`` under an agent."""

    collection: str  # the segment in resource names: ``agents/A/flows/F``
    service: str  # gRPC service: ``Flows``
    singular: str  # method suffix: ``CreateFlow``
    field: str  # request field holding the resource: ``flow``
    list_field: str  # response field of List: ``flows``
    message: type[Msg]  # the raw protobuf class
    parents: tuple[str, ...]  # collections this kind may live under
    required: tuple[str, ...] = ("display_name",)
    numeric_ids: bool = False
    lro: bool = False

    @property
    def translatable(self) -> tuple[Slot, ...]:
        return TRANSLATABLE.get(self.collection, ())

    @property
    def has_language(self) -> bool:
        return "language_code" in self.request("Get").DESCRIPTOR.fields_by_name if self.gettable else False

    @property
    def gettable(self) -> bool:
        return hasattr(cx, f"Get{self.singular}Request")

    def request(self, verb: str) -> Any:
        if verb == "List":
            cls = getattr(cx, f"List{self.singular}sRequest")
        else:
            cls = getattr(cx, f"{verb}{self.singular}Request")
        return cls.pb()

    def response(self, verb: str) -> Any:
        return getattr(cx, f"{verb}{self.singular}sResponse").pb()


def _snake(proto: str) -> str:
    """The request field of a resource message: ``TransitionRouteGroup`` -> ``transition_route_group``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", proto).lower()


# An agent's name extends its location's: projects/P/locations/L/agents/A.
_AGENT_PARENTS = ("locations",)


def _view(collection: str, rows: list[M.Kind]) -> Kind:
    """The stand-in's view of one API collection, from the model's rows sharing it (route groups:
    a flow's and the agent's are one collection under either parent)."""
    first = rows[0]
    parents = tuple(
        dict.fromkeys(
            _AGENT_PARENTS if row.parent is None else (str(M.ALL_KINDS[row.parent].collection),)
            for row in rows
        )
    )
    field = _snake(first.proto)
    return Kind(
        collection=collection,
        service=f"{first.proto}s",
        singular=first.proto,
        field=field,
        list_field=f"{field}s",
        message=getattr(cx, first.proto).pb(),
        parents=tuple(p for group in parents for p in group),
        required=first.required,
        numeric_ids=first.numeric_ids,
        lro=first.lro,
    )


def _collections() -> dict[str, list[M.Kind]]:
    grouped: dict[str, list[M.Kind]] = {}
    for row in M.ALL_KINDS.values():
        if row.collection is not None:
            grouped.setdefault(row.collection, []).append(row)
    return grouped


# The collections the stand-in serves, keyed by collection: a view of cxops/model/kinds.py.
KINDS: dict[str, Kind] = {collection: _view(collection, rows) for collection, rows in _collections().items()}

# CX's fixed resources: every new agent has them, with these ids, and they cannot be deleted.
DEFAULT_START_FLOW = "00000000-0000-0000-0000-000000000000"
DEFAULT_WELCOME_INTENT = "00000000-0000-0000-0000-000000000000"
DEFAULT_NEGATIVE_INTENT = "00000000-0000-0000-0000-000000000001"

# Page ids that are not pages: transition targets with a fixed meaning.
SPECIAL_PAGES = SPECIAL_PAGE_IDS | {"PLAYBOOK_START"}

WRITE_VERBS = (
    "Create",
    "Update",
    "Delete",
    "BatchDelete",
    "Restore",
    "Import",
    "Load",
    "Train",
    "Deploy",
    "Run",
    "BatchRun",
    "Start",
    "Stop",
    "Cancel",
    "Submit",
    "Validate",
)


def is_write(method: str) -> bool:
    """Whether a gRPC method (full or short name) writes, for quotas and counts."""
    short = method.rsplit("/", 1)[-1]
    return short.startswith(WRITE_VERBS)
