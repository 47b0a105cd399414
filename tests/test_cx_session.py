"""CxSession against `cxops fake`: the real CX client over gRPC, with faults, quotas and latency."""

from __future__ import annotations

import os

os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

import itertools
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.cloud import dialogflowcx_v3 as cx

from cxops.cx import ConnectionSettings, CxSession, ErrorContext, RateLimits, RetryPolicy
from cxops.errors import ApiError
from cxops.fake import FakeCX

PARENT = "projects/test-project/locations/global"
FAST = RetryPolicy(deadline=5.0, attempt_timeout=2.0, initial_backoff=0.01, max_backoff=0.05, max_attempts=5)


def open_session(address: str, policy: RetryPolicy = FAST, limits: RateLimits = RateLimits()) -> CxSession:
    return CxSession(ConnectionSettings(emulator_host=address), policy=policy, limits=limits)


@pytest.fixture
def session(fake: FakeCX) -> Iterator[CxSession]:
    with open_session(fake.address) as s:
        yield s


def create_agent(session: CxSession, name: str = "Pizza") -> cx.Agent:
    agent = cx.Agent(display_name=name, default_language_code="en", time_zone="Europe/Paris")
    return session.call(
        session.agents.create_agent, cx.CreateAgentRequest(parent=PARENT, agent=agent), write=True
    )


def create_flow(session: CxSession, agent: cx.Agent, name: str) -> cx.Flow:
    request = cx.CreateFlowRequest(parent=agent.name, flow=cx.Flow(display_name=name))
    return session.call(session.flows.create_flow, request, write=True)


def dead_address() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"127.0.0.1:{port}"


def test_two_unavailable_then_success(fake: FakeCX, session: CxSession) -> None:
    agent = create_agent(session)
    fake.inject("ListFlows", "UNAVAILABLE", count=2)
    flows = session.list_all(session.flows.list_flows, cx.ListFlowsRequest(parent=agent.name))
    assert [f.display_name for f in flows] == ["Default Start Flow"]
    assert fake.count("ListFlows") == 3


def test_a_retry_is_announced_once(
    fake: FakeCX, session: CxSession, capsys: pytest.CaptureFixture[str]
) -> None:
    agent = create_agent(session)
    fake.inject("ListFlows", "UNAVAILABLE", count=3)
    session.list_all(session.flows.list_flows, cx.ListFlowsRequest(parent=agent.name))
    assert capsys.readouterr().err == "retrying ListFlows: UNAVAILABLE (attempt 2 of 5)…\n"


def test_write_quota_exhausted_waits_and_succeeds(fake: FakeCX, session: CxSession) -> None:
    # One write per 0.4 s window: the write after the agent's is refused until the window moves on.
    fake.set_quota(writes_per_minute=1, window=0.4)
    agent = create_agent(session)
    began = time.monotonic()
    patient = open_session(
        fake.address, RetryPolicy(deadline=5.0, initial_backoff=0.02, max_backoff=0.1, max_attempts=50)
    )
    with patient:
        flow = create_flow(patient, agent, "Orders")
    assert time.monotonic() - began >= 0.2
    assert fake.count("CreateFlow") >= 3  # refused while over quota, then written once
    fake.set_quota()
    names = [
        f.display_name
        for f in session.list_all(session.flows.list_flows, cx.ListFlowsRequest(parent=agent.name))
    ]
    assert names.count("Orders") == 1 and flow.display_name == "Orders"


def test_dead_port_gives_up_within_the_deadline() -> None:
    policy = RetryPolicy(
        deadline=1.0, attempt_timeout=0.5, initial_backoff=0.05, max_backoff=0.2, max_attempts=100
    )
    address = dead_address()
    began = time.monotonic()
    with open_session(address, policy) as session, pytest.raises(ApiError) as caught:
        create_agent(session)
    elapsed = time.monotonic() - began
    assert elapsed < 1.0 + 1.0  # the deadline holds (100 attempts: many seconds); slack for CI
    text = str(caught.value)
    assert caught.value.code == "DEADLINE_EXCEEDED"
    assert "1s deadline" in text and "UNAVAILABLE" in text and address in text and "\n" not in text


