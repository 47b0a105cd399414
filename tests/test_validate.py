"""`cxops validate`: every problem as file:line: key, exit 1; json lists them; corpus trees pass."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cxops.cli.main import main
from tests.corpus import agent_dirs

AGENT = "display_name: Orders\ndefault_language_code: en\ntime_zone: UTC\nstart_flow: Default Start Flow\n"
FLOW = """display_name: Default Start Flow
transition_routes:
  - intent: order.status
    target_page: Ask
"""
PAGE = "display_name: Ask\n"
INTENT = "display_name: order.status\ntraining_phrases:\n  en: ['where is [12](n)']\nparameters:\n  - id: n\n    entity_type: '@sys.number'\n"


def tree(root: Path, **files: str) -> None:
    base = {
        "agent.yaml": AGENT,
        "flows/Default Start Flow/flow.yaml": FLOW,
        "flows/Default Start Flow/pages/Ask.yaml": PAGE,
        "intents/order.status.yaml": INTENT,
    }
    base.update({k.replace("__", "/"): v for k, v in files.items()})
    for path, text in base.items():
        target = root / "agents" / "orders" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def test_a_valid_tree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree(tmp_path)
    assert main(["--root", str(tmp_path), "validate"]) == 0
    assert "validate orders: no problems" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {
                "flows__Default Start Flow__flow.yaml": FLOW.replace(
                    "target_page: Ask", "target_page: Nowhere"
                )
            },
            "agents/orders/flows/Default Start Flow/flow.yaml:4: transition_routes.0.target_page: "
            "page 'Nowhere' in flow 'Default Start Flow' does not exist",
        ),
        (
            # An intent alone (no target, condition or fulfillment) is still a reference.
            {
                "flows__Default Start Flow__flow.yaml": FLOW.replace(
                    "  - intent: order.status\n    target_page: Ask\n", "  - intent: nonexistent_intent\n"
                )
            },
            "agents/orders/flows/Default Start Flow/flow.yaml:3: transition_routes.0.intent: "
            "intent 'nonexistent_intent' does not exist",
        ),
        (
            {"intents__order.status.yaml": INTENT.replace("'@sys.number'", "'@carrier'")},
            "agents/orders/intents/order.status.yaml:6: parameters.0.entity_type: entity type 'carrier' does not exist",
        ),
        (
            {
                "flows__Default Start Flow__pages__Ask.yaml": "display_name: Ask\nentry_fulfillment:\n  webhok: api\n"
            },
            "agents/orders/flows/Default Start Flow/pages/Ask.yaml:3: entry_fulfillment.webhok: "
            "unknown field (did you mean webhook?)",
        ),
        (
            {"intents__order.status.yaml": INTENT + "traning_phrases: {it: [ciao]}\n"},
            "agents/orders/intents/order.status.yaml:7: traning_phrases: "
            "unknown field (did you mean training_phrases?)",
        ),
        (
            {"flows__Default Start Flow__pages__Ask.yaml": "display_name: Ask\nbogus_key: 5\n"},
            "agents/orders/flows/Default Start Flow/pages/Ask.yaml:2: bogus_key: unknown field\n",
        ),
        (
            {"flows__Default Start Flow__pages__Ask.yaml": "display_name: Ask\nentry_fulfilment: {}\n"},
            "agents/orders/flows/Default Start Flow/pages/Ask.yaml:2: entry_fulfilment: "
            "unknown field (did you mean entry_fulfillment?)",
        ),
        (
            # An export-only key is known only where exports put it.
            {"intents__order.status.yaml": INTENT + "target_playbook: x\n"},
            "agents/orders/intents/order.status.yaml:7: target_playbook: unknown field",
        ),
        (
            {"intents__order.status.yaml": INTENT + "priority: high\n"},
            "agents/orders/intents/order.status.yaml:7: priority: expected an integer, got a string 'high'",
        ),
        (
            {"intents__order.status.yaml": INTENT.replace("[12](n)", "[12(n)")},
            "agents/orders/intents/order.status.yaml:3: training_phrases.en.0: training phrase",
        ),
        (
            {"intents__other.yaml": "display_name: order.status\n"},
            "two files define intent order.status",
        ),
        (
            {"intents__Order.status.yaml": "display_name: Order.status\n"},
            "file name clashes with agents/orders/intents/Order.status.yaml on case-insensitive file systems",
        ),
        (
            {
                "intents__order.status.yaml": INTENT
                + "<<<<<<< HEAD\npriority: 1\n=======\npriority: 2\n>>>>>>> b\n"
            },
            "agents/orders/intents/order.status.yaml:7: unresolved merge conflict",
        ),
        (
            {"intents__order.status.yaml": "display_name: [unclosed\n"},
            "agents/orders/intents/order.status.yaml:2: invalid YAML",
        ),
    ],
)
def test_problems_name_file_line_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, str], expected: str
) -> None:
    tree(tmp_path, **files)
    assert main(["--root", str(tmp_path), "validate", "orders"]) == 1
    assert expected in capsys.readouterr().err


def test_json_lists_the_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree(tmp_path, **{"flows__Default Start Flow__flow.yaml": FLOW.replace("order.status", "missing")})
    assert main(["--root", str(tmp_path), "--format", "json", "validate"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["agents"] == ["orders"]
    [problem] = report["problems"]
    assert problem["file"] == "agents/orders/flows/Default Start Flow/flow.yaml"
    assert problem["line"] == 3 and problem["key"] == "transition_routes.0.intent"


@pytest.mark.parametrize("folder", agent_dirs())
def test_imported_corpus_agents_validate(folder: Path, tmp_path: Path) -> None:
    assert main(["--root", str(tmp_path), "-q", "import", str(folder), "--agent", "a"]) == 0
    assert main(["--root", str(tmp_path), "-q", "validate", "a"]) == 0


def test_a_route_to_a_flow_names_an_intent_that_must_exist() -> None:
    from cxops.core.validate import check_references
    from cxops.model.snapshot import Key, Snapshot

    snapshot = Snapshot()
    snapshot.add(Key("agent", "", ""), {"default_language_code": "en", "start_flow": "Start"})
    snapshot.add(Key("flow", "", "Start"), {"display_name": "Start"})
    snapshot.add(
        Key("flow", "", "Other"),
        {"display_name": "Other", "transition_routes": [{"intent": "gone", "target_flow": "Start"}]},
    )
    [problem] = check_references(snapshot)
    assert problem.key == Key("flow", "", "Other") and "intent 'gone' does not exist" in problem.message


def test_stage_files_are_validated_with_the_tree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    from tests.stagerepo import SAMPLE

    shutil.copytree(SAMPLE, tmp_path / "agents" / "order-desk")
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "stg.yaml").write_text(
        "agent: order-desk\nproject: acme-bots-stg\nagent_id: x1\nsource: dve\n"
        "secrets:\n  orders-api/X-Api-Key: env:CXOPS_KEY\n"
        "overrides:\n  webhooks/billing-api:\n    timeout.seconds: 3\n"
    )
    (tmp_path / "environments" / "prd.yaml").write_text("agent: order-desk\nprojekt: acme-bots-prd\n")
    assert main(["--root", str(tmp_path), "validate"]) == 1
    err = capsys.readouterr().err
    assert "environments/prd.yaml:2: projekt: unknown key" in err
    assert "environments/stg.yaml:4: source: no stage 'dve'" in err
    assert (
        "environments/stg.yaml:8: overrides.webhooks/billing-api: webhook billing-api is not in agents/order-desk"
        in err
    )


@pytest.mark.parametrize(
    ("added", "expected"),
    [
        ("traning_phrases: {it: [ciao]}\n", "order.status.yaml:7: traning_phrases: unknown field"),
        ("<<<<<<< HEAD\n=======\npriority: 2\n>>>>>>> b\n", "order.status.yaml:7: unresolved merge conflict"),
    ],
)
@pytest.mark.parametrize(
    "command", [["package", "orders", "-o", "out.zip"], ["plan", "stg", "-o", "plan.json"]]
)
def test_package_and_plan_refuse_a_tree_that_does_not_validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str], added: str, expected: str
) -> None:
    tree(tmp_path, **{"intents__order.status.yaml": INTENT + added})
    (tmp_path / "environments").mkdir()
    # Nothing listens there: the refusal comes before any connection.
    (tmp_path / "environments" / "stg.yaml").write_text("agent: orders\nproject: acme-bots\nagent_id: a1\n")
    out = [str(tmp_path / c) if c.endswith((".zip", ".json")) else c for c in command]
    assert main(["--root", str(tmp_path), "--emulator-host", "127.0.0.1:9", *out]) == 1
    err = capsys.readouterr().err
    assert f"agents/orders/intents/{expected}" in err
    assert not (tmp_path / "out.zip").exists() and not (tmp_path / "plan.json").exists()


def test_import_refuses_to_replace_another_agents_tree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.corpus import CORPUS

    folders = sorted(d for d in CORPUS.iterdir() if (d / "agent.json").is_file()) if CORPUS.is_dir() else []
    if len(folders) < 2:
        pytest.skip(f"two corpus agents needed at {CORPUS}")
    first, other = folders[0], folders[1]
    root = ["--root", str(tmp_path), "-q"]
    assert main([*root, "import", str(first), "--agent", "a"]) == 0
    before = sorted(p.relative_to(tmp_path) for p in (tmp_path / "agents" / "a").rglob("*"))
    assert main([*root, "import", str(first), "--agent", "a"]) == 0  # the same agent again: fine
    assert main([*root, "import", str(other), "--agent", "a"]) == 1
    assert "agents/a holds another agent (" in capsys.readouterr().err
    assert sorted(p.relative_to(tmp_path) for p in (tmp_path / "agents" / "a").rglob("*")) == before
    assert main([*root, "import", str(other), "--agent", "a", "--force"]) == 0


@pytest.mark.parametrize(
    ("playbook", "expected"),
    [
        (
            "input_parameter_definitions:\n  - name: account\n    type: NUMBR\n",
            "playbook.yaml:5: input_parameter_definitions.0.type: 'NUMBR' is not a ParameterType",
        ),
        (
            "output_parameter_definitions:\n  - name: total\n    type_schema:\n      inline_schema:\n"
            "        type: [NUMBER]\n",
            "playbook.yaml:7: output_parameter_definitions.0.type_schema.inline_schema.type: "
            "['NUMBER'] is not a DataType",
        ),
        (
            "input_parameter_definitions:\n  - name: account\n    typ: NUMBER\n",
            "playbook.yaml:5: input_parameter_definitions.0.typ: unknown field (did you mean type?)",
        ),
    ],
)
def test_messages_name_keys_as_the_tree_spells_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], playbook: str, expected: str
) -> None:
    # The protobuf calls these fields type_ (a Python keyword clash); the tree says type (issue 14).
    tree(
        tmp_path,
        **{"playbooks__Lookup__playbook.yaml": "display_name: Lookup\ngoal: look up accounts\n" + playbook},
    )
    assert main(["--root", str(tmp_path), "validate"]) == 1
    err = capsys.readouterr().err
    assert f"agents/orders/playbooks/Lookup/{expected}" in err
    assert "type_:" not in err and "type_?" not in err


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("Wiikay__CCAI", "; e.g. 'wiikay__ccai'"),
        ("My Bot", "; e.g. 'my-bot'"),
        ("Ünï", "; e.g. 'uni'"),
        ("///", ""),
    ],
)
def test_import_under_a_bad_agent_name_suggests_one_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, hint: str
) -> None:
    source = tmp_path / "source"
    shutil.copytree(Path(__file__).resolve().parents[1] / "agents", source / "agents")
    package = tmp_path / "in.zip"
    assert main(["--root", str(source), "-q", "package", "order-desk", "-o", str(package)]) == 0
    repo = tmp_path / "repo"
    repo.mkdir()
    assert main(["--root", str(repo), "import", str(package), "--agent", name]) == 1
    assert capsys.readouterr().err == (
        f"error: agent name {name!r}: use lower-case letters, digits, '.', '_' and '-' "
        f"(it names agents/<agent>/){hint}\n"
    )
    assert list(repo.iterdir()) == []
