"""``ValidateAgent`` / ``GetAgentValidationResult`` of the stand-in, answered by cxops lint.

The v3 reference documents the call (an ``AgentValidationResult`` of one
``FlowValidationResult`` per flow, each with ``ValidationMessage`` s of a resource type and a
severity) but not the full set of checks CX makes. The stand-in answers with cxops's lint
findings (cxops.core.lint), worded as CX words them where the rule knows CX's wording
(``cx_message``); a finding about a page, a flow or a flow's route group goes to that flow, any
other to the agent's start flow. The "does not model" list of docs/stand-in.md says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import grpc
from google.cloud import dialogflowcx_v3 as cx
from google.protobuf import json_format

from cxops.core.lint.cxmessages import validation_messages
from cxops.core.lint.registry import run
from cxops.fake.export import api_agent
from cxops.fake.kinds import KINDS
from cxops.fake.protoutil import Msg
from cxops.fake.rpcerrors import RpcFailure
from cxops.package.fromapi import package_from_api
from cxops.package.reader import snapshot_from_package

if TYPE_CHECKING:
    from cxops.fake.service import CxService

_FLOW_SCOPED = ("page", "flow_route_group")


class Validation:
    def __init__(self, service: CxService) -> None:
        self.service = service
        self.results: dict[tuple[str, str], Msg] = {}

    def validate_agent(self, request: Msg) -> Msg:
        agent = str(request.name)
        self.service.entry(agent, KINDS["agents"])
        language = self.service.language(agent, str(request.language_code))
        snapshot, _ = snapshot_from_package(
            package_from_api(api_agent(self.service.store, agent, self.service.view))
        )
        flows = {str(e.base.display_name): e.name for e in self.service.store.list(agent, "flows")}
        start = str(snapshot.agent.get("start_flow") or "Default Start Flow")
        by_flow: dict[str, list[dict[str, Any]]] = {name: [] for name in flows}
        for finding in run(snapshot):
            if finding.key.kind == "flow":
                flow = finding.key.name
            elif finding.key.kind in _FLOW_SCOPED:
                flow = finding.key.scope
            else:
                flow = start
            by_flow.setdefault(flow if flow in flows else start, []).extend(validation_messages([finding]))
        result = cx.AgentValidationResult.pb()(name=f"{agent}/validationResult")
        for display_name, messages in sorted(by_flow.items()):
            if display_name not in flows:
                continue
            flow_result = result.flow_validation_results.add(name=f"{flows[display_name]}/validationResult")
            for message in messages:
                json_format.ParseDict(message, flow_result.validation_messages.add())
        self.results[(agent, language)] = result
        return result

    def get_agent_validation_result(self, request: Msg) -> Msg:
        name = str(request.name)
        agent = name.removesuffix("/validationResult")
        self.service.entry(agent, KINDS["agents"])
        language = self.service.language(agent, str(request.language_code))
        found = self.results.get((agent, language))
        if found is None:
            raise RpcFailure(
                grpc.StatusCode.NOT_FOUND, f"agent {agent} has not been validated in {language!r}."
            )
        return found