def test_dead_port_gives_up_after_max_attempts() -> None:
    policy = RetryPolicy(
        deadline=10.0, attempt_timeout=0.5, initial_backoff=0.01, max_backoff=0.02, max_attempts=3
    )
    with open_session(dead_address(), policy) as session, pytest.raises(ApiError) as caught:
        session.list_all(session.agents.list_agents, cx.ListAgentsRequest(parent=PARENT))
    assert caught.value.code == "UNAVAILABLE"
    assert str(caught.value).startswith("ListAgents: gave up after 3 attempts over ")


def test_attempt_timeout_cuts_a_slow_call_and_the_deadline_holds(fake: FakeCX) -> None:
    fake.latency = 0.4
    policy = RetryPolicy(
        deadline=0.6, attempt_timeout=0.15, initial_backoff=0.01, max_backoff=0.02, max_attempts=50
    )
    began = time.monotonic()
    with open_session(fake.address, policy) as session, pytest.raises(ApiError) as caught:
        session.list_all(session.agents.list_agents, cx.ListAgentsRequest(parent=PARENT))
    assert time.monotonic() - began < 0.6 + 1.0  # without the deadline: 50 attempts of 0.15 s and more
    assert caught.value.code == "DEADLINE_EXCEEDED" and "last error DEADLINE_EXCEEDED" in str(caught.value)
    fake.latency = 0.0


