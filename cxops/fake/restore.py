"""RestoreAgent in the stand-in: the agent becomes exactly what the package holds.

Like the real service, everything not in the package is removed (CX's fixed resources, which
cannot be deleted, are overwritten). The package is written with the same ordered bootstrap
that builds agents through the client, so a restore validates every reference as a sequence of
Create/Update calls would. It is tried on a scratch copy first: a package that fails leaves
the agent as it was.
"""

from __future__ import annotations

from typing import Any

from google.cloud import dialogflowcx_v3 as cx

from cxops.cx.bootstrap import write_snapshot
from cxops.fake.export import remember_export_only
from cxops.fake.kinds import DEFAULT_NEGATIVE_INTENT, DEFAULT_START_FLOW, DEFAULT_WELCOME_INTENT, KINDS
from cxops.fake.store import Entry, Store
from cxops.model.snapshot import Key
from cxops.package import desired
from cxops.package.files import read_zip_bytes
from cxops.package.reader import snapshot_from_package


class ServiceWriter:
    """The bootstrap's writes, as requests handled by the stand-in's own service."""

    def __init__(self, service: Any, agent: str) -> None:
        self.service = service
        self.agent = agent

    def _kind(self, key: Key) -> Any:
        return KINDS[desired.COLLECTION[key.kind]]

    def create(self, key: Key, parent: str, message: Any, language: str) -> str:
        kind = self._kind(key)
        request = kind.request("Create")(parent=parent, **{kind.field: message})
        if "language_code" in request.DESCRIPTOR.fields_by_name:
            request.language_code = language
        return str(self.service.create(kind, request).name)

    def update(self, key: Key, message: Any, language: str, mask: list[str] | None) -> None:
        kind = self._kind(key)
        request = kind.request("Update")(**{kind.field: message})
        if "language_code" in request.DESCRIPTOR.fields_by_name:
            request.language_code = language
        if mask is None and key.kind == "test_case":
            mask = sorted(f.name for f, _ in message.ListFields() if f.name != "name")
        if mask is not None:
            request.update_mask.paths.extend(mask)
        self.service.update(kind, request)

    def update_agent(self, message: Any, mask: list[str] | None) -> None:
        # The agent keeps its own display name: it is the target's identity, not the package's.
        message.ClearField("display_name")
        if mask is not None:
            mask = [path for path in mask if path != "display_name"]
        message.name = self.agent
        request = cx.UpdateAgentRequest.pb()(agent=message)
        if mask is not None:
            request.update_mask.paths.extend(mask)
        self.service.update(KINDS["agents"], request)

    def update_generative_settings(self, message: Any) -> None:
        request = cx.UpdateGenerativeSettingsRequest.pb()(generative_settings=message)
        self.service.update_generative_settings(request)


FIXED = (
    f"flows/{DEFAULT_START_FLOW}",
    f"intents/{DEFAULT_WELCOME_INTENT}",
    f"intents/{DEFAULT_NEGATIVE_INTENT}",
)


def clear(service: Any, agent: str) -> None:
    """Remove the agent's content but for CX's fixed resources."""
    keep = {f"{agent}/{fixed}" for fixed in FIXED}
    for collection in KINDS:
        for entry in service.store.list(agent, collection):
            if entry.name not in keep:
                service.store.remove(entry.name)
    service.store.generative_settings.pop(agent, None)
    for name in [n for n in service.store.export_only if n == agent or n.startswith(agent + "/")]:
        del service.store.export_only[name]


def restore(service: Any, agent: str, content: bytes) -> None:
    """Replace the agent's content by the package's; raises CxopsError on a bad package."""
    snapshot = snapshot_from_package(read_zip_bytes(content, "agent_content"))[0]
    scratch = type(service)(_copy_of_agent(service.store, agent))
    clear(scratch, agent)
    write_snapshot(snapshot, ServiceWriter(scratch, agent), agent)  # raises before anything changes
    clear(service, agent)
    write_snapshot(snapshot, ServiceWriter(service, agent), agent)
    remember_export_only(service.store, agent, snapshot)


def _copy_of_agent(store: Store, agent: str) -> Store:
    copy = Store()
    for name in sorted(store.subtree(agent), key=lambda n: n.count("/")):
        entry = store.entries[name]
        base = type(entry.base)()
        base.CopyFrom(entry.base)
        copy.add(Entry(kind=entry.kind, name=entry.name, base=base, parts=dict(entry.parts)))
    return copy
