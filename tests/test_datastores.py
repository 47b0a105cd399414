"""Data store references held stage-neutrally (issue 31 item 2): import leaves the exporting
project out of the tree, apply writes the stage's project and data store location (and the
stage's own store ids), pull swaps them back. Through the real client against `cxops fake`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cxops.cli.main import main
from cxops.fake import FakeCX
from cxops.model import datastores
from cxops.package.reader import snapshot_from_package
from cxops.package.writer import package_files
from cxops.repo.tree import read_tree
from tests.lossless import default_intents, differences, write_export
from tests.stagerepo import empty_agent, stage_file

DEV_NUMBER = "918273645012"
STORE = "collections/default_collection/dataStores/faq_1719761127966"
ENGINE = "collections/default_collection/engines/faq-engine_1719761127966"


def dev_path(rest: str, location: str = "global") -> str:
    return f"projects/{DEV_NUMBER}/locations/{location}/{rest}"


def export_with_stores() -> dict[str, bytes]:
    """An export whose start flow and one page connect dev's data stores (both name formats),
    and whose agent names dev's Vertex AI Search engine."""
    connections = [
        {"dataStoreType": "UNSTRUCTURED", "dataStore": dev_path(STORE)},
        {"dataStoreType": "STRUCTURED", "dataStore": dev_path("dataStores/short_1")},
    ]
    flow = {
        "name": "00000000-0000-0000-0000-000000000000",
        "displayName": "Default Start Flow",
        "transitionRoutes": [{"condition": "true", "targetPage": "FAQ"}],
        "knowledgeConnectorSettings": {"enabled": True, "dataStoreConnections": connections},
    }
    page = {
        "name": "7b0e3a52-1c4d-4f7e-9a2b-3d5c6e7f8a90",
        "displayName": "FAQ",
        "knowledgeConnectorSettings": {"enabled": True, "dataStoreConnections": connections[:1]},
    }
    agent = {
        "displayName": "Stores",
        "defaultLanguageCode": "en",
        "timeZone": "UTC",
        "startFlow": "Default Start Flow",
        "projectNumber": int(DEV_NUMBER),
        "genAppBuilderSettings": {"engine": dev_path(ENGINE)},
    }
    return {
        "agent.json": json.dumps(agent).encode(),
        "flows/Default Start Flow/Default Start Flow.json": json.dumps(flow).encode(),
        "flows/Default Start Flow/pages/FAQ.json": json.dumps(page).encode(),
        **default_intents(),
    }


def imported(tmp_path: Path) -> Path:
    folder = write_export(tmp_path / "export", export_with_stores())
    root = tmp_path / "repo"
    assert main(["--root", str(root), "-q", "import", str(folder), "--agent", "stores"]) == 0
    return root


def tree_text(root: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted((root / "agents").rglob("*.yaml")))


def test_import_leaves_the_exporting_project_out_of_the_tree(tmp_path: Path) -> None:
    root = imported(tmp_path)
    text = tree_text(root)
    assert DEV_NUMBER not in text and "projects/" not in text
    flow = (root / "agents/stores/flows/Default Start Flow/flow.yaml").read_text(encoding="utf-8")
    assert f"data_store: {STORE}\n" in flow and "data_store: dataStores/short_1\n" in flow
    assert f"engine: {ENGINE}\n" in (root / "agents/stores/agent.yaml").read_text(encoding="utf-8")
    # The package names the same stores; its project and location are unbound ("-").
    packaged = package_files(read_tree(root / "agents" / "stores"))
    assert differences(export_with_stores(), packaged) == []
    page = json.loads(packaged["flows/Default Start Flow/pages/FAQ.json"])
    assert page["knowledgeConnectorSettings"]["dataStoreConnections"][0]["dataStore"] == (
        f"projects/-/locations/-/{STORE}"
    )


def test_a_package_bound_to_a_stage_agent_names_its_project_and_store_location() -> None:
    snapshot, _ = snapshot_from_package(export_with_stores())
    files = package_files(snapshot, "projects/acme-bots-prd/locations/europe-west1/agents/a1")
    flow = json.loads(files["flows/Default Start Flow/Default Start Flow.json"])
    stores = [c["dataStore"] for c in flow["knowledgeConnectorSettings"]["dataStoreConnections"]]
    # An agent in europe-west1 uses the eu multi-region's data stores (Google's region table).
    assert stores == [
        f"projects/acme-bots-prd/locations/eu/{STORE}",
        "projects/acme-bots-prd/locations/eu/dataStores/short_1",
    ]
    agent = json.loads(files["agent.json"])
    assert agent["genAppBuilderSettings"]["engine"] == f"projects/acme-bots-prd/locations/eu/{ENGINE}"


