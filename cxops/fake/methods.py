"""Every served method: its full gRPC name, its handler on the service, its message types."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from google.cloud import dialogflowcx_v3 as cx
from google.longrunning import operations_pb2
from google.protobuf import empty_pb2

from cxops.fake import versions
from cxops.fake.kinds import KINDS, Kind
from cxops.fake.protoutil import Msg
from cxops.fake.service import CxService

PACKAGE = "google.cloud.dialogflow.cx.v3"

Handler = Callable[[Msg], Msg]


@dataclass(frozen=True)
class Method:
    full_name: str  # /google.cloud.dialogflow.cx.v3.Flows/ListFlows
    handler: Handler
    request: type[Msg]
    response: type[Msg]


def methods(service: CxService) -> list[Method]:
    """Every served method with its handler."""
    out: list[Method] = []

    def add(svc: str, method: str, handler: Handler, request: type[Msg], response: type[Msg]) -> None:
        out.append(Method(f"/{PACKAGE}.{svc}/{method}", handler, request, response))

    empty = empty_pb2.Empty
    operation = operations_pb2.Operation
    for kind in KINDS.values():
        k = kind

        def bind(fn: Callable[[Kind, Msg], Msg], kk: Kind = k) -> Handler:
            return lambda request: fn(kk, request)

        message = k.message
        if k.collection == "agents":
            add(k.service, "CreateAgent", service.create_agent, k.request("Create"), message)
            add(k.service, "DeleteAgent", service.delete_agent, k.request("Delete"), empty)
        elif k.collection == "versions":
            add(k.service, "CreateVersion", service.create_version, k.request("Create"), operation)
            add(k.service, "DeleteVersion", service.delete_version, k.request("Delete"), empty)
            add(
                k.service,
                "LoadVersion",
                lambda r: versions.load_version(service, r),
                cx.LoadVersionRequest.pb(),
                operation,
            )
            add(
                k.service,
                "CompareVersions",
                lambda r: versions.compare_versions(service, r),
                cx.CompareVersionsRequest.pb(),
                cx.CompareVersionsResponse.pb(),
            )
        elif k.collection == "environments":
            add(k.service, "CreateEnvironment", service.create_environment, k.request("Create"), operation)
            add(k.service, "DeleteEnvironment", bind(service.delete), k.request("Delete"), empty)
            add(
                k.service,
                "LookupEnvironmentHistory",
                lambda r: versions.lookup_environment_history(service, r),
                cx.LookupEnvironmentHistoryRequest.pb(),
                cx.LookupEnvironmentHistoryResponse.pb(),
            )
        else:
            add(k.service, f"Create{k.singular}", bind(service.create), k.request("Create"), message)
            if k.collection == "testCases":
                add(
                    k.service,
                    "BatchDeleteTestCases",
                    service.batch_delete_test_cases,
                    cx.BatchDeleteTestCasesRequest.pb(),
                    empty,
                )
            else:
                add(k.service, f"Delete{k.singular}", bind(service.delete), k.request("Delete"), empty)
        add(k.service, f"Get{k.singular}", bind(service.get), k.request("Get"), message)
        add(k.service, f"List{k.singular}s", bind(service.list_items), k.request("List"), k.response("List"))
        if k.collection == "environments":
            add(k.service, "UpdateEnvironment", service.update_environment, k.request("Update"), operation)
        else:
            add(k.service, f"Update{k.singular}", bind(service.update), k.request("Update"), message)

    add(
        "Changelogs",
        "ListChangelogs",
        service.list_changelogs,
        cx.ListChangelogsRequest.pb(),
        cx.ListChangelogsResponse.pb(),
    )
    add("Changelogs", "GetChangelog", service.get_changelog, cx.GetChangelogRequest.pb(), cx.Changelog.pb())
    add("Agents", "ExportAgent", service.export_agent, cx.ExportAgentRequest.pb(), operation)
    add("Agents", "RestoreAgent", service.restore_agent, cx.RestoreAgentRequest.pb(), operation)
    settings = cx.GenerativeSettings.pb()
    add(
        "Agents",
        "GetGenerativeSettings",
        service.get_generative_settings,
        cx.GetGenerativeSettingsRequest.pb(),
        settings,
    )
    add(
        "Agents",
        "UpdateGenerativeSettings",
        service.update_generative_settings,
        cx.UpdateGenerativeSettingsRequest.pb(),
        settings,
    )
    conv = service.conversations
    add("TestCases", "RunTestCase", conv.run_test_case, cx.RunTestCaseRequest.pb(), operation)
    add(
        "TestCases",
        "BatchRunTestCases",
        conv.batch_run_test_cases,
        cx.BatchRunTestCasesRequest.pb(),
        operation,
    )
    add(
        "TestCases",
        "ListTestCaseResults",
        conv.list_test_case_results,
        cx.ListTestCaseResultsRequest.pb(),
        cx.ListTestCaseResultsResponse.pb(),
    )
    add(
        "TestCases",
        "GetTestCaseResult",
        conv.get_test_case_result,
        cx.GetTestCaseResultRequest.pb(),
        cx.TestCaseResult.pb(),
    )
    add(
        "TestCases",
        "CalculateCoverage",
        conv.calculate_coverage,
        cx.CalculateCoverageRequest.pb(),
        cx.CalculateCoverageResponse.pb(),
    )
    add(
        "Agents",
        "ValidateAgent",
        service.validation.validate_agent,
        cx.ValidateAgentRequest.pb(),
        cx.AgentValidationResult.pb(),
    )
    add(
        "Agents",
        "GetAgentValidationResult",
        service.validation.get_agent_validation_result,
        cx.GetAgentValidationResultRequest.pb(),
        cx.AgentValidationResult.pb(),
    )
    add(
        "Sessions",
        "DetectIntent",
        conv.detect_intent,
        cx.DetectIntentRequest.pb(),
        cx.DetectIntentResponse.pb(),
    )
    ops = "/google.longrunning.Operations/"
    out.append(
        Method(ops + "GetOperation", service.get_operation, operations_pb2.GetOperationRequest, operation)
    )
    out.append(
        Method(
            ops + "ListOperations",
            service.list_operations,
            operations_pb2.ListOperationsRequest,
            operations_pb2.ListOperationsResponse,
        )
    )
    out.append(
        Method(
            ops + "CancelOperation", service.cancel_operation, operations_pb2.CancelOperationRequest, empty
        )
    )
    return out
