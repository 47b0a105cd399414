"""The CX calls behind ``cxops test``: test cases, their runs, coverage, validation.

Answers are handed on as plain dicts (proto field names, ``MessageToDict``) so that the layers
above never see a proto. Shapes are the v3 API's (google/cloud/dialogflow/cx/v3/test_case.proto,
agent.proto, validation_message.proto).
"""

from __future__ import annotations

from typing import Any

from google.cloud import dialogflowcx_v3 as cx
from google.protobuf import json_format

from cxops.cx.session import CxSession
from cxops.errors import ConfigError

Data = dict[str, Any]

# CalculateCoverageRequest.CoverageType, and the response field each one fills.
COVERAGE_TYPES = {
    "intent": ("INTENT", "intent_coverage"),
    "transition": ("PAGE_TRANSITION", "transition_coverage"),
    "route_group": ("TRANSITION_ROUTE_GROUP", "route_group_coverage"),
}


def _data(message: Any) -> Data:
    raw = type(message).pb(message) if hasattr(type(message), "pb") else message
    out: Data = json_format.MessageToDict(raw, preserving_proto_field_name=True)
    return out


def list_test_cases(session: CxSession, agent: str) -> list[Data]:
    """Every test case of the agent with its turns (``view=FULL``: BASIC leaves the turns out)."""
    request = cx.ListTestCasesRequest(parent=agent, view=cx.ListTestCasesRequest.TestCaseView.FULL)
    return [_data(case) for case in session.list_all(session.test_cases.list_test_cases, request)]


def batch_run(session: CxSession, agent: str, test_cases: list[str], environment: str | None) -> list[Data]:
    """``BatchRunTestCases`` (a long-running operation, polled through the session: paced, within
    the operation deadline); the ``TestCaseResult`` of each test case that ran."""
    request = cx.BatchRunTestCasesRequest(parent=agent, test_cases=test_cases, environment=environment or "")
    response = session.wait(
        session.test_cases.batch_run_test_cases, request, cx.BatchRunTestCasesResponse, write=False
    )
    return [_data(result) for result in response.results]


def get_result(session: CxSession, name: str) -> Data:
    """One ``TestCaseResult`` with its conversation turns (``GetTestCaseResult``)."""
    request = cx.GetTestCaseResultRequest(name=name)
    return _data(session.call(session.test_cases.get_test_case_result, request, write=False))


def calculate_coverage(session: CxSession, agent: str, kind: str) -> Data:
    """``CalculateCoverage`` of one type: ``intent``, ``transition`` or ``route_group``."""
    type_name, field = COVERAGE_TYPES[kind]
    request = cx.CalculateCoverageRequest(
        agent=agent, type_=getattr(cx.CalculateCoverageRequest.CoverageType, type_name)
    )
    response = session.call(session.test_cases.calculate_coverage, request, write=False)
    found: Data = _data(response).get(field, {})
    return found


def agent_languages(session: CxSession, agent: str) -> list[str]:
    """The agent's default language first, then the others it supports."""
    found = session.get_agent(agent)
    default = str(found.default_language_code)
    return [default, *(str(c) for c in found.supported_language_codes if str(c) != default)]


def validate_agent(session: CxSession, agent: str, language: str) -> Data:
    """``ValidateAgent`` in one language: the draft's ``AgentValidationResult`` (flow by flow)."""
    request = cx.ValidateAgentRequest(name=agent, language_code=language)
    return _data(session.call(session.agents.validate_agent, request, write=False))


def environment_name(session: CxSession, agent: str, environment: str) -> str:
    """A stage's ``environment`` (a resource name, an id, or a display name) as a resource name."""
    if "/" in environment:
        return environment
    request = cx.ListEnvironmentsRequest(parent=agent)
    found = session.list_all(session.environments.list_environments, request)
    for env in found:
        if env.display_name == environment or env.name.rsplit("/", 1)[-1] == environment:
            return str(env.name)
    known = ", ".join(sorted(str(env.display_name) for env in found)) or "none"
    raise ConfigError(f"the agent has no environment {environment!r} (environments: {known})")


def display_names(session: CxSession, agent: str) -> dict[str, str]:
    """Resource name -> display name of the agent's flows, pages and intents, for results that
    name only the resource."""
    out: dict[str, str] = {}
    intents = session.list_all(session.intents.list_intents, cx.ListIntentsRequest(parent=agent))
    out.update({str(i.name): str(i.display_name) for i in intents})
    flows = session.list_all(session.flows.list_flows, cx.ListFlowsRequest(parent=agent))
    for flow in flows:
        out[str(flow.name)] = str(flow.display_name)
        out[f"{flow.name}/pages/START_PAGE"] = "Start Page"
        pages = session.list_all(session.pages.list_pages, cx.ListPagesRequest(parent=flow.name))
        out.update({str(p.name): str(p.display_name) for p in pages})
    return out


def create_agent(
    session: CxSession, parent: str, display_name: str, languages: list[str], time_zone: str
) -> str:
    """A new agent (for an offline run); returns its resource name."""
    agent = cx.Agent(
        display_name=display_name,
        default_language_code=languages[0],
        supported_language_codes=languages[1:],
        time_zone=time_zone,
    )
    created = session.call(
        session.agents.create_agent, cx.CreateAgentRequest(parent=parent, agent=agent), write=True
    )
    return str(created.name)