def live_stores(clients: Any, agent: str) -> list[str]:
    got = clients.agents.get_agent(name=agent)
    flow = clients.flows.get_flow(name=got.start_flow)
    pages = clients.pages.list_pages(parent=got.start_flow)
    found = [c.data_store for c in flow.knowledge_connector_settings.data_store_connections]
    for page in pages:
        found += [c.data_store for c in page.knowledge_connector_settings.data_store_connections]
    return [*found, got.gen_app_builder_settings.engine]


@pytest.mark.parametrize("location", ["global", "us-central1"])
def test_apply_writes_the_stages_project_and_store_ids_and_pull_swaps_them_back(
    fake: FakeCX, clients: Any, tmp_path: Path, location: str
) -> None:
    root = imported(tmp_path)
    project = "acme-bots-stg"
    agent = clients.agents.create_agent(
        parent=f"projects/{project}/locations/{location}",
        agent={"display_name": "Stores", "default_language_code": "en", "time_zone": "UTC"},
    )
    agent_id = agent.name.rsplit("/", 1)[-1]
    extra = (
        "data_stores:\n  faq_1719761127966: faq-stg_1720000000000\n"
        "overrides:\n  agent:\n    gen_app_builder_settings.engine: collections/default_collection/engines/stg-engine\n"
    )
    stage = stage_file(root, "stg", "stores", project, agent_id, extra)
    stage.write_text(stage.read_text().replace("location: global", f"location: {location}"))
    host = ["--root", str(root), "--emulator-host", fake.address, "-q"]
    assert main([*host, "apply", "stg", "--auto-approve"]) == 0
    parent = f"projects/{project}/locations/{datastores.store_location(location)}"
    assert live_stores(clients, agent.name) == [
        f"{parent}/collections/default_collection/dataStores/faq-stg_1720000000000",
        f"{parent}/dataStores/short_1",
        f"{parent}/collections/default_collection/dataStores/faq-stg_1720000000000",
        f"{parent}/collections/default_collection/engines/stg-engine",
    ]
    assert main([*host, "plan", "stg", "--detailed-exitcode"]) == 0
    for via in ("list", "export"):
        before = tree_text(root)
        assert main([*host, "pull", "stg", "--via", via]) == 0
        assert tree_text(root) == before, via  # the stage's ids and project never reach the tree


def test_plan_sees_a_live_agent_pointing_at_another_store(fake: FakeCX, clients: Any, tmp_path: Path) -> None:
    root = imported(tmp_path)
    agent_id = empty_agent(clients, "acme-bots-stg", ["en"], "Stores")
    stage_file(root, "stg", "stores", "acme-bots-stg", agent_id)
    host = ["--root", str(root), "--emulator-host", fake.address, "-q"]
    assert main([*host, "apply", "stg", "--auto-approve"]) == 0
    stage_file(root, "stg", "stores", "acme-bots-stg", agent_id, "data_stores:\n  short_1: short-stg\n")
    assert main([*host, "plan", "stg", "--detailed-exitcode"]) == 3  # changes


@pytest.mark.parametrize(
    ("data_stores", "line", "message"),
    [
        ("{faq_1719761127966: projects/p/locations/global/dataStores/x}", 5, "write only the data store id"),
        ("{faq_1719761127966: Faq Store}", 5, "is not a data store id"),
        ("{faq_1719761127966: same, short_1: same}", 5, "faq_1719761127966 and short_1 both become same"),
        ("{not_in_tree: x}", 5, "agents/stores references no data store 'not_in_tree'"),
    ],
)
def test_a_bad_data_store_override_is_refused_naming_file_line_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data_stores: str, line: int, message: str
) -> None:
    root = imported(tmp_path)
    stage_file(root, "stg", "stores", "acme-bots-stg", "a1", f"data_stores: {data_stores}\n")
    before = sorted(p for p in root.rglob("*") if p.is_file())
    capsys.readouterr()
    assert main(["--root", str(root), "validate"]) == 1
    err = capsys.readouterr()
    assert f"environments/stg.yaml:{line}: data_stores" in err.out + err.err
    assert message in err.out + err.err
    assert "Traceback" not in err.err
    assert sorted(p for p in root.rglob("*") if p.is_file()) == before
