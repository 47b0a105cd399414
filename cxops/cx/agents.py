"""Agents as a whole: list the agents of a location, create one, delete one (preview agents)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from google.cloud import dialogflowcx_v3 as cx

from cxops.cx.session import CxSession


@dataclass(frozen=True)
class AgentInfo:
    name: str  # projects/P/locations/L/agents/ID
    display_name: str
    description: str


def list_agents(session: CxSession, parent: str) -> list[AgentInfo]:
    """Every agent under ``parent`` (projects/P/locations/L), all pages."""
    found = session.list_all(session.agents.list_agents, cx.ListAgentsRequest(parent=parent))
    return [AgentInfo(str(a.name), str(a.display_name), str(a.description)) for a in found]


def create_agent(
    session: CxSession,
    parent: str,
    *,
    display_name: str,
    description: str,
    default_language: str,
    supported_languages: Sequence[str],
    time_zone: str,
) -> str:
    """A new, empty agent; returns its resource name."""
    agent = cx.Agent(
        display_name=display_name,
        description=description,
        default_language_code=default_language,
        supported_language_codes=list(supported_languages),
        time_zone=time_zone,
    )
    made = session.call(
        session.agents.create_agent, cx.CreateAgentRequest(parent=parent, agent=agent), write=True
    )
    return str(made.name)


def delete_agent(session: CxSession, name: str) -> None:
    session.call(session.agents.delete_agent, cx.DeleteAgentRequest(name=name), write=True)
