"""Lossless by value (issue 31): an export's values survive import -> tree -> package, and
apply -> pull on the stand-in, compared with the original export file by file
(tests/lossless.py says what counts as noise). Through the real client against `cxops fake`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from cxops.cli.main import main
from cxops.fake import FakeCX
from cxops.package.reader import snapshot_from_package
from cxops.package.writer import package_files
from cxops.repo.tree import read_tree
from tests.corpus import agent_dirs, read_export
from tests.lossless import default_intents, differences, write_export
from tests.stagerepo import empty_agent, stage_file
from tests.test_promote_corpus import secret_config

PROJECT = "acme-bots-stg"
# The largest corpus agent takes most of the apply -> pull time; CXOPS_ALL_CORPUS=1 runs it too.
LARGE = {"mohitgour08__dialogflowcx"}
DANGLING = {"ggen-matayuuu__agent-builder-retail-demo"}  # names a tool missing from its own export

# Every kind of JSON value, and absence, where the API holds a google.protobuf.Value.
VALUES: list[Any] = ["", 0, 0.5, False, True, [], {}, None, "null", [0, "", None], {"a": {}, "b": False}]


@pytest.mark.parametrize("folder", agent_dirs())
def test_package_has_the_values_of_the_original_export(folder: Path) -> None:
    original = read_export(folder)
    snapshot, _ = snapshot_from_package(original)
    assert differences(original, package_files(snapshot)) == []


@pytest.mark.parametrize("folder", agent_dirs())
def test_apply_then_pull_has_the_values_of_the_original_export(
    folder: Path, fake: FakeCX, clients: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if folder.name in LARGE and not os.environ.get("CXOPS_ALL_CORPUS"):
        pytest.skip("large agent (about 30 s on the stand-in); set CXOPS_ALL_CORPUS=1 to run it")
    if folder.name in DANGLING:
        pytest.skip("its playbook example names a tool missing from its own export: no apply")
    original = read_export(folder)
    root = tmp_path / "repo"
    host = ["--root", str(root), "--emulator-host", fake.address]
    assert main([*host, "-q", "import", str(folder), "--agent", "bot"]) == 0
    tree = read_tree(root / "agents" / "bot")
    languages = [tree.agent["default_language_code"], *tree.agent.get("supported_language_codes", [])]
    agent_id = empty_agent(clients, PROJECT, languages)
    stage_file(root, "stg", "bot", PROJECT, agent_id, secret_config(tree, monkeypatch))
    assert main([*host, "-q", "apply", "stg", "--auto-approve"]) == 0
    # The applied tree is removed, so that what is compared is what pull wrote from the stand-in.
    for path in sorted((root / "agents" / "bot").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    assert main([*host, "-q", "pull", "stg", "--via", "list"]) == 0
    pulled = package_files(read_tree(root / "agents" / "bot"))
    # Apply writes through the API, which has no field for an export's export-only keys (README
    # "What `--via list` cannot see"; how they are carried is issue 24's): the v3 fields only.
    found = differences(original, pulled, known_only=True)
    assert found == [], "\n".join(found[:40])


def one_flow_export(values: list[Any]) -> dict[str, bytes]:
    """A minimal export whose start flow sets one parameter to each value, has a form-less
    route with a custom payload of each value, and a parameter set with no value."""
    actions = [{"parameter": f"p{i}", "value": v} for i, v in enumerate(values)] + [{"parameter": "unset"}]
    flow = {
        "name": "00000000-0000-0000-0000-000000000000",
        "displayName": "Default Start Flow",
        "transitionRoutes": [
            {
                "condition": "true",
                "triggerFulfillment": {
                    "messages": [{"payload": {"v": v}, "languageCode": "en"} for v in values],
                    "setParameterActions": actions,
                },
                "targetPage": "End Session",
            }
        ],
        "eventHandlers": [],
    }
    agent = {
        "displayName": "Values",
        "defaultLanguageCode": "en",
        "timeZone": "UTC",
        "startFlow": "Default Start Flow",
    }
    return {
        "agent.json": json.dumps(agent).encode(),
        "flows/Default Start Flow/Default Start Flow.json": json.dumps(flow).encode(),
        **default_intents(),
    }


def test_every_json_value_survives_import_the_tree_and_the_package(tmp_path: Path) -> None:
    export = one_flow_export(VALUES)
    folder = write_export(tmp_path / "export", export)
    root = tmp_path / "repo"
    assert main(["--root", str(root), "-q", "import", str(folder), "--agent", "values"]) == 0
    text = (root / "agents/values/flows/Default Start Flow/flow.yaml").read_text(encoding="utf-8")
    for line in ("value: ''", "value: 0", "value: false", "value: null", "value: []", "value: {}"):
        assert f"    {line}\n" in text, line
    assert "- parameter: unset\n" in text and "parameter: unset\n    value" not in text
    packaged = package_files(read_tree(root / "agents" / "values"))
    assert differences(export, packaged) == []
    flow = json.loads(packaged["flows/Default Start Flow/Default Start Flow.json"])
    actions = flow["transitionRoutes"][0]["triggerFulfillment"]["setParameterActions"]
    assert [a.get("value", "absent") for a in actions] == [*VALUES, "absent"]


def test_every_json_value_survives_apply_and_pull_on_the_stand_in(
    fake: FakeCX, clients: Any, tmp_path: Path
) -> None:
    export = one_flow_export(VALUES)
    folder = write_export(tmp_path / "export", export)
    root = tmp_path / "repo"
    host = ["--root", str(root), "--emulator-host", fake.address]
    assert main([*host, "-q", "import", str(folder), "--agent", "values"]) == 0
    # The agent's display name is each stage's own (apply never writes it): the stage's agent
    # has the export's, so that the comparison sees what apply and pull do to the content.
    agent_id = empty_agent(clients, PROJECT, ["en"], "Values")
    stage_file(root, "stg", "values", PROJECT, agent_id)
    assert main([*host, "-q", "apply", "stg", "--auto-approve"]) == 0
    for via in ("list", "export"):
        out = tmp_path / via  # a fresh repository: what is compared is what pull wrote
        stage_file(out, "stg", "values", PROJECT, agent_id)
        assert (
            main(["--root", str(out), "--emulator-host", fake.address, "-q", "pull", "stg", "--via", via])
            == 0
        )
        pulled = package_files(read_tree(out / "agents" / "values"))
        found = differences(export, pulled)
        assert found == [], "\n".join([via, *found])
