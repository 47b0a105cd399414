"""Shared fixtures: a fresh `cxops fake` per test and real CX clients over plaintext gRPC."""

from __future__ import annotations

import os

os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
# Apply waits this long after taking a stage's lease before it reads it back (workflows/lease.py):
# a moment in tests, where the stand-in answers in microseconds.
os.environ.setdefault("CXOPS_LEASE_SETTLE_SECONDS", "0.02")
# A re-run of this suite on GitHub Actions must not make every apply a re-run attempt: the tests
# that need one set it themselves (tests/test_lease.py).
os.environ.pop("GITHUB_RUN_ATTEMPT", None)

from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import grpc
import pytest
from google.cloud import dialogflowcx_v3 as cx

from cxops.fake import FakeCX

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
PARENT = "projects/test-project/locations/global"

T = TypeVar("T")


@pytest.fixture
def fake() -> Iterator[FakeCX]:
    with FakeCX(seed=7) as server:
        yield server


@pytest.fixture
def channel(fake: FakeCX) -> Iterator[grpc.Channel]:
    # No message size cap, as on the library's own channels: listings of big agents exceed 4 MB.
    ch = grpc.insecure_channel(
        fake.address,
        options=[("grpc.max_receive_message_length", -1), ("grpc.max_send_message_length", -1)],
    )
    yield ch
    ch.close()


def client(cls: type[T], channel: grpc.Channel) -> T:
    """A real library client on a plaintext channel, no credentials."""
    transport = cls.get_transport_class("grpc")(channel=channel)  # type: ignore[attr-defined]
    return cls(transport=transport)  # type: ignore[call-arg,no-any-return]


@pytest.fixture
def clients(channel: grpc.Channel) -> Any:
    """Every v3 service client, e.g. ``clients.flows.list_flows(...)``."""

    class Clients:
        agents = client(cx.AgentsClient, channel)
        flows = client(cx.FlowsClient, channel)
        pages = client(cx.PagesClient, channel)
        route_groups = client(cx.TransitionRouteGroupsClient, channel)
        intents = client(cx.IntentsClient, channel)
        entity_types = client(cx.EntityTypesClient, channel)
        webhooks = client(cx.WebhooksClient, channel)
        test_cases = client(cx.TestCasesClient, channel)
        generators = client(cx.GeneratorsClient, channel)
        playbooks = client(cx.PlaybooksClient, channel)
        examples = client(cx.ExamplesClient, channel)
        tools = client(cx.ToolsClient, channel)
        versions = client(cx.VersionsClient, channel)
        environments = client(cx.EnvironmentsClient, channel)

    return Clients


@pytest.fixture
def agent(clients: Any) -> cx.Agent:
    """A new bilingual agent (en default, ja supported)."""
    return clients.agents.create_agent(
        parent=PARENT,
        agent=cx.Agent(
            display_name="Test Agent",
            default_language_code="en",
            supported_language_codes=["ja"],
            time_zone="Europe/Paris",
        ),
    )
