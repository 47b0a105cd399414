"""Data store references, held stage-neutrally (issue 31 item 2).

A ``DataStoreConnection.data_store`` is "the full name of the referenced data store", in one of
two formats (v3 ``data_store_connection.proto``)::

    projects/{project}/locations/{location}/collections/{collection}/dataStores/{data_store}
    projects/{project}/locations/{location}/dataStores/{data_store}

and the agent's ``gen_app_builder_settings.engine`` is the full name of the Vertex AI Search
engine of its data stores (``projects/…/locations/…/collections/…/engines/{engine}``).

The project and location are the stage's: a tree that held them would point every stage's
agent at the store of the project it was exported from. So the tree holds the rest of the name,
``collections/{collection}/dataStores/{data_store}`` (or ``dataStores/{data_store}``), relative
to the project and location as a built-in tool is relative to the agent; apply and a bound
package put the stage's project and the data store location of the stage's agent in front.
A stage's own store ids come from its stage file (``data_stores:``, :func:`swap`), its own
engine from an ordinary override of ``agent`` ``gen_app_builder_settings.engine``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from cxops.model import kinds as K
from cxops.model.proto import LANGUAGE_MAPS, V3, is_repeated
from cxops.model.snapshot import Key, Snapshot

# The fields whose value is a data store's full name: their proto comments say so ("The full
# name of the referenced data store(s). Formats: projects/…/dataStores/{data_store}"); the
# descriptors carry no resource annotation to find them by.
FIELDS = frozenset(
    {
        (f"{V3}.DataStoreConnection", "data_store"),
        (f"{V3}.BoostSpecs", "data_stores"),
        (f"{V3}.FilterSpecs", "data_stores"),
        (f"{V3}.Agent.GenAppBuilderSettings", "engine"),
    }
)

# projects/{project}/locations/{location}/ then [collections/{collection}/]dataStores/{id} (or
# an engine: collections/{collection}/engines/{id}).
_FULL = re.compile(r"^projects/[^/]+/locations/[^/]+/((?:collections/[^/]+/)?(?:dataStores|engines)/[^/]+)$")
_NEUTRAL = re.compile(r"^(?:collections/[^/]+/)?(?:dataStores|engines)/[^/]+$")
_STORE = re.compile(r"^(?:collections/[^/]+/)?dataStores/([^/]+)$")
# A data store id: lowercase letters, digits, '-' and '_', at most 63 (Discovery Engine's
# CreateDataStoreRequest.data_store_id: RFC-1034, 63 characters; the console appends
# ``_<timestamp>``).
ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")

# The data store location of an agent's location ("Regionalization and location settings",
# the Data store region ID column): a regional agent uses its multi-region's stores.
_STORE_LOCATION = {"us-central1": "us", "europe-west1": "eu"}


def neutral(path: str) -> str:
    """A data store's (or engine's) full name -> the tree's form, without project and location
    (any other text as it is)."""
    found = _FULL.match(path)
    return found.group(1) if found else path


def store_id(reference: str) -> str | None:
    """The data store id of a tree reference, or None if it is not one."""
    found = _STORE.match(reference)
    return found.group(1) if found else None


def store_location(agent_location: str) -> str:
    return _STORE_LOCATION.get(agent_location, agent_location)


def parent_of(agent: str) -> str:
    """``projects/{p}/locations/{l}/agents/{a}`` -> where its data stores are:
    ``projects/{p}/locations/{store location}``."""
    segments = agent.split("/")
    if len(segments) < 4 or segments[0] != "projects" or segments[2] != "locations":
        return "projects/-/locations/-"
    return f"projects/{segments[1]}/locations/{store_location(segments[3])}"


def expand(reference: Any, agent: str) -> Any:
    """A tree reference -> the full name in the project and location of ``agent``'s stage (a
    full name, e.g. from a tree written before, is kept)."""
    if isinstance(reference, str) and _NEUTRAL.match(reference):
        return f"{parent_of(agent)}/{reference}"
    return reference


def with_id(reference: str, new_id: str) -> str:
    head, _, _ = reference.rpartition("/")
    return f"{head}/{new_id}"


# -- walking the tree form of a resource ------------------------------------------------------

_REACHES: dict[str, bool] = {}


def _reaches(desc: Any) -> bool:
    """Whether a message of this type can hold a data store reference (memoized)."""
    found = _REACHES.get(desc.full_name)
    if found is not None:
        return found
    _REACHES[desc.full_name] = False  # types nest themselves
    result = False
    for fd in desc.fields:
        if (desc.full_name, fd.name) in FIELDS:
            result = True
        elif fd.message_type is not None and not fd.message_type.GetOptions().map_entry:
            result = _reaches(fd.message_type) or result
    _REACHES[desc.full_name] = result
    return result


def _rewrite(body: Any, desc: Any, change: Callable[[str], str]) -> Any:
    """``body`` with every data store reference changed; the same object where nothing changed."""
    if not isinstance(body, dict) or not _reaches(desc):
        return body
    out: dict[str, Any] | None = None
    for name, value in body.items():
        fd = desc.fields_by_name.get(name)
        if fd is None:
            continue
        if (desc.full_name, name) in FIELDS:
            new: Any = (
                [change(v) if isinstance(v, str) else v for v in value]
                if isinstance(value, list)
                else (change(value) if isinstance(value, str) else value)
            )
        elif fd.message_type is None or not _reaches(fd.message_type):
            continue
        elif (desc.full_name, name) in LANGUAGE_MAPS and isinstance(value, dict):
            new = {lang: _each(v, fd, change) for lang, v in value.items()}
        else:
            new = _each(value, fd, change)
        if new != value:
            out = dict(body) if out is None else out
            out[name] = new
    return body if out is None else out


def _each(value: Any, fd: Any, change: Callable[[str], str]) -> Any:
    if is_repeated(fd) and isinstance(value, list):
        return [_rewrite(v, fd.message_type, change) for v in value]
    return _rewrite(value, fd.message_type, change)


def _descriptor(key: Key) -> Any:
    return (
        K.GENERATIVE_SETTINGS.descriptor
        if key.kind == "generative_settings"
        else K.KINDS[key.kind].descriptor
    )


def rewrite(snapshot: Snapshot, change: Callable[[str], str]) -> None:
    """Every data store reference of ``snapshot`` through ``change``, in place (a changed
    resource gets a new body; the others stay the objects they were)."""
    for key, body in list(snapshot):
        if key.kind in K.PACKAGE_ONLY or key.kind == "generative_settings":
            continue
        new = _rewrite(body, _descriptor(key), change)
        if new is not body:
            snapshot.resources[key] = new


def ids_in(snapshot: Snapshot) -> set[str]:
    """The data store ids the snapshot references."""
    found: set[str] = set()

    def seen(reference: str) -> str:
        store = store_id(reference)
        if store is not None:
            found.add(store)
        return reference

    rewrite(Snapshot(resources=dict(snapshot.resources)), seen)
    return found


def swap(snapshot: Snapshot, ids: Mapping[str, str]) -> None:
    """Each reference to a data store id in ``ids`` made one to its value, in place."""

    def change(reference: str) -> str:
        store = store_id(reference)
        return with_id(reference, ids[store]) if store is not None and store in ids else reference

    if ids:
        rewrite(snapshot, change)
