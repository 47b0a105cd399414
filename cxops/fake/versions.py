"""Flow versions and environment history: what the stand-in keeps beside the resources.

A version is a frozen copy of its flow, the flow's pages and its flow-level route groups at
the moment CreateVersion ran (v3 reference, ``Version``: "Represents a version of a flow";
``Versions.LoadVersion``: "Loads resources in the specified version to the draft flow").
Environments point at versions through ``version_configs`` (v3 ``Environment.VersionConfig``:
"Format: projects/<P>/locations/<L>/agents/<A>/flows/<F>/versions/<V>"), one version per flow.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING

import grpc
from google.cloud import dialogflowcx_v3 as cx
from google.protobuf import empty_pb2, json_format, struct_pb2, timestamp_pb2

from cxops.fake.kinds import KINDS
from cxops.fake.protoutil import Msg
from cxops.fake.rpcerrors import RpcFailure, invalid, not_found
from cxops.fake.store import Entry, flow_of

if TYPE_CHECKING:
    from cxops.fake.service import CxService

# "You can create up to 20 versions per flow" — the limit issue 13 quotes from the Dialogflow CX
# quotas and limits page (cloud.google.com/dialogflow/quotas, "Limits"); the status code the
# real service answers with is a guess (see docs/stand-in.md, "What the stand-in does not model").
MAX_VERSIONS_PER_FLOW = 20

# The collections a version captures: the flow's own subtree minus its versions.
CAPTURED = ("pages", "transitionRouteGroups")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def capture(service: CxService, flow: str) -> bytes:
    """The flow and what lives under it, serialized with every language's parts."""
    store = service.store
    entries = [store.entries[flow]]
    for collection in CAPTURED:
        entries.extend(store.list(flow, collection))
    return json.dumps(
        [
            {
                "name": e.name,
                "collection": e.kind.collection,
                "base": _b64(e.base.SerializeToString(deterministic=True)),
                "parts": {lang: {k: _b64(v) for k, v in p.items()} for lang, p in e.parts.items()},
            }
            for e in entries
        ]
    ).encode()


def captured_entries(data: bytes) -> list[Entry]:
    raw = base64.b64decode
    out = []
    for item in json.loads(data):
        kind = KINDS[item["collection"]]
        parts = {lang: {k: raw(v) for k, v in p.items()} for lang, p in item["parts"].items()}
        out.append(
            Entry(kind=kind, name=item["name"], base=kind.message.FromString(raw(item["base"])), parts=parts)
        )
    return out


def content_json(service: CxService, version: str, language: str) -> str:
    """A version's content as JSON, as CompareVersionsResponse's *_version_content_json hold it."""
    data = service.store.snapshots.get(version)
    if data is None:
        raise not_found(version)
    body: dict[str, list[object]] = {}
    for entry in captured_entries(data):
        view = service.view(entry, language)
        body.setdefault(entry.kind.collection, []).append(
            json_format.MessageToDict(view, preserving_proto_field_name=False)
        )
    return json.dumps(body, sort_keys=True)


def create_version(service: CxService, request: Msg) -> Msg:
    flow = str(request.parent)
    if "/flows/" not in flow:  # a parent of the wrong kind is a bad argument, as for every create
        raise RpcFailure(
            grpc.StatusCode.INVALID_ARGUMENT, f"parent {flow!r} is not a flow: versions belong to flows."
        )
    service.entry(flow, KINDS["flows"])
    if len(service.store.list(flow, "versions")) >= MAX_VERSIONS_PER_FLOW:
        raise RpcFailure(
            grpc.StatusCode.FAILED_PRECONDITION,
            f"{flow} already has {MAX_VERSIONS_PER_FLOW} versions, the most a flow can have; "
            "delete one first.",
        )
    version = service.create(KINDS["versions"], request)
    entry = service.store.entries[str(version.name)]
    entry.base.nlu_settings.CopyFrom(service.entry(flow).base.nlu_settings)
    service.store.snapshots[entry.name] = capture(service, flow)
    # CreateVersion's Operation: metadata CreateVersionOperationMetadata (the version's name),
    # response Version (v3 reference, Versions.CreateVersion).
    meta = cx.CreateVersionOperationMetadata.pb(cx.CreateVersionOperationMetadata(version=entry.name))
    return service.operation(entry.name, entry.base, meta)


