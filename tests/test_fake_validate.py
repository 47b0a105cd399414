"""The stand-in's ValidateAgent / GetAgentValidationResult (answered by cxops lint), and
`cxops test --offline --validate` failing on an ERROR message, through the real client."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from google.api_core import exceptions as gexc
from google.cloud import dialogflowcx_v3 as cx

from cxops.cli.main import main
from tests.runtimefixture import SAMPLE, restore_snapshot, sample_snapshot


def severities(result: Any) -> list[str]:
    return [
        cx.ValidationMessage.Severity(m.severity).name
        for f in result.flow_validation_results
        for m in f.validation_messages
    ]


def test_validate_agent_answers_per_flow_and_is_read_back(clients: Any) -> None:
    agent = restore_snapshot(clients, sample_snapshot())
    with pytest.raises(gexc.NotFound):
        clients.agents.get_agent_validation_result(
            request=cx.GetAgentValidationResultRequest(name=f"{agent}/validationResult", language_code="en")
        )
    result = clients.agents.validate_agent(request=cx.ValidateAgentRequest(name=agent, language_code="en"))
    assert result.name == f"{agent}/validationResult"
    flows = {f.name.removesuffix("/validationResult") for f in result.flow_validation_results}
    assert flows == {f.name for f in clients.flows.list_flows(parent=agent)}
    assert "ERROR" not in severities(result)  # the team's sample agent is clean
    again = clients.agents.get_agent_validation_result(
        request=cx.GetAgentValidationResultRequest(name=f"{agent}/validationResult", language_code="en")
    )
    assert again == result


def test_an_error_message_names_the_resource(clients: Any) -> None:
    snapshot = sample_snapshot()
    hook = next(body for key, body in snapshot if key.kind == "webhook")
    hook["generic_web_service"]["uri"] = "http://orders.example.com/cx"
    agent = restore_snapshot(clients, snapshot)
    result = clients.agents.validate_agent(request=cx.ValidateAgentRequest(name=agent, language_code="en"))
    errors = [
        m
        for f in result.flow_validation_results
        for m in f.validation_messages
        if m.severity == cx.ValidationMessage.Severity.ERROR
    ]
    assert [(m.resource_type, m.resource_names[0].display_name) for m in errors] == [
        (cx.ValidationMessage.ResourceType.WEBHOOK, "orders-api")
    ]
    assert "not https" in errors[0].detail


def test_cxops_test_validate_fails_on_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(SAMPLE, tmp_path / "agents" / "order-desk")
    assert main(["--root", str(tmp_path), "-q", "test", "--offline", "--validate"]) == 0
    hook = tmp_path / "agents/order-desk/webhooks/orders-api.yaml"
    hook.write_text(hook.read_text(encoding="utf-8").replace("https://", "http://"), encoding="utf-8")
    capsys.readouterr()
    assert main(["--root", str(tmp_path), "test", "--offline", "--validate"]) == 1
    assert "not https" in capsys.readouterr().out
