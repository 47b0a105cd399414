"""Keys CX exports that cxops has no schema for are carried exactly as exported (SPEC §2 rule 9);
a person's typo is still refused. Through the CLI, and the real client against the stand-in."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from google.cloud import dialogflowcx_v3 as cx

from cxops.cli.main import main
from cxops.fake import FakeCX
from cxops.package.files import read_zip_bytes
from cxops.package.writer import package_files
from cxops.repo.tree import read_tree
from tests.corpus import agent_dirs, read_export
from tests.test_pull import PROJECT, files_of, stage_file

SAMPLE = Path(__file__).resolve().parents[1] / "agents" / "order-desk"

# Invented future keys: a snake_case key, float32-looking digits, a resource path and a one-word
# key inside, none of which cxops may change.
FUTURE: Any = {
    "mode": "STRICT",
    "thresholdRatio": 0.30000001,
    "inner_snake": [1, 2.5, "projects/p/locations/global/agents/a/flows/f"],
    "deeperCase": {"ToState": None, "count": "12"},
}


def _tool() -> dict[str, Any]:
    return {
        "name": "5b0e4c8e-0000-4000-8000-000000000001",
        "displayName": "Stock Lookup",
        "description": "Looks a product up in the stock system.",
        "functionSpec": {
            "inputSchema": {"type": "object", "properties": {"sku": {"type": "string"}}},
            "futureSpecKey": FUTURE,
            "seed": 42,
        },
        "futureToolKey": [FUTURE, {"plain": True}],
    }


def future_export() -> tuple[dict[str, bytes], list[tuple[str, tuple[str | int, ...]]]]:
    """The sample agent's package with invented keys at several depths, and where each is."""
    files = package_files(read_tree(SAMPLE))
    spots: list[tuple[str, tuple[str | int, ...]]] = []

    def edit(path: str, at: tuple[str | int, ...], key: str, value: Any) -> None:
        data = json.loads(files[path])
        obj = data
        for step in at:
            obj = obj[step]
        obj[key] = value
        files[path] = json.dumps(data, indent=2).encode()
        spots.append((path, (*at, key)))

    edit("agent.json", (), "futureAgentSetting", FUTURE)
    edit("agent.json", ("advancedSettings",), "futureAdvancedKey", {"enabledEverywhere": True})
    page, at = next(
        (p, ("transitionRoutes", i, "triggerFulfillment"))
        for p in sorted(files)
        if "/pages/" in p
        for i, route in enumerate(json.loads(files[p]).get("transitionRoutes", []))
        if "triggerFulfillment" in route
    )
    edit(page, at, "futureFulfillmentKey", FUTURE)
    test_case = next(p for p in sorted(files) if p.startswith("testCases/"))
    edit(test_case, ("testCaseConversationTurns", 0, "virtualAgentOutput"), "futureOutputKey", FUTURE)
    edit(test_case, ("testCaseConversationTurns", 0, "userInput"), "futureInputKey", "as is")
    files["tools/Stock Lookup/Stock Lookup.json"] = json.dumps(_tool(), indent=2).encode()
    spots += [
        ("tools/Stock Lookup/Stock Lookup.json", ("futureToolKey",)),
        ("tools/Stock Lookup/Stock Lookup.json", ("functionSpec", "futureSpecKey")),
        ("tools/Stock Lookup/Stock Lookup.json", ("functionSpec", "seed")),
    ]
    return files, spots


def at(files: dict[str, bytes], path: str, where: tuple[str | int, ...]) -> Any:
    obj = json.loads(files[path])
    for step in where:
        obj = obj[step]
    return obj


def write_folder(files: dict[str, bytes], folder: Path) -> Path:
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return folder


