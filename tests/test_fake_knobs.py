"""Contract: the knobs of `FakeCX` — call counts, calls log, injected faults, latency, quotas,
shuffled list order, and state saved to and loaded from a file."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from conftest import PARENT, client
from google.api_core import exceptions as gexc
from google.cloud import dialogflowcx_v3 as cx
from google.protobuf import field_mask_pb2

from cxops.fake import FakeCX

V3 = "google.cloud.dialogflow.cx.v3"


def new_agent(agents: cx.AgentsClient, name: str = "Test Agent") -> cx.Agent:
    return agents.create_agent(
        parent=PARENT,
        agent=cx.Agent(
            display_name=name,
            default_language_code="en",
            supported_language_codes=["ja"],
            time_zone="Europe/Paris",
        ),
    )


class Session:
    """A FakeCX of its own with the clients a test needs."""

    def __init__(self, fake: FakeCX) -> None:
        self.fake = fake
        self.channel = grpc.insecure_channel(fake.address)
        self.agents = client(cx.AgentsClient, self.channel)
        self.flows = client(cx.FlowsClient, self.channel)
        self.webhooks = client(cx.WebhooksClient, self.channel)
        self.intents = client(cx.IntentsClient, self.channel)

    def close(self) -> None:
        self.channel.close()


def session(**kw: Any) -> Iterator[Session]:
    with FakeCX(**kw) as fake:
        s = Session(fake)
        try:
            yield s
        finally:
            s.close()


@pytest.fixture
def open_session() -> Iterator[Any]:
    """open_session(**FakeCX kwargs) -> Session; closed at teardown."""
    stack: list[Iterator[Session]] = []

    def start(**kw: Any) -> Session:
        gen = session(**kw)
        stack.append(gen)
        return next(gen)

    yield start
    for gen in reversed(stack):
        gen.close()


def flow_names(flows: cx.FlowsClient, agent: cx.Agent) -> list[str]:
    return [f.display_name for f in flows.list_flows(parent=agent.name)]


# -- call counts -----------------------------------------------------------------------------------


def test_calls_are_counted_per_method(fake: FakeCX, clients: Any, agent: cx.Agent) -> None:
    fake.reset_calls()
    assert fake.calls == {}
    clients.flows.create_flow(parent=agent.name, flow=cx.Flow(display_name="A"))
    clients.flows.create_flow(parent=agent.name, flow=cx.Flow(display_name="B"))
    list(clients.flows.list_flows(parent=agent.name))
    with pytest.raises(gexc.NotFound):  # failed calls count too
        clients.flows.get_flow(name=f"{agent.name}/flows/nope")
    assert fake.calls[f"/{V3}.Flows/CreateFlow"] == 2
    assert fake.count("CreateFlow") == 2
    assert fake.count(f"/{V3}.Flows/CreateFlow") == 2
    assert fake.count("ListFlows", "GetFlow") == 2
    assert fake.count("CreateAgent") == 0
    assert fake.write_count() == 2
    assert fake.read_count() == 2
    fake.reset_calls()
    assert fake.count("CreateFlow") == 0


@pytest.mark.parametrize(
    ("call", "method", "write"),
    [
        pytest.param(lambda c, a: c.agents.get_agent(name=a.name), "Agents/GetAgent", False, id="GetAgent"),
        pytest.param(
            lambda c, a: list(c.intents.list_intents(parent=a.name)),
            "Intents/ListIntents",
            False,
            id="ListIntents",
        ),
        pytest.param(
            lambda c, a: c.webhooks.create_webhook(
                parent=a.name,
                webhook=cx.Webhook(
                    display_name="h", generic_web_service=cx.Webhook.GenericWebService(uri="https://x/")
                ),
            ),
            "Webhooks/CreateWebhook",
            True,
            id="CreateWebhook",
        ),
        pytest.param(
            lambda c, a: c.versions.create_version(parent=a.start_flow, version=cx.Version(display_name="v")),
            "Versions/CreateVersion",
            True,
            id="CreateVersion",
        ),
        pytest.param(
            lambda c, a: c.agents.update_agent(
                agent=a, update_mask=field_mask_pb2.FieldMask(paths=["description"])
            ),
            "Agents/UpdateAgent",
            True,
            id="UpdateAgent",
        ),
    ],
)
def test_each_call_counts_once_as_read_or_write(
    fake: FakeCX, clients: Any, agent: cx.Agent, call: Any, method: str, write: bool
) -> None:
    fake.reset_calls()
    call(clients, agent)
    assert dict(fake.calls) == {f"/{V3}.{method}": 1}
    assert (fake.write_count(), fake.read_count()) == ((1, 0) if write else (0, 1))


# -- calls log -------------------------------------------------------------------------------------


def test_calls_log_has_one_json_line_per_call(tmp_path: Path, open_session: Any) -> None:
    log = tmp_path / "calls.jsonl"
    s = open_session(calls_log=log)
    agent = new_agent(s.agents)
    with pytest.raises(gexc.NotFound):
        s.flows.get_flow(name=f"{agent.name}/flows/nope")
    with pytest.raises(gexc.MethodNotImplemented):
        s.flows.train_flow(name=agent.start_flow)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [set(line) for line in lines] == [{"time", "method", "resource", "status"}] * 3
    assert [(line["method"], line["resource"], line["status"]) for line in lines] == [
        (f"/{V3}.Agents/CreateAgent", PARENT, "OK"),
        (f"/{V3}.Flows/GetFlow", f"{agent.name}/flows/nope", "NOT_FOUND"),
        (f"/{V3}.Flows/TrainFlow", "", "UNIMPLEMENTED"),
    ]
    assert all(isinstance(line["time"], float) and abs(line["time"] - time.time()) < 60 for line in lines)


# -- injected faults -------------------------------------------------------------------------------

FAULTS = [
    pytest.param("CreateFlow", "INTERNAL", gexc.InternalServerError, id="short-name-INTERNAL"),
    pytest.param(
        f"/{V3}.Flows/CreateFlow", "UNAVAILABLE", gexc.ServiceUnavailable, id="full-name-UNAVAILABLE"
    ),
    pytest.param(
        "CreateFlow", "resource_exhausted", gexc.ResourceExhausted, id="lowercase-RESOURCE_EXHAUSTED"
    ),
    pytest.param("CreateFlow", grpc.StatusCode.ABORTED, gexc.Aborted, id="status-code-ABORTED"),
    pytest.param("CreateFlow", "DEADLINE_EXCEEDED", gexc.DeadlineExceeded, id="DEADLINE_EXCEEDED"),
    pytest.param("CreateFlow", "PERMISSION_DENIED", gexc.PermissionDenied, id="PERMISSION_DENIED"),
]


@pytest.mark.parametrize(("method", "code", "error"), FAULTS)
def test_injected_fault_before_commit_writes_nothing(
    fake: FakeCX, clients: Any, agent: cx.Agent, method: str, code: Any, error: type[Exception]
) -> None:
    fake.inject(method, code)
    with pytest.raises(error):
        clients.flows.create_flow(parent=agent.name, flow=cx.Flow(display_name="F"))
    assert flow_names(clients.flows, agent) == ["Default Start Flow"]
    clients.flows.create_flow(parent=agent.name, flow=cx.Flow(display_name="F"))  # the fault is used up
    assert flow_names(clients.flows, agent) == ["Default Start Flow", "F"]


@pytest.mark.parametrize(("method", "code", "error"), FAULTS)
def test_injected_fault_after_commit_writes_yet_fails(
    fake: FakeCX, clients: Any, agent: cx.Agent, method: str, code: Any, error: type[Exception]
) -> None:
    fake.inject(method, code, after_commit=True)
    with pytest.raises(error):
        clients.flows.create_flow(parent=agent.name, flow=cx.Flow(display_name="F"))
    assert flow_names(clients.flows, agent) == ["Default Start Flow", "F"]
    with pytest.raises(gexc.AlreadyExists):  # a blind retry of the write now clashes
        clients.flows.create_flow(parent=agent.name, flow=cx.Flow(display_name="F"))


@pytest.mark.parametrize("count", [1, 3])
def test_injected_fault_count(fake: FakeCX, clients: Any, agent: cx.Agent, count: int) -> None:
    fake.inject("GetAgent", "UNAVAILABLE", count=count)
    for _ in range(count):
        with pytest.raises(gexc.ServiceUnavailable):
            clients.agents.get_agent(name=agent.name)
    assert clients.agents.get_agent(name=agent.name).name == agent.name
    assert fake.count("GetAgent") == count + 1


def test_injected_fault_hits_only_its_method(fake: FakeCX, clients: Any, agent: cx.Agent) -> None:
    fake.inject("DeleteFlow", "INTERNAL")
    clients.flows.create_flow(parent=agent.name, flow=cx.Flow(display_name="F"))
    assert clients.flows.get_flow(name=agent.start_flow)
    with pytest.raises(gexc.InternalServerError):
        clients.flows.delete_flow(name=agent.start_flow)


def test_client_retry_on_unavailable_meets_injected_faults(fake: FakeCX, clients: Any) -> None:
    """The library retries CreateAgent on UNAVAILABLE by itself: two faults, three calls, success."""
    fake.inject("CreateAgent", "UNAVAILABLE", count=2)
    agent = new_agent(clients.agents, "Retried")
    assert agent.display_name == "Retried"
    assert fake.count("CreateAgent") == 3


def test_update_fault_after_commit(fake: FakeCX, clients: Any, agent: cx.Agent) -> None:
    fake.inject("UpdateAgent", "UNAVAILABLE", after_commit=True)
    agent.description = "changed"
    with pytest.raises(gexc.ServiceUnavailable):
        clients.agents.update_agent(agent=agent, update_mask=field_mask_pb2.FieldMask(paths=["description"]))
    assert clients.agents.get_agent(name=agent.name).description == "changed"


# -- latency ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("latency", [0.05, 0.1])
def test_latency_is_added_to_every_call(fake: FakeCX, clients: Any, agent: cx.Agent, latency: float) -> None:
    def three_calls() -> float:
        start = time.perf_counter()
        clients.agents.get_agent(name=agent.name)
        clients.flows.create_flow(parent=agent.name, flow=cx.Flow(display_name=f"F{start}"))
        with pytest.raises(gexc.NotFound):
            clients.flows.get_flow(name=f"{agent.name}/flows/nope")
        return time.perf_counter() - start

    three_calls()  # warm up without the knob
    fake.latency = latency
    assert fake.latency == latency
    slow = three_calls()
    assert slow >= 3 * latency  # each of the three calls waited (they take ~1 ms without the knob)


def test_latency_from_the_constructor(open_session: Any) -> None:
    s = open_session(latency=0.1)
    start = time.perf_counter()
    new_agent(s.agents)
    assert time.perf_counter() - start >= 0.1


# -- quotas ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["constructor", "set_quota"])
def test_read_quota(open_session: Any, how: str) -> None:
    s = open_session(reads_per_minute=3) if how == "constructor" else open_session()
    if how == "set_quota":
        s.fake.set_quota(reads_per_minute=3)
    agent = new_agent(s.agents)
    for _ in range(3):
        s.agents.get_agent(name=agent.name)
    with pytest.raises(gexc.ResourceExhausted):
        s.agents.get_agent(name=agent.name)
    with pytest.raises(gexc.ResourceExhausted):
        list(s.flows.list_flows(parent=agent.name))
    s.flows.create_flow(parent=agent.name, flow=cx.Flow(display_name="F"))  # writes are not limited
    assert s.fake.calls[f"/{V3}.Agents/GetAgent"] == 4


@pytest.mark.parametrize("how", ["constructor", "set_quota"])
def test_write_quota(open_session: Any, how: str) -> None:
    s = open_session(writes_per_minute=3) if how == "constructor" else open_session()
    if how == "set_quota":
        s.fake.set_quota(writes_per_minute=3)
    agent = new_agent(s.agents)
    s.flows.create_flow(parent=agent.name, flow=cx.Flow(display_name="A"))
    s.flows.create_flow(parent=agent.name, flow=cx.Flow(display_name="B"))
    with pytest.raises(gexc.ResourceExhausted):
        s.flows.create_flow(parent=agent.name, flow=cx.Flow(display_name="C"))
    assert flow_names(s.flows, agent) == [
        "Default Start Flow",
        "A",
        "B",
    ]  # reads are not limited; C not written
    s.fake.set_quota()
    s.flows.create_flow(parent=agent.name, flow=cx.Flow(display_name="C"))


# -- shuffled list order ---------------------------------------------------------------------------


def _listing(shuffle_seed: int | None, page_size: int = 0, n: int = 30) -> tuple[list[str], list[str]]:
    """(creation order, listed order) of n webhooks on a fresh FakeCX(seed=7)."""
    with FakeCX(seed=7, shuffle_seed=shuffle_seed) as fake, grpc.insecure_channel(fake.address) as channel:
        agents, hooks = client(cx.AgentsClient, channel), client(cx.WebhooksClient, channel)
        agent = new_agent(agents)
        created = [
            hooks.create_webhook(
                parent=agent.name,
                webhook=cx.Webhook(
                    display_name=f"h{i:02d}",
                    generic_web_service=cx.Webhook.GenericWebService(uri="https://x/"),
                ),
            ).display_name
            for i in range(n)
        ]
        request = cx.ListWebhooksRequest(parent=agent.name, page_size=page_size)
        return created, [w.display_name for w in hooks.list_webhooks(request=request)]


def test_no_shuffle_lists_in_creation_order() -> None:
    created, listed = _listing(None)
    assert listed == created


@pytest.mark.parametrize("shuffle_seed", [1, 2, 3])
def test_shuffle_changes_order_reproducibly(shuffle_seed: int) -> None:
    created, listed = _listing(shuffle_seed)
    assert sorted(listed) == sorted(created)
    assert listed != created
    assert _listing(shuffle_seed)[1] == listed  # same seed, same order


def test_different_shuffle_seeds_differ() -> None:
    assert _listing(1)[1] != _listing(2)[1]


@pytest.mark.parametrize("page_size", [1, 7, 29, 30])
def test_paging_through_a_shuffled_list_yields_each_item_once(page_size: int) -> None:
    created, listed = _listing(5, page_size=page_size)
    assert len(listed) == len(created)
    assert sorted(listed) == sorted(created)


def test_shuffle_seed_can_be_set_on_a_running_fake(fake: FakeCX, clients: Any, agent: cx.Agent) -> None:
    names = [
        clients.intents.create_intent(
            parent=agent.name, intent=cx.Intent(display_name=f"i{i:02d}")
        ).display_name
        for i in range(20)
    ]
    listed = lambda: [i.display_name for i in clients.intents.list_intents(parent=agent.name)][2:]  # noqa: E731
    assert listed() == names
    fake.shuffle_seed = 4
    assert fake.shuffle_seed == 4
    shuffled = [i.display_name for i in clients.intents.list_intents(parent=agent.name)]
    assert sorted(shuffled) == sorted([*names, "Default Welcome Intent", "Default Negative Intent"])
    assert shuffled[2:] != names
    fake.shuffle_seed = None
    assert listed() == names


# -- state file ------------------------------------------------------------------------------------


def _populate(s: Session) -> dict[str, Any]:
    agent = new_agent(s.agents)
    pages = client(cx.PagesClient, s.channel)
    page = pages.create_page(
        parent=agent.start_flow,
        page=cx.Page(
            display_name="P",
            entry_fulfillment=cx.Fulfillment(
                messages=[cx.ResponseMessage(text=cx.ResponseMessage.Text(text=["en"]))]
            ),
        ),
    )
    page.entry_fulfillment.messages[0].text.text[0] = "ja"
    pages.update_page(request=cx.UpdatePageRequest(page=page, language_code="ja"))
    settings = cx.GenerativeSettings(
        name=f"{agent.name}/generativeSettings",
        language_code="en",
        knowledge_connector_settings=cx.GenerativeSettings.KnowledgeConnectorSettings(business="Acme"),
    )
    s.agents.update_generative_settings(generative_settings=settings)
    op = client(cx.VersionsClient, s.channel).create_version(
        parent=agent.start_flow, version=cx.Version(display_name="v")
    )
    return {"agent": agent.name, "page": page.name, "operation": op.operation.name}


def _check(s: Session, made: dict[str, Any]) -> None:
    assert s.agents.get_agent(name=made["agent"]).display_name == "Test Agent"
    pages = client(cx.PagesClient, s.channel)
    for language in ("en", "ja"):
        page = pages.get_page(request=cx.GetPageRequest(name=made["page"], language_code=language))
        assert page.entry_fulfillment.messages[0].text.text == [language]
    settings = s.agents.get_generative_settings(
        request=cx.GetGenerativeSettingsRequest(
            name=f"{made['agent']}/generativeSettings", language_code="en"
        )
    )
    assert settings.knowledge_connector_settings.business == "Acme"
    versions = client(cx.VersionsClient, s.channel)
    assert versions.get_operation(request={"name": made["operation"]}).done
    assert [i.display_name for i in s.intents.list_intents(parent=made["agent"])] == [
        "Default Welcome Intent",
        "Default Negative Intent",
    ]


def test_state_file_is_saved_on_stop_and_loaded_on_start(tmp_path: Path, open_session: Any) -> None:
    state = tmp_path / "state.json"
    with FakeCX(state_file=state) as fake:
        s = Session(fake)
        made = _populate(s)
        s.close()
        assert not state.exists()
    assert state.exists()  # saved by stop()
    _check(open_session(state_file=state), made)


def test_explicit_save_then_load(tmp_path: Path, open_session: Any) -> None:
    first = open_session()
    made = _populate(first)
    state = tmp_path / "explicit.json"
    first.fake.save(state)
    second = open_session(state_file=state)
    _check(second, made)
    # the two servers are independent from here on
    second.flows.create_flow(parent=made["agent"], flow=cx.Flow(display_name="Only in second"))
    assert flow_names(first.flows, cx.Agent(name=made["agent"])) == ["Default Start Flow"]


def test_save_without_a_path_needs_a_state_file(fake: FakeCX) -> None:
    with pytest.raises(ValueError):
        fake.save()


@pytest.mark.parametrize("seed", [None, 1])
def test_loaded_fake_never_reuses_a_taken_name(tmp_path: Path, open_session: Any, seed: int | None) -> None:
    """A restart on the same state (and the same --seed) must not hand out a name already taken."""
    first = open_session(seed=seed)
    agent = new_agent(first.agents)
    before = [
        first.flows.create_flow(parent=agent.name, flow=cx.Flow(display_name=f"old{i}")).name
        for i in range(5)
    ]
    state = tmp_path / "s.json"
    first.fake.save(state)
    second = open_session(state_file=state, seed=seed)
    with pytest.raises(gexc.AlreadyExists):
        second.flows.create_flow(parent=agent.name, flow=cx.Flow(display_name="Default Start Flow"))
    after = [
        second.flows.create_flow(parent=agent.name, flow=cx.Flow(display_name=f"new{i}")).name
        for i in range(20)
    ]
    assert not set(after) & set(before)
    listed = flow_names(second.flows, agent)
    assert listed == ["Default Start Flow"] + [f"old{i}" for i in range(5)] + [f"new{i}" for i in range(20)]


def test_loaded_fake_never_reuses_a_route_id(tmp_path: Path, open_session: Any) -> None:
    """Routes added after a restart with the same seed get ids of their own, so languages stay apart."""
    first = open_session(seed=1)
    agent = new_agent(first.agents)
    state = tmp_path / "s.json"
    first.fake.save(state)
    second = open_session(state_file=state, seed=1)
    flow = second.flows.get_flow(name=agent.start_flow)
    for i in range(10):  # the welcome route's id was the 7th draw of the seeded generator
        flow.transition_routes.append(cx.TransitionRoute(condition=f"$session.params.n = {i}"))
    updated = second.flows.update_flow(flow=flow)
    ids = [r.name for r in updated.transition_routes]
    assert len(set(ids)) == len(ids) == 11
    assert updated.transition_routes[0].trigger_fulfillment.messages  # the welcome route kept its message
    assert not updated.transition_routes[1].trigger_fulfillment.messages
