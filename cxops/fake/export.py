"""What the stand-in's ExportAgent reads: an agent's resources from the store, as the API would
return them, for :func:`cxops.package.fromapi.package_from_api`.

Building the package from the same views the Get/List methods serve keeps ``ExportAgent`` and
``pull --via list`` against the stand-in in agreement by construction.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from google.cloud import dialogflowcx_v3 as cx

from cxops.fake.protoutil import Msg
from cxops.fake.store import GENERATIVE_SETTINGS, Entry, Store
from cxops.model.exportonly import descriptor_of, extract, merge_body
from cxops.model.kinds import AGENT, KINDS, PLAYBOOK_TEST_CASE
from cxops.model.snapshot import AGENT_KEY, GENERATIVE_SETTINGS_KEY, Key, Snapshot
from cxops.package.fromapi import ApiAgent, ApiResource, package_from_api
from cxops.package.reader import snapshot_from_package
from cxops.package.writer import package_files

# The collections an agent export holds, parents' before their children's (versions and
# environments are not part of it: cxops/model/kinds.py UNEXPORTED).
EXPORTED = tuple(dict.fromkeys(k.collection for k in KINDS.values() if k.collection and k is not AGENT))


# Tree kinds by collection and the parent's collection: route groups are the flow's or the agent's.
_KIND = {
    (k.collection, KINDS[k.parent].collection): k
    for k in KINDS.values()
    if k.collection is not None and k.parent is not None
}


def keys_of(store: Store, agent_name: str) -> dict[Key, str]:
    """The tree key of every exported resource of the agent, to its resource name."""
    out = {AGENT_KEY: agent_name, GENERATIVE_SETTINGS_KEY: f"{agent_name}/{GENERATIVE_SETTINGS}"}
    for entry in _under(store, agent_name):
        parent = store.entries.get(entry.parent)
        kind = _KIND[(entry.kind.collection, parent.kind.collection if parent is not None else None)]
        scope = str(parent.base.display_name) if kind.scope is not None and parent is not None else ""
        out[Key(kind.name, scope, str(entry.base.display_name))] = entry.name
    return out


def remember_export_only(store: Store, agent_name: str, snapshot: Snapshot) -> None:
    """Keep what a restored package held beyond the API's fields, for ExportAgent to give back.

    The real service does: an agent restored from its own export and exported again carries
    its export-only content (``nlu_settings_list``, ``enable_logging``, ...) though no API
    read returns it. RestoreAgentRequest.RestoreOption KEEP, the default, "always respect[s]
    the settings from the exported agent file" (v3 API reference, RestoreAgentRequest).
    """
    # Content in a language the agent does not list is kept too: real exports hold it (left from
    # an earlier language setting), so CX keeps it though no API read returns it.
    languages = frozenset(snapshot.languages())
    for key, name in keys_of(store, agent_name).items():
        body = snapshot.resources.get(key)
        if body is None:
            continue
        desc = descriptor_of(key.kind)
        if key.kind == "generative_settings":
            held = {
                lang: x
                for lang, b in body.items()
                if (x := (copy.deepcopy(b) if lang not in languages else extract(b, desc))) is not None
            } or None
        else:
            held = extract(body, desc, languages)
        if held is not None:
            store.export_only[name] = held
    cases = {key.name: body for key, body in snapshot.of_kind(PLAYBOOK_TEST_CASE.name)}
    if cases:
        store.export_only[_package_only(agent_name)] = cases


def _package_only(agent_name: str) -> str:
    """Where the store keeps an agent's resources that no API method serves (testCases/v2)."""
    return f"{agent_name}/{PLAYBOOK_TEST_CASE.package_dir}"


def export_package(store: Store, agent_name: str, view: Callable[[Entry, str], Msg]) -> dict[str, bytes]:
    """The files ExportAgent writes: the API's view plus the export-only content kept for it."""
    files = package_from_api(api_agent(store, agent_name, view))
    held = {
        key: store.export_only[name]
        for key, name in keys_of(store, agent_name).items()
        if name in store.export_only
    }
    cases: dict[str, Any] = store.export_only.get(_package_only(agent_name), {})
    if not held and not cases:
        return files
    snapshot = snapshot_from_package(files)[0]
    languages = frozenset(snapshot.languages())
    for key, extra in held.items():
        body = snapshot.resources.get(key)
        if body is not None:
            snapshot.resources[key] = merge_body(body, extra, key.kind, languages)
    for name, body in cases.items():
        snapshot.add(Key(PLAYBOOK_TEST_CASE.name, "", name), copy.deepcopy(body))
    # Bound to the agent, as ExportAgent's paths are: data stores and generators in its project.
    return package_files(snapshot, agent_name)


def _under(store: Store, name: str) -> list[Entry]:
    """Every stored resource below ``name``, parents before children, each list in creation order."""
    out: list[Entry] = []
    for collection in EXPORTED:
        for child in store.children.get((name, collection), {}):
            out.append(store.entries[child])
            out.extend(_under(store, child))
    return out


def api_agent(store: Store, agent_name: str, view: Callable[[Entry, str], Msg]) -> ApiAgent:
    """The agent ``agent_name`` (which must exist) as an export reads it, every language.

    ``view(entry, language)`` is what Get and List answer for a stored resource.
    """
    agent = store.entries[agent_name].base
    default = str(agent.default_language_code).lower()
    languages = [
        default,
        *(c for c in (str(s).lower() for s in agent.supported_language_codes) if c != default),
    ]
    resources = []
    for entry in _under(store, agent_name):
        if entry.kind.translatable:
            views = {lang: view(entry, lang) for lang in languages}
        else:
            # Test cases are stored whole: this is the FULL view, conversation turns included.
            views = {default: view(entry, default)}
        resources.append(ApiResource(collection=entry.kind.collection, name=entry.name, views=views))
    settings_type = cx.GenerativeSettings.pb()
    settings = {
        lang: settings_type.FromString(data)
        for lang, data in store.generative_settings.get(agent_name, {}).items()
    }
    copy = type(agent)()
    copy.CopyFrom(agent)
    return ApiAgent(agent=copy, resources=resources, generative_settings=settings)