def test_rate_limit_holds_at_the_fake(tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    with FakeCX(calls_log=log) as fake:
        setup = open_session(fake.address)
        agent = create_agent(setup)
        setup.close()
        with open_session(
            fake.address, limits=RateLimits(reads_per_minute=600, writes_per_minute=300)
        ) as session:

            def read() -> None:
                for _ in range(4):
                    session.call(session.agents.get_agent, cx.GetAgentRequest(name=agent.name), write=False)

            threads = [threading.Thread(target=read) for _ in range(3)]
            for thread in threads:
                thread.start()
            create_flow(session, agent, "A")
            create_flow(session, agent, "B")
            for thread in threads:
                thread.join()
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    reads = sorted(c["time"] for c in calls if c["method"].endswith("/GetAgent"))
    writes = sorted(c["time"] for c in calls if c["method"].endswith("/CreateFlow"))
    assert len(reads) == 12 and len(writes) == 2
    # Logged when the fake answers, a few ms after the start; spacing is 0.1 s and 0.2 s.
    assert min(b - a for a, b in itertools.pairwise(reads)) >= 0.1 - 0.02
    assert writes[1] - writes[0] >= 0.2 - 0.02


def test_permission_denied_names_agent_principal_and_role(fake: FakeCX, session: CxSession) -> None:
    agent = create_agent(session)
    session.context = ErrorContext(stage="stg", stage_file="environments/stg.yaml", agent=agent.name)
    fake.inject("CreateFlow", "PERMISSION_DENIED", message="Caller lacks dialogflow.flows.create.")
    with pytest.raises(ApiError) as caught:
        create_flow(session, agent, "Orders")
    text = str(caught.value)
    assert caught.value.code == "PERMISSION_DENIED"
    assert agent.name in text and "(emulator, no credentials)" in text and "roles/dialogflow.admin" in text
    assert "Caller lacks dialogflow.flows.create." in text
    assert fake.count("CreateFlow") == 1  # not retried


def test_missing_agent_names_the_stage_file(session: CxSession) -> None:
    missing = f"{PARENT}/agents/00000000-0000-0000-0000-00000000dead"
    session.context = ErrorContext(stage="prd", stage_file="environments/prd.yaml", agent=missing)
    with pytest.raises(ApiError) as caught:
        session.call(session.agents.get_agent, cx.GetAgentRequest(name=missing), write=False)
    text = str(caught.value)
    assert caught.value.code == "NOT_FOUND"
    assert text.startswith(f"agent {missing} not found (stage prd): check project, location and agent_id")
    assert "environments/prd.yaml" in text


def test_injected_not_found_on_a_listing_blames_the_agent(fake: FakeCX, session: CxSession) -> None:
    agent = create_agent(session)
    session.context = ErrorContext(stage_file="environments/dev.yaml")
    fake.inject("ListIntents", "NOT_FOUND", message="Agent not found.")
    with pytest.raises(ApiError, match=r"agent .* not found: check .* in environments/dev.yaml"):
        session.list_all(session.intents.list_intents, cx.ListIntentsRequest(parent=agent.name))


def test_invalid_argument_passes_the_server_message(session: CxSession) -> None:
    with pytest.raises(ApiError) as caught:
        session.call(
            session.agents.create_agent,
            cx.CreateAgentRequest(parent=PARENT, agent=cx.Agent(display_name="No language")),
            write=True,
        )
    assert caught.value.code == "INVALID_ARGUMENT"
    assert str(caught.value).startswith(f"CreateAgent on {PARENT} refused (INVALID_ARGUMENT): ")


def test_list_all_reads_every_page_through_the_session(fake: FakeCX, session: CxSession) -> None:
    agent = create_agent(session)
    for i in range(5):
        request = cx.CreateIntentRequest(parent=agent.name, intent=cx.Intent(display_name=f"intent.{i}"))
        session.call(session.intents.create_intent, request, write=True)
    fake.inject("ListIntents", "UNAVAILABLE", count=1)
    request = cx.ListIntentsRequest(parent=agent.name, page_size=2)
    intents = session.list_all(session.intents.list_intents, request)
    names = {i.display_name for i in intents}
    assert {f"intent.{i}" for i in range(5)} <= names
    assert len(intents) == len(names)  # no page read twice
    pages = -(-len(intents) // 2)
    assert pages >= 3 and fake.count("ListIntents") == pages + 1  # one retried
    assert request.page_token == ""  # the caller's request is left alone


def test_retried_write_that_had_committed_reports_already_exists(fake: FakeCX, session: CxSession) -> None:
    # The apply layer must find such a resource again by key; the session only reports it.
    agent = create_agent(session)
    fake.inject("CreateFlow", "UNAVAILABLE", count=1, after_commit=True)
    with pytest.raises(ApiError) as caught:
        create_flow(session, agent, "Orders")
    assert caught.value.code == "ALREADY_EXISTS"
    assert fake.count("CreateFlow") == 2


def test_wait_returns_the_operation_result(fake: FakeCX, session: CxSession) -> None:
    agent = create_agent(session)
    flows = session.list_all(session.flows.list_flows, cx.ListFlowsRequest(parent=agent.name))
    request = cx.CreateVersionRequest(parent=flows[0].name, version=cx.Version(display_name="v1"))
    version = session.wait(session.versions.create_version, request, cx.Version)
    assert isinstance(version, cx.Version)
    assert version.name.startswith(flows[0].name + "/versions/") and version.display_name == "v1"


def test_wait_polls_until_the_operation_is_done(fake: FakeCX) -> None:
    policy = RetryPolicy(
        deadline=5.0, initial_backoff=0.01, max_backoff=0.05, poll_initial=0.01, poll_max=0.02
    )
    with open_session(fake.address, policy) as session:
        agent = create_agent(session)
        flows = session.list_all(session.flows.list_flows, cx.ListFlowsRequest(parent=agent.name))
        fake.operation_polls = 3
        request = cx.CreateVersionRequest(parent=flows[0].name, version=cx.Version(display_name="v2"))
        version = session.wait(session.versions.create_version, request, cx.Version)
    assert version.display_name == "v2"
    assert fake.count("GetOperation") == 4  # three answers "running", the fourth "done"


def test_starting_an_operation_gets_the_operation_deadline_not_the_attempt_timeout(fake: FakeCX) -> None:
    # The stand-in restores a package inside the RestoreAgent call; a big one takes longer than
    # one attempt of an ordinary call may.
    policy = RetryPolicy(
        attempt_timeout=0.2, deadline=0.5, max_attempts=2, initial_backoff=0.01, operation_deadline=10
    )
    with open_session(fake.address, policy) as slow:
        agent = create_agent(slow)
        fake.latency = 0.4
        with pytest.raises(ApiError, match="DEADLINE_EXCEEDED"):
            slow.call(slow.agents.get_agent, cx.GetAgentRequest(name=agent.name), write=False)
        request = cx.ExportAgentRequest(
            name=agent.name, data_format=cx.ExportAgentRequest.DataFormat.JSON_PACKAGE
        )
        exported = slow.wait(slow.agents.export_agent, request, cx.ExportAgentResponse, write=False)
        assert exported.agent_content