def test_future_keys_import_validate_package_restore_and_pull_back_unchanged(
    fake: FakeCX, clients: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export, spots = future_export()
    root = tmp_path / "repo"
    assert (
        main(
            ["--root", str(root), "import", str(write_folder(export, tmp_path / "export")), "--agent", "bot"]
        )
        == 0
    )
    tree = files_of(root / "agents" / "bot")
    # Spelt as the export spelt it, in the tree too.
    assert b"futureAgentSetting:" in tree["agent.yaml"]
    assert b"thresholdRatio: 0.30000001" in tree["agent.yaml"]
    capsys.readouterr()
    assert main(["--root", str(root), "validate", "bot"]) == 0
    out = capsys.readouterr().out
    assert "no problems" in out
    assert f"note: {len(spots)} key(s) CX exported that cxops has no schema for are carried" in out, out
    zip_path = tmp_path / "bot.zip"
    assert main(["--root", str(root), "package", "bot", "-o", str(zip_path)]) == 0
    packaged = read_zip_bytes(zip_path.read_bytes())
    for path, where in spots:
        original, back = at(export, path, where), at(packaged, path, where)
        # The same JSON text: 0.30000001 stays, 12 stays a string, snake_case keys stay.
        assert json.dumps(back) == json.dumps(original), (path, where)
    assert b'"thresholdRatio": 0.30000001' in packaged["agent.json"]

    # Restored into the stand-in through the real client, then pulled back both ways.
    snapshot = read_tree(root / "agents" / "bot")
    agent = clients.agents.create_agent(
        parent=f"projects/{PROJECT}/locations/global",
        agent=cx.Agent(
            display_name=snapshot.agent["display_name"],
            default_language_code=snapshot.agent["default_language_code"],
            supported_language_codes=snapshot.agent["supported_language_codes"],
            time_zone=snapshot.agent["time_zone"],
        ),
    )
    clients.agents.restore_agent(
        request=cx.RestoreAgentRequest(name=agent.name, agent_content=zip_path.read_bytes())
    ).result(timeout=60)
    agent_id = agent.name.rsplit("/", 1)[-1]
    stage_file(root, "dev", "pulled", agent_id)
    stage_file(root, "dev2", "bot", agent_id)
    host = ["--root", str(root), "--emulator-host", fake.address]
    assert main([*host, "pull", "dev"]) == 0
    assert files_of(root / "agents" / "pulled") == tree
    capsys.readouterr()
    # Through the API no read returns them: a pull --via list keeps them from the tree.
    assert main([*host, "pull", "dev2", "--via", "list"]) == 0
    assert "0 files written, 0 removed" in capsys.readouterr().out
    assert files_of(root / "agents" / "bot") == tree


# -- test cases of the newer format (testCases/v2) ------------------------------------------------

EXPORTER = "projects/shop-prod/locations/global/agents/0e8c5f1a-0000-4000-8000-00000000aaaa"
PLAYBOOK_ID = "5b0e4c8e-0000-4000-8000-0000000000b1"
TOOL_ID = "5b0e4c8e-0000-4000-8000-000000000001"


def _v2_case() -> dict[str, Any]:
    """A playbook test case as CX writes one to testCases/v2/ (FORMAT.md §2, §3)."""
    return {
        "name": "9d9c3a52-0000-4000-8000-0000000000c1",
        "tags": ["#playbook"],
        "displayName": "Stock question (playbook)",
        "conversationTurns": [
            {
                "userInput": {"input": {"text": {"text": "is the blue kettle in stock?"}}},
                "agentOutput": {
                    "queryResult": {
                        "responseMessages": [{"text": {"text": ["Yes, 4 are left."]}}],
                        "generativeInfo": {
                            "actionTracingInfo": {
                                "actions": [
                                    {
                                        "playbookInvocation": {
                                            "playbook": f"{EXPORTER}/playbooks/{PLAYBOOK_ID}"
                                        }
                                    },
                                    {"toolUse": {"tool": f"{EXPORTER}/tools/{TOOL_ID}", "action": "lookup"}},
                                ]
                            }
                        },
                    }
                },
                "metricGoldens": [{"metric": "SEMANTIC_SIMILARITY", "threshold": 0.5}],
            }
        ],
        "orderedExpectations": [{"toolCall": {"tool": f"{EXPORTER}/tools/{TOOL_ID}"}}],
        "createTime": {"seconds": 1751500000, "nanos": 120000000},
        "testConfig": {"startPlaybook": f"{EXPORTER}/playbooks/{PLAYBOOK_ID}/versions/0"},
        "languageCode": "en",
    }


def v2_export() -> dict[str, bytes]:
    files = package_files(read_tree(SAMPLE))
    files["tools/Stock Lookup/Stock Lookup.json"] = json.dumps(_tool(), indent=2).encode()
    playbook = {
        "name": PLAYBOOK_ID,
        "displayName": "Order Helper",
        "goal": "Answer stock questions.",
        "instruction": {"steps": [{"text": "Use ${TOOL: Stock Lookup} to look the product up."}]},
        "referencedTools": ["Stock Lookup"],
    }
    files["playbooks/Order Helper/Order Helper.json"] = json.dumps(playbook, indent=2).encode()
    files["testCases/v2/Stock question %28playbook%29.json"] = json.dumps(_v2_case(), indent=2).encode()
    return files


def test_a_v2_test_case_survives_import_package_restore_and_pull(
    fake: FakeCX, clients: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "repo"
    export = write_folder(v2_export(), tmp_path / "export")
    assert main(["--root", str(root), "import", str(export), "--agent", "bot"]) == 0
    assert "left out" not in capsys.readouterr().err
    case = root / "agents" / "bot" / "playbook-test-cases" / "Stock question (playbook).yaml"
    text = case.read_text(encoding="utf-8")
    # References by display name, the version kept after it; no exporting project, no volatile time.
    assert "start_playbook: Order Helper/versions/0" in text, text
    assert "playbook: Order Helper" in text and "tool: Stock Lookup" in text
    assert "shop-prod" not in text and "create_time" not in text and "1751500000" not in text
    assert main(["--root", str(root), "validate", "bot"]) == 0
    tree = files_of(root / "agents" / "bot")

    zip_path = tmp_path / "bot.zip"
    assert main(["--root", str(root), "package", "bot", "-o", str(zip_path)]) == 0
    packaged = read_zip_bytes(zip_path.read_bytes())
    back = json.loads(packaged["testCases/v2/Stock question %28playbook%29.json"])
    playbook_path = json.loads(packaged["playbooks/Order Helper/Order Helper.json"])["name"]
    assert back["testConfig"]["startPlaybook"].endswith(f"/playbooks/{playbook_path}/versions/0")
    original = _v2_case()
    assert (
        back["conversationTurns"][0]["metricGoldens"] == (original["conversationTurns"][0]["metricGoldens"])
    )

    snapshot = read_tree(root / "agents" / "bot")
    agent = clients.agents.create_agent(
        parent=f"projects/{PROJECT}/locations/global",
        agent=cx.Agent(
            display_name=snapshot.agent["display_name"],
            default_language_code=snapshot.agent["default_language_code"],
            supported_language_codes=snapshot.agent["supported_language_codes"],
            time_zone=snapshot.agent["time_zone"],
        ),
    )
    clients.agents.restore_agent(
        request=cx.RestoreAgentRequest(name=agent.name, agent_content=zip_path.read_bytes())
    ).result(timeout=60)
    agent_id = agent.name.rsplit("/", 1)[-1]
    stage_file(root, "dev", "pulled", agent_id)
    stage_file(root, "dev2", "bot", agent_id)
    host = ["--root", str(root), "--emulator-host", fake.address]
    assert main([*host, "pull", "dev"]) == 0
    assert files_of(root / "agents" / "pulled") == tree
    capsys.readouterr()
    assert main([*host, "pull", "dev2", "--via", "list"]) == 0
    assert "0 files written, 0 removed" in capsys.readouterr().out
    assert files_of(root / "agents" / "bot") == tree
    # Nothing the API cannot write is planned: the restored stage is in step with the tree.
    capsys.readouterr()
    assert main([*host, "plan", "dev2"]) == 0
    assert "0 write call(s)" in capsys.readouterr().out


# -- a person's typo -----------------------------------------------------------------------------

TYPOS = [
    # (file, text replaced, replacement, the key in the message)
    ("intents/order.status.yaml", "training_phrases:", "traning_phrases:", "traning_phrases"),
    (
        "flows/Order Status/pages/Look Up Order.yaml",
        "entry_fulfillment:",
        "entry_fulfilment:",
        "entry_fulfilment",
    ),
    (
        "webhooks/orders-api.yaml",
        "display_name: orders-api\n",
        "display_name: orders-api\ndisplayName: x\n",
        "displayName",
    ),
    ("agent.yaml", "time_zone:", "bogus_key: 1\ntime_zone:", "bogus_key"),
]


@pytest.mark.parametrize(("rel", "old", "new", "key"), TYPOS, ids=[t[3] for t in TYPOS])
def test_a_typo_fails_validate_with_file_line_and_stops_package_and_apply(
    rel: str,
    old: str,
    new: str,
    key: str,
    fake: FakeCX,
    clients: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = tmp_path / "repo"
    shutil.copytree(SAMPLE, root / "agents" / "bot")
    path = root / "agents" / "bot" / rel
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    line = text[: text.index(old)].count("\n") + 1 + new[: new.index(key)].count("\n")

    capsys.readouterr()
    assert main(["--root", str(root), "validate", "bot"]) == 1
    err = capsys.readouterr().err
    assert f"agents/bot/{rel}:{line}: {key}: " in err, err
    assert "unknown field" in err or "the tree writes this key" in err

    zip_path = tmp_path / "bot.zip"
    assert main(["--root", str(root), "package", "bot", "-o", str(zip_path)]) == 1
    assert not zip_path.exists()

    agent = clients.agents.create_agent(
        parent=f"projects/{PROJECT}/locations/global",
        agent=cx.Agent(display_name="Bot", default_language_code="en", time_zone="Asia/Tokyo"),
    )
    stage_file(root, "dev", "bot", agent.name.rsplit("/", 1)[-1])
    before = fake.write_count()
    assert main(["--root", str(root), "--emulator-host", fake.address, "apply", "dev", "--auto-approve"]) == 1
    assert f"{key}" in capsys.readouterr().err
    assert fake.write_count() == before


# -- every real export ---------------------------------------------------------------------------


@pytest.mark.parametrize("folder", agent_dirs())
def test_every_corpus_agent_imports_validates_packages_and_imports_again_clean(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "repo"
    source = write_folder(read_export(folder), tmp_path / "export")
    assert main(["--root", str(root), "import", str(source), "--agent", "bot"]) == 0
    first = files_of(root / "agents" / "bot")
    capsys.readouterr()
    assert main(["--root", str(root), "validate", "bot"]) == 0
    out = capsys.readouterr()
    assert "unknown field" not in out.err + out.out
    zip_path = tmp_path / "bot.zip"
    assert main(["--root", str(root), "package", "bot", "-o", str(zip_path)]) == 0
    again = tmp_path / "again"
    assert main(["--root", str(again), "import", str(zip_path), "--agent", "bot"]) == 0
    assert files_of(again / "agents" / "bot") == first
