"""Contract: methods the stand-in does not serve answer UNIMPLEMENTED — never a fake success."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import client
from google.api_core import exceptions as gexc
from google.cloud import dialogflowcx_v3 as cx

from cxops.fake import FakeCX

V3 = "google.cloud.dialogflow.cx.v3"


UNSERVED = [
    pytest.param(
        lambda c, a: c.flows.validate_flow(request=cx.ValidateFlowRequest(name=a.start_flow)),
        "Flows/ValidateFlow",
        id="ValidateFlow",
    ),
    pytest.param(lambda c, a: c.flows.train_flow(name=a.start_flow), "Flows/TrainFlow", id="TrainFlow"),
    pytest.param(
        lambda c, a: c.flows.export_flow(request=cx.ExportFlowRequest(name=a.start_flow)),
        "Flows/ExportFlow",
        id="ExportFlow",
    ),
    pytest.param(
        lambda c, a: c.flows.import_flow(request=cx.ImportFlowRequest(parent=a.name, flow_content=b"{}")),
        "Flows/ImportFlow",
        id="ImportFlow",
    ),
    pytest.param(
        lambda c, a: c.sessions.match_intent(
            request=cx.MatchIntentRequest(
                session=f"{a.name}/sessions/s1",
                query_input=cx.QueryInput(text=cx.TextInput(text="hi"), language_code="en"),
            )
        ),
        "Sessions/MatchIntent",
        id="MatchIntent",
    ),
    pytest.param(
        lambda c, a: c.environments.deploy_flow(
            request=cx.DeployFlowRequest(environment=f"{a.name}/environments/e", flow_version="v")
        ),
        "Environments/DeployFlow",
        id="DeployFlow",
    ),
    pytest.param(
        lambda c, a: c.test_cases.import_test_cases(
            request=cx.ImportTestCasesRequest(parent=a.name, content=b"{}")
        ),
        "TestCases/ImportTestCases",
        id="ImportTestCases",
    ),
    pytest.param(
        lambda c, a: c.environments.deploy_flow(
            request=cx.DeployFlowRequest(environment=f"{a.name}/environments/e", flow_version="v")
        ),
        "Environments/DeployFlow",
        id="DeployFlow",
    ),
    pytest.param(
        lambda c, a: c.intents.export_intents(request=cx.ExportIntentsRequest(parent=a.name, intents=["x"])),
        "Intents/ExportIntents",
        id="ExportIntents",
    ),
    pytest.param(
        lambda c, a: c.flows.get_flow_validation_result(
            request=cx.GetFlowValidationResultRequest(name=f"{a.start_flow}/validationResult")
        ),
        "Flows/GetFlowValidationResult",
        id="GetFlowValidationResult",
    ),
]


@pytest.mark.parametrize(("call", "method"), UNSERVED)
def test_unserved_method_is_unimplemented(
    fake: FakeCX, channel: Any, clients: Any, agent: cx.Agent, call: Any, method: str
) -> None:
    clients.sessions = client(cx.SessionsClient, channel)
    fake.reset_calls()
    with pytest.raises(gexc.MethodNotImplemented) as raised:
        call(clients, agent)
    assert method.rsplit("/", 1)[-1] in str(raised.value)
    assert dict(fake.calls) == {f"/{V3}.{method}": 1}  # counted like any call, and nothing else ran
