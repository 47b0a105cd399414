"""API failures become one-line ApiErrors that say what to fix (constructed api_core errors)."""

from __future__ import annotations

import pytest
from google.api_core import exceptions as gexc
from google.cloud import dialogflowcx_v3 as cx

from cxops.cx import EMULATOR_PRINCIPAL, ErrorContext, RetriesExhausted, exhausted_error, to_api_error
from cxops.cx.errors import method_label, resource_of
from cxops.errors import ApiError, CxopsError

AGENT = "projects/acme-bots-stg/locations/global/agents/0d5e"
FLOW = f"{AGENT}/flows/f1"
STAGE = ErrorContext(stage="stg", stage_file="environments/stg.yaml", agent=AGENT)


def one_line(err: ApiError) -> str:
    text = str(err)
    assert "\n" not in text and "Traceback" not in text
    assert isinstance(err, CxopsError)
    return text


def test_method_label_and_resource() -> None:
    assert method_label("list_transition_route_groups") == "ListTransitionRouteGroups"
    assert resource_of(cx.ListFlowsRequest(parent=AGENT)) == AGENT
    assert resource_of(cx.GetFlowRequest(name=FLOW)) == FLOW
    assert resource_of(cx.UpdateFlowRequest(flow=cx.Flow(name=FLOW))) == FLOW
    assert resource_of({"name": "operations/1"}) == "operations/1"
    assert resource_of(None) is None


def test_permission_denied_names_agent_principal_and_role() -> None:
    exc = gexc.PermissionDenied("Caller does not have required permission to use project acme-bots-stg.")
    err = to_api_error(
        exc, method="CreateFlow", request=cx.CreateFlowRequest(parent=AGENT), write=True,
        principal="cxops-ci@acme-bots-stg.iam.gserviceaccount.com", context=STAGE,
    )  # fmt: skip
    text = one_line(err)
    assert err.code == "PERMISSION_DENIED"
    assert AGENT in text and "cxops-ci@acme-bots-stg.iam.gserviceaccount.com" in text
    assert "roles/dialogflow.admin" in text and "project acme-bots-stg" in text
    assert "Caller does not have required permission" in text


def test_permission_denied_on_a_read_suggests_the_narrower_role() -> None:
    exc = gexc.PermissionDenied("denied")
    err = to_api_error(
        exc, method="ListFlows", request=cx.ListFlowsRequest(parent=AGENT), principal=EMULATOR_PRINCIPAL
    )
    assert "roles/dialogflow.reader" in str(err) and "(emulator, no credentials)" in str(err)


def test_missing_agent_names_the_stage_file() -> None:
    for request in (cx.GetAgentRequest(name=AGENT), cx.ListFlowsRequest(parent=AGENT)):
        err = to_api_error(
            gexc.NotFound("Agent does not exist."), method="GetAgent", request=request, context=STAGE
        )
        text = one_line(err)
        assert err.code == "NOT_FOUND"
        assert f"agent {AGENT} not found (stage stg)" in text
        assert "environments/stg.yaml" in text and "agent_id" in text


def test_missing_agent_without_context_still_says_where_to_look() -> None:
    err = to_api_error(gexc.NotFound("nope"), method="GetAgent", request=cx.GetAgentRequest(name=AGENT))
    assert f"agent {AGENT} not found" in str(err) and "agent_id" in str(err)


def test_missing_child_is_not_blamed_on_the_stage_file() -> None:
    err = to_api_error(
        gexc.NotFound("gone"), method="GetFlow", request=cx.GetFlowRequest(name=FLOW), context=STAGE
    )
    text = one_line(err)
    assert FLOW in text and "stg.yaml" not in text and "re-run" in text


def test_unauthenticated_suggests_login_or_workload_identity() -> None:
    err = to_api_error(
        gexc.Unauthenticated("Request had invalid authentication credentials."), method="ListAgents"
    )
    text = one_line(err)
    assert "gcloud auth application-default login" in text and "workload identity" in text


@pytest.mark.parametrize("error", [gexc.InvalidArgument, gexc.AlreadyExists, gexc.FailedPrecondition])
def test_refusals_pass_the_server_message_with_the_method(error: type[gexc.GoogleAPICallError]) -> None:
    exc = error("Display name 'x' already\nused.")
    err = to_api_error(exc, method="CreateIntent", request=cx.CreateIntentRequest(parent=AGENT))
    text = one_line(err)
    assert text.startswith(f"CreateIntent on {AGENT} refused ({err.code}): Display name 'x' already used.")


def test_other_errors_name_method_and_code() -> None:
    err = to_api_error(gexc.InternalServerError("boom"), method="GetFlow")
    assert one_line(err) == "GetFlow failed (INTERNAL): boom"


def test_retry_exhaustion_says_attempts_time_and_last_error() -> None:
    failure = RetriesExhausted(8, 12.34, gexc.ResourceExhausted("Quota exceeded."), deadline=False)
    err = exhausted_error(failure, method="CreateFlow", deadline=120, endpoint="dialogflow.googleapis.com")
    text = one_line(err)
    assert "8 attempts over 12.3s" in text and "RESOURCE_EXHAUSTED: Quota exceeded." in text
    assert err.code == "RESOURCE_EXHAUSTED"


def test_deadline_says_so_and_where_it_tried() -> None:
    failure = RetriesExhausted(5, 1.9, gexc.ServiceUnavailable("failed to connect"), deadline=True)
    err = exhausted_error(failure, method="ListAgents", deadline=2, endpoint="127.0.0.1:9")
    text = one_line(err)
    assert err.code == "DEADLINE_EXCEEDED"
    assert "2s deadline" in text and "5 attempts over 1.9s" in text and "127.0.0.1:9" in text
