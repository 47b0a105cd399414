"""What the stand-in's ExportAgent reads: an agent's resources from the store, as the API would
return them, for :func:`cxops.package.fromapi.package_from_api`.

Building the package from the same views the Get/List methods serve keeps ``ExportAgent`` and
``pull --via list`` against the stand-in in agreement by construction.
"""

from __future__ import annotations

from collections.abc import Callable

from google.cloud import dialogflowcx_v3 as cx

from cxops.fake.protoutil import Msg
from cxops.fake.store import Entry, Store
from cxops.package.fromapi import ApiAgent, ApiResource

# The collections an agent export holds (versions and environments are not part of it).
EXPORTED = (
    "flows",
    "pages",
    "transitionRouteGroups",
    "intents",
    "entityTypes",
    "webhooks",
    "testCases",
    "generators",
    "playbooks",
    "examples",
    "tools",
)


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
