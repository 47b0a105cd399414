"""The stand-in keeps what RestoreAgent received beyond the v3 API's fields and gives it back on
ExportAgent, as the real service does: restore of a real export then ``pull --via export`` is
the tree ``import`` makes of it, byte for byte, and ``pull --via list`` differs from it only in
the export-only keys docs/commands.md lists. Through the real client and the CLI."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from google.cloud import dialogflowcx_v3 as cx
from google.protobuf import field_mask_pb2

from cxops.cli.main import main
from cxops.fake import FakeCX
from cxops.fake.store import Store
from cxops.model.exportonly import descriptor_of, export_only_keys, extract, merge_body
from cxops.model.snapshot import Key
from cxops.package.files import read_zip_bytes, write_zip
from cxops.package.reader import snapshot_from_package
from cxops.repo.tree import read_tree
from tests.corpus import CORPUS, agent_dirs, read_export
from tests.test_pull import PROJECT, files_of, stage_file

README = Path(__file__).resolve().parents[1] / "docs" / "commands.md"
# The largest corpus agent takes most of this file's time; CXOPS_ALL_CORPUS=1 runs it too.
LARGE = {"mohitgour08__dialogflowcx"}


def readme_list() -> set[str]:
    """``Message.key`` pairs of the "What `--via list` cannot see" list in docs/commands.md."""
    text = README.read_text(encoding="utf-8")
    section = text.split("What `--via list` cannot see", 1)[1].split("\n\n", 2)[1]
    out = set()
    for line in section.splitlines():
        message, _, keys = line.removeprefix("- ").partition(": ")
        out |= {f"{message}.{key}" for key in re.findall(r"`([a-z_]+)`", keys)}
    return out


def restore_raw(clients: Any, folder: Path) -> tuple[str, bool]:
    """A new agent restored from the export exactly as Google wrote it: its id, and whether the
    export names the agent (a CX agent always has a display name; some exports leave it out)."""
    package = read_export(folder)
    snapshot, _ = snapshot_from_package(package)
    agent = clients.agents.create_agent(
        parent=f"projects/{PROJECT}/locations/global",
        agent=cx.Agent(
            display_name=snapshot.agent.get("display_name", folder.name),
            default_language_code=snapshot.agent["default_language_code"],
            supported_language_codes=snapshot.agent.get("supported_language_codes", []),
            time_zone=snapshot.agent["time_zone"],
        ),
    )
    clients.agents.restore_agent(
        request=cx.RestoreAgentRequest(name=agent.name, agent_content=write_zip(package))
    ).result(timeout=60)
    return str(agent.name).rsplit("/", 1)[-1], "display_name" in snapshot.agent


def tree_files(root: Path, agent: str, unnamed: str | None) -> dict[str, bytes]:
    files = files_of(root / "agents" / agent)
    if unnamed is not None:
        first, rest = files["agent.yaml"].split(b"\n", 1)
        assert first == f"display_name: {unnamed}".encode()
        files["agent.yaml"] = rest
    return files


@pytest.mark.parametrize("folder", agent_dirs())
def test_restore_then_pull_via_export_is_the_import_and_via_list_lacks_only_the_listed_keys(
    folder: Path, fake: FakeCX, clients: Any, tmp_path: Path
) -> None:
    if folder.name in LARGE and not os.environ.get("CXOPS_ALL_CORPUS"):
        pytest.skip("large agent (about 25 s); set CXOPS_ALL_CORPUS=1 to run it")
    agent_id, named = restore_raw(clients, folder)
    unnamed = None if named else folder.name
    stage_file(tmp_path, "dev", "by-export", agent_id)
    stage_file(tmp_path, "dev2", "by-list", agent_id)
    host = ["--root", str(tmp_path), "--emulator-host", fake.address]
    assert main([*host, "-q", "import", str(folder), "--agent", "imported"]) == 0
    assert main([*host, "-q", "pull", "dev", "--via", "export"]) == 0
    assert main([*host, "-q", "pull", "dev2", "--via", "list"]) == 0
    assert tree_files(tmp_path, "by-export", unnamed) == tree_files(tmp_path, "imported", None)

    by_export = read_tree(tmp_path / "agents" / "by-export").resources
    by_list = read_tree(tmp_path / "agents" / "by-list").resources
    assert by_export.keys() == by_list.keys()
    seen: set[str] = set()
    for key, body in by_export.items():
        desc = descriptor_of(key.kind)
        if key.kind == "generative_settings":
            held: Any = {lang: extract(b, desc) for lang, b in body.items()}
            for one in held.values():
                seen |= export_only_keys(one, desc)
        else:
            held = extract(body, desc)
            seen |= export_only_keys(held, desc)
        # The list's tree plus the export-only content is the export's tree: nothing else differs.
        assert merge_body(by_list[key], held, key.kind) == body, key
    assert seen <= readme_list(), sorted(seen - readme_list())


def test_the_readme_lists_export_only_keys() -> None:
    assert {
        "Agent.enable_logging",
        "Flow.nlu_settings_list",
        "DtmfSettings.use_system_entity_rule",
    } <= readme_list()


def exported(clients: Any, agent: str) -> Any:
    request = cx.ExportAgentRequest(name=agent, data_format=cx.ExportAgentRequest.DataFormat.JSON_PACKAGE)
    content = clients.agents.export_agent(request=request).result(timeout=30).agent_content
    return snapshot_from_package(read_zip_bytes(bytes(content)))[0]


def test_kept_across_updates_that_miss_it_dropped_by_delete_and_saved_in_the_state(
    fake: FakeCX, clients: Any, tmp_path: Path
) -> None:
    folder = CORPUS / "aaronblythe__aaron_banking"
    if not folder.is_dir():
        pytest.skip(f"corpus agent not found at {folder}")
    agent = f"projects/{PROJECT}/locations/global/agents/{restore_raw(clients, folder)[0]}"
    flow_key = Key("flow", "", "Lost or Stolen Credit Card")
    before = exported(clients, agent)
    assert "nlu_settings_list" in before.resources[flow_key]
    assert before.agent["advanced_settings"]["playback_interruption_settings"] == {}

    mask = field_mask_pb2.FieldMask(paths=["time_zone"])
    clients.agents.update_agent(agent=cx.Agent(name=agent, time_zone="Europe/Paris"), update_mask=mask)
    assert exported(clients, agent).agent["duplex_settings"] == {}
    # An update of advanced_settings replaces the message the export-only key sat in.
    mask = field_mask_pb2.FieldMask(paths=["advanced_settings"])
    clients.agents.update_agent(agent=cx.Agent(name=agent), update_mask=mask)
    after = exported(clients, agent)
    assert "advanced_settings" not in after.agent and after.agent["duplex_settings"] == {}

    flow = next(f for f in clients.flows.list_flows(parent=agent) if f.display_name == flow_key.name)
    clients.flows.delete_flow(request=cx.DeleteFlowRequest(name=flow.name, force=True))
    clients.flows.create_flow(parent=agent, flow=cx.Flow(display_name=flow_key.name))
    renewed = exported(clients, agent)
    assert "nlu_settings_list" not in renewed.resources[flow_key]

    state = tmp_path / "state.json"
    fake.service.store.save(state)
    fake.service.store = Store.load(state)
    assert exported(clients, agent).resources == renewed.resources


def test_content_in_a_language_the_agent_does_not_list_is_kept_and_left_out_of_plans(
    fake: FakeCX, clients: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Real exports hold such content (an es-us message in an agent without es-us, left from an
    # earlier language setting): restore keeps it, export gives it back, the API serves none of it.
    source = CORPUS / "aaronblythe__aaron_banking"
    if not source.is_dir():
        pytest.skip(f"corpus agent not found at {source}")
    folder = tmp_path / "export"
    page = "flows/Dob Collection/pages/end success.json"
    for rel, data in read_export(source).items():
        if rel == page:
            body = json.loads(data)
            body["entryFulfillment"]["messages"].append(
                {"text": {"text": ["Listo, tenemos su fecha de nacimiento."]}, "languageCode": "es-us"}
            )
            data = json.dumps(body, indent=2).encode()
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    root = tmp_path / "repo"
    agent_id, named = restore_raw(clients, folder)
    stage_file(root, "dev", "by-export", agent_id)
    stage_file(root, "dev2", "by-list", agent_id)
    host = ["--root", str(root), "--emulator-host", fake.address]
    assert main([*host, "-q", "import", str(folder), "--agent", "imported"]) == 0
    assert main([*host, "-q", "pull", "dev", "--via", "export"]) == 0
    unnamed = None if named else folder.name
    assert tree_files(root, "by-export", unnamed) == tree_files(root, "imported", None)
    assert b"es-us" in files_of(root / "agents" / "by-export")["flows/Dob Collection/pages/end success.yaml"]
    # Plan and drift compare what CX serves: the es-us message is no difference, run after run.
    assert main([*host, "plan", "dev", "--detailed-exitcode"]) == 0
    assert main([*host, "drift", "dev"]) == 0
    # A pull through the API keeps it from the current tree, as it keeps export-only keys.
    shutil.copytree(root / "agents" / "by-export", root / "agents" / "by-list")
    before = files_of(root / "agents" / "by-list")
    assert main([*host, "-q", "pull", "dev2", "--via", "list"]) == 0
    assert files_of(root / "agents" / "by-list") == before
    capsys.readouterr()
    # lint names the file and the language.
    main([*host, "lint", "by-export"])
    shown = capsys.readouterr()
    out = shown.out + shown.err
    assert "end success.yaml" in out and "languages/unsupported-language-content" in out and "es-us" in out
