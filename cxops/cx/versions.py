"""Flow versions and environments as cxops reads and writes them (v3 Versions, Environments)."""

from __future__ import annotations

from dataclasses import dataclass

from google.cloud import dialogflowcx_v3 as cx

from cxops.cx.session import CxSession
from cxops.errors import ApiError

# The v3 Version.description limit: "The maximum length is 500 characters. If exceeded, the
# request is rejected." (Dialogflow CX v3 reference, Version).
MAX_DESCRIPTION = 500


@dataclass(frozen=True)
class FlowVersion:
    """One version as listed: enough to decide whether cxops made it and how old it is."""

    name: str
    display_name: str
    description: str
    create_time: str  # RFC 3339; sorts as time


def flow_names(session: CxSession, agent: str) -> dict[str, str]:
    """Flow display name -> resource name."""
    listed = session.list_all(session.flows.list_flows, cx.ListFlowsRequest(parent=agent))
    return {str(f.display_name): str(f.name) for f in listed}


def list_versions(session: CxSession, flow: str) -> list[FlowVersion]:
    listed = session.list_all(session.versions.list_versions, cx.ListVersionsRequest(parent=flow))
    return [
        FlowVersion(
            str(v.name), str(v.display_name), str(v.description), cx.Version.pb(v).create_time.ToJsonString()
        )
        for v in listed
    ]


def pinned_versions(session: CxSession, agent: str) -> set[str]:
    """Every version some environment of the agent points at (Environment.version_configs)."""
    envs = session.list_all(session.environments.list_environments, cx.ListEnvironmentsRequest(parent=agent))
    return {str(c.version) for e in envs for c in e.version_configs}


def create_version(session: CxSession, flow: str, display_name: str, description: str) -> str:
    """CreateVersion, long-running: the operation's response is the Version (v3 reference)."""
    version = cx.Version(display_name=display_name, description=description[:MAX_DESCRIPTION])
    request = cx.CreateVersionRequest(parent=flow, version=version)
    created = session.wait(session.versions.create_version, request, cx.Version.pb())
    return str(created.name)


def delete_version(session: CxSession, name: str) -> None:
    """DeleteVersion; one already gone (a re-run after a kill) is fine."""
    try:
        session.call(session.versions.delete_version, cx.DeleteVersionRequest(name=name), write=True)
    except ApiError as err:
        if err.code != "NOT_FOUND":
            raise
