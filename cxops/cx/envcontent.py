"""What a CX environment serves, read without touching the draft: the draft agent with each
pinned flow (the flow, its pages, its flow-level route groups) replaced by its version's content,
and the environment's webhook overrides applied to the agent-level webhooks.

The v3 API has one read of a version's content that does not load it into the draft
(``Versions.LoadVersion`` does, and would change what every other stage's plan sees):
``Versions.CompareVersions``, whose ``CompareVersionsResponse`` carries
``base_version_content_json`` / ``target_version_content_json`` — "JSON representation of the
base version content" / "... of the target version content" (Dialogflow CX v3 reference,
CompareVersionsResponse). Comparing a version with itself and taking the target side reads it.
The reference does not say the JSON's shape; this module parses what the stand-in emits (a
``{"flows": [...], "pages": [...], "transitionRouteGroups": [...]}`` object of v3 messages in
their JSON form, as in a flow export) and treats anything else as unreadable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from google.cloud import dialogflowcx_v3 as cx
from google.protobuf import json_format

from cxops.cx.read import read_agent
from cxops.cx.session import CxSession
from cxops.cx.versions import EnvironmentState
from cxops.errors import ApiError
from cxops.package.fromapi import ApiAgent, ApiResource

# The collections a flow version holds, and the v3 message each one's JSON parses into.
VERSIONED = {
    "flows": cx.Flow.pb(),
    "pages": cx.Page.pb(),
    "transitionRouteGroups": cx.TransitionRouteGroup.pb(),
}


class Unreadable(Exception):
    """A version's content could not be read or parsed; the message says why, in a few words."""


@dataclass
class Served:
    """The agent as the environment serves it, and one line per flow read some other way."""

    api: ApiAgent
    versions: dict[str, str]  # flow display name -> version resource name, the pinned ones
    notes: list[str] = field(default_factory=list)


def version_content(session: CxSession, version: str, language: str) -> list[ApiResource]:
    """The version's flow, pages and route groups in ``language`` (CompareVersions with itself)."""
    request = cx.CompareVersionsRequest(base_version=version, target_version=version, language_code=language)
    try:
        response = session.call(session.versions.compare_versions, request, write=False)
    except ApiError as err:
        raise Unreadable(f"CompareVersions refused: {err.code}") from None
    try:
        body = json.loads(str(response.target_version_content_json))
        if not isinstance(body, dict) or not isinstance(body.get("flows"), list):
            raise Unreadable("its content JSON holds no flow")
        out = []
        for collection, message in VERSIONED.items():
            for item in body.get(collection, []):
                parsed = json_format.ParseDict(item, message(), ignore_unknown_fields=True)
                if not parsed.name:
                    raise Unreadable(f"a {collection} item of its content JSON has no name")
                out.append(ApiResource(collection, str(parsed.name), {language: parsed}))
        return out
    except (ValueError, json_format.ParseError, AttributeError) as err:
        raise Unreadable(f"its content JSON does not parse ({str(err).splitlines()[0][:80]})") from None


def _in_flow(name: str, flow: str) -> bool:
    return (
        name == flow or name.startswith(f"{flow}/pages/") or name.startswith(f"{flow}/transitionRouteGroups/")
    )


def served_agent(session: CxSession, agent: str, env: EnvironmentState) -> Served:
    """The draft read whole (agent-level resources are not versioned: every environment serves
    the draft's), then each pinned flow's subtree swapped for its version's, in every language."""
    api = read_agent(session, agent)
    default = str(api.agent.default_language_code).lower()
    languages = [
        default,
        *(str(c).lower() for c in api.agent.supported_language_codes if str(c).lower() != default),
    ]
    flows = {r.name: r for r in api.resources if r.collection == "flows"}
    display = {name: str(r.views[default].display_name) for name, r in flows.items() if default in r.views}
    served = Served(api, {})
    unreadable: list[str] = []
    for flow, version in sorted(env.versions.items()):
        label = display.get(flow, flow)
        try:
            merged: dict[str, ApiResource] = {}
            for language in languages:
                for resource in version_content(session, version, language):
                    merged.setdefault(resource.name, ApiResource(resource.collection, resource.name, {}))
                    merged[resource.name].views.update(resource.views)
        except Unreadable as why:
            unreadable.append(f"{label!r} (version {version.rsplit('/', 1)[-1]}: {why})")
            continue
        served.versions[label] = version
        api.resources = [r for r in api.resources if not _in_flow(r.name, flow)] + list(merged.values())
    if unreadable:
        served.notes.append(
            f"version content cannot be read for flows {', '.join(unreadable)}: the draft stands in "
            "for it, compare version ids instead"
        )
    unpinned = sorted(display[f] for f in flows if f not in env.versions and f in display)
    if unpinned:
        served.notes.append(
            f"flows with no version in the environment, shown as the draft: {', '.join(unpinned)}"
        )
    _override_webhooks(api, env)
    return served


def _override_webhooks(api: ApiAgent, env: EnvironmentState) -> None:
    """The environment's webhook_config overrides replace the draft webhook's URI and headers
    (v3 Environment.WebhookConfig: "The list of webhooks to override for the agent environment")."""
    for resource in api.resources:
        if resource.collection != "webhooks" or resource.name not in env.webhooks:
            continue
        for view in resource.views.values():
            service = view.generic_web_service
            service.uri = env.webhooks[resource.name]
            if resource.name in env.headers:
                service.request_headers.clear()
                service.request_headers.update(env.headers[resource.name])