def delete_version(service: CxService, request: Msg) -> Msg:
    name = str(request.name)
    service.entry(name, KINDS["versions"])
    # An environment's version_configs reference the version: refused like any referenced delete.
    service.remove_with_refs(name, force=False)
    service.store.snapshots.pop(name, None)
    return empty_pb2.Empty()


def load_version(service: CxService, request: Msg) -> Msg:
    """Replace the draft flow (with its pages and route groups) by the version's copy.

    ``allow_override_agent_resources`` guards agent-level resources; a version here holds none,
    so the flag changes nothing (documented in docs/stand-in.md).
    """
    name = str(request.name)
    service.entry(name, KINDS["versions"])
    flow = flow_of(name)
    store = service.store
    for collection in CAPTURED:
        for old in store.list(flow, collection):
            store.remove(old.name)
    for entry in captured_entries(store.snapshots[name]):
        store.add(entry)
    return service.operation(flow, empty_pb2.Empty(), struct_pb2.Struct())


def compare_versions(service: CxService, request: Msg) -> Msg:
    base, target = str(request.base_version), str(request.target_version)
    service.entry(base, KINDS["versions"])
    service.entry(target, KINDS["versions"])
    if flow_of(base) != flow_of(target):
        raise invalid("base_version and target_version must be versions of the same flow.")
    language = service.language(base, str(request.language_code))
    response = cx.CompareVersionsResponse.pb()()
    response.base_version_content_json = content_json(service, base, language)
    response.target_version_content_json = content_json(service, target, language)
    response.compare_time.CopyFrom(_now())
    return response


def _now() -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.GetCurrentTime()
    return ts


def check_version_configs(service: CxService, env: Msg) -> None:
    """At most one version per flow (v3 Environment.version_configs: "a list of configurations
    for flow versions"; a flow can run one version at a time)."""
    seen: dict[str, str] = {}
    for config in env.version_configs:
        version = str(config.version)
        flow = flow_of(version)
        if "/versions/" not in version or not flow:
            raise invalid(f"Environment.version_configs.version {version!r} is not a flow version name.")
        if flow in seen:
            raise invalid(
                f"Environment.version_configs names two versions of {flow}: {seen[flow]}, {version}."
            )
        seen[flow] = version


# v3 Environment.description: "The maximum length is 500 characters. If exceeded, the request
# is rejected."
MAX_ENV_DESCRIPTION = 500


def check_description(env: Msg) -> None:
    if len(env.description) > MAX_ENV_DESCRIPTION:
        raise invalid(
            f"Environment.description is {len(env.description)} characters; at most {MAX_ENV_DESCRIPTION}."
        )


def record_history(service: CxService, env: Msg) -> None:
    service.store.env_history.setdefault(str(env.name), []).append(env.SerializeToString(deterministic=True))


def lookup_environment_history(service: CxService, request: Msg) -> Msg:
    """Every state the environment had, newest first (v3 LookupEnvironmentHistory: "Looks up the
    history of the specified Environment"), paged like every other listing."""
    name = str(request.name)
    service.entry(name, KINDS["environments"])
    message = KINDS["environments"].message
    states = [message.FromString(s) for s in reversed(service.store.env_history.get(name, []))]
    entries = [Entry(kind=KINDS["environments"], name=name, base=s) for s in states]
    page, token = service.page(request, f"{name}:history", entries)
    response = cx.LookupEnvironmentHistoryResponse.pb()(next_page_token=token)
    response.environments.extend(e.base for e in page)
    return response
