"""dfcx-scrapi, Google's CX scripting library (v3beta1), against `cxops fake` holding a real agent.

Runs where dfcx-scrapi is installed: `python3 dev.py test` makes `.venv-scrapi` with it from PyPI
and runs this file there (CXOPS_REQUIRE_SCRAPI=1 turns a missing install into a failure). In the
main environment, which does not carry scrapi's dependencies, it skips and says so.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

if os.environ.get("CXOPS_REQUIRE_SCRAPI") != "1":
    pytest.importorskip(
        "dfcx_scrapi", reason="dfcx-scrapi not installed (python3 dev.py test runs this in .venv-scrapi)"
    )

from dfcx_scrapi.core.agents import Agents
from dfcx_scrapi.core.changelogs import Changelogs
from dfcx_scrapi.core.entity_types import EntityTypes
from dfcx_scrapi.core.environments import Environments
from dfcx_scrapi.core.flows import Flows
from dfcx_scrapi.core.intents import Intents
from dfcx_scrapi.core.pages import Pages
from dfcx_scrapi.core.sessions import Sessions
from dfcx_scrapi.core.test_cases import TestCases as ScrapiTestCases
from dfcx_scrapi.core.transition_route_groups import TransitionRouteGroups
from dfcx_scrapi.core.versions import Versions
from dfcx_scrapi.core.webhooks import Webhooks
from google.cloud import dialogflowcx_v3 as cx
from google.cloud.dialogflowcx_v3beta1 import AgentsClient, types

from cxops.fake import FakeCX
from cxops.fake.emulator import route_to_emulator, stop_routing
from cxops.package.files import write_zip
from tests.corpus import CORPUS, read_export

AGENT = CORPUS / "Onurzkan__qatar-airways"
pytestmark = pytest.mark.skipif(not AGENT.is_dir(), reason=f"corpus agent not found at {AGENT}")


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[FakeCX, Any, str]]:
    with FakeCX(seed=3) as fake:
        creds = route_to_emulator(fake.address)
        try:
            agents = Agents(creds=creds)
            made = agents.create_agent(
                project_id="scrapi-project",
                display_name="Qatar",
                gcp_region="global",
                time_zone="Europe/Paris",
            )
            # scrapi restores from Cloud Storage only; the stand-in takes the content inline.
            restore = AgentsClient(credentials=creds).restore_agent(
                request=types.RestoreAgentRequest(name=made.name, agent_content=write_zip(read_export(AGENT)))
            )
            restore.result(timeout=60)
            yield fake, creds, made.name
        finally:
            stop_routing()


def test_agents(world: tuple[FakeCX, Any, str]) -> None:
    fake, creds, agent_id = world
    agents = Agents(creds=creds)
    listed = agents.list_agents("scrapi-project", "global")
    assert [a.name for a in listed] == [agent_id]
    got = agents.get_agent(agent_id)
    assert got.default_language_code == "en" and got.display_name == "Qatar"
    assert fake.count("/google.cloud.dialogflow.cx.v3beta1.Agents/GetAgent") >= 1


def test_flows_pages_route_groups(world: tuple[FakeCX, Any, str]) -> None:
    _, creds, agent_id = world
    flows = Flows(creds=creds).list_flows(agent_id)
    names = {f.display_name for f in flows}
    assert "Default Start Flow" in names
    start = next(f for f in flows if f.display_name == "Default Start Flow")
    pages = [p for f in flows for p in Pages(creds=creds).list_pages(f.name)]
    assert pages and all(p.name.startswith(agent_id) for p in pages)
    assert isinstance(TransitionRouteGroups(creds=creds).list_transition_route_groups(start.name), list)


def test_intents_list_get_create_update_dataframe(world: tuple[FakeCX, Any, str]) -> None:
    _, creds, agent_id = world
    intents = Intents(creds=creds)
    listed = intents.list_intents(agent_id)
    assert len(listed) == len(list((AGENT / "intents").iterdir()))
    one = intents.get_intent(listed[0].name)
    assert one.display_name == listed[0].display_name
    made = intents.create_intent(
        agent_id,
        obj=types.Intent(
            display_name="scrapi.made",
            training_phrases=[
                types.Intent.TrainingPhrase(parts=[{"text": "made by scrapi"}], repeat_count=1)
            ],
        ),
    )
    made.description = "updated by scrapi"
    intents.update_intent(made.name, obj=made)
    assert intents.get_intent(made.name).description == "updated by scrapi"
    frame = intents.bulk_intent_to_df(agent_id)
    assert "scrapi.made" in set(frame["display_name"])
    assert "made by scrapi" in set(frame["training_phrase"])


def test_entity_types_and_webhooks(world: tuple[FakeCX, Any, str]) -> None:
    _, creds, agent_id = world
    entity_types = EntityTypes(creds=creds).list_entity_types(agent_id)
    assert len(entity_types) == len(list((AGENT / "entityTypes").iterdir()))
    webhooks = Webhooks(creds=creds).list_webhooks(agent_id)
    assert len(webhooks) == len(list((AGENT / "webhooks").iterdir()))


def test_test_cases_list_and_run(world: tuple[FakeCX, Any, str]) -> None:
    _, creds, agent_id = world
    test_cases = ScrapiTestCases(creds=creds, agent_id=agent_id)
    listed = test_cases.list_test_cases(agent_id)
    assert len(listed) == len(list((AGENT / "testCases").glob("*.json")))
    results = test_cases.batch_run_test_cases([t.name for t in listed[:3]], agent_id)
    assert len(results.results) == 3
    # TEST_RESULT_UNSPECIFIED: the stand-in's undecided test (docs/test-results.md), never CX's.
    verdicts = {types.TestResult.PASSED, types.TestResult.FAILED, types.TestResult.TEST_RESULT_UNSPECIFIED}
    assert {r.test_result for r in results.results} <= verdicts


def test_sessions_detect_intent(world: tuple[FakeCX, Any, str]) -> None:
    _, creds, agent_id = world
    sessions = Sessions(creds=creds, agent_id=agent_id)
    session = f"{agent_id}/sessions/{uuid.uuid4()}"
    result = sessions.detect_intent(agent_id, session, "hello")
    assert result.current_page.display_name
    assert result.language_code == "en"


def test_versions_environments_changelogs(world: tuple[FakeCX, Any, str]) -> None:
    _, creds, agent_id = world
    start = next(f for f in Flows(creds=creds).list_flows(agent_id) if f.display_name == "Default Start Flow")
    versions = Versions(creds=creds)
    versions.create_version(start.name, "v1 from scrapi")
    assert [v.display_name for v in versions.list_versions(start.name)] == ["v1 from scrapi"]
    assert Environments(creds=creds).list_environments(agent_id) == []
    logs = Changelogs(creds=creds).list_changelogs(agent_id)
    assert any(entry.display_name == "scrapi.made" and entry.action == "Create" for entry in logs)
    # The same state read through v3: what scrapi made is there.
    v3 = cx.IntentsClient(credentials=creds)
    assert "scrapi.made" in {i.display_name for i in v3.list_intents(parent=agent_id)}
