"""The sample agent `agents/order-desk`: the team's own bilingual (en, ja) bot, written by hand.

An online shop's customer service: order status, returns, delivery changes, store hours and
handoff to a person. It shows the tree format at work (forms, flow-level and agent-level route
groups, a webhook whose API key is a secret placeholder, entity types, test cases), so it must stay
clean: it validates, survives package -> import byte for byte, and comes back unchanged from the CX
stand-in through the real client, however it is written there and however it is read back.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.cloud import dialogflowcx_v3 as cx

from cxops.cli.main import main
from cxops.fake import FakeCX
from cxops.model import phrases, secrets
from cxops.model.snapshot import Snapshot
from cxops.package.files import read_zip_bytes, write_zip
from cxops.package.writer import package_files
from cxops.repo.tree import read_tree
from cxops.workflows.validate import check_agent

ROOT = Path(__file__).resolve().parents[1]
NAME = "order-desk"
AGENT = ROOT / "agents" / NAME
PROJECT = "acme-bots-dev"
LANGUAGES = ["en", "ja"]  # default language first, then the supported ones (tree rule 4)
# Tree fields whose value maps a language code to content (docs/tree-format.md).
LANGUAGE_MAPS = ("messages", "conditional_cases", "training_phrases", "entities", "excluded_phrases")
DEFAULT_INTENTS = {"Default Welcome Intent", "Default Negative Intent"}
SECRET_HEADER = "${secret:orders-api/X-Api-Key}"


@pytest.fixture(scope="module")
def tree() -> Snapshot:
    return read_tree(AGENT)


def bodies(tree: Snapshot, kind: str) -> dict[str, Any]:
    return {key.name: body for key, body in tree.of_kind(kind)}


def walk(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Every mapping in a body, with its path."""
    if isinstance(value, dict):
        yield path, value
        for k, v in value.items():
            yield from walk(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, (*path, i))


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def annotated(lines: list[Any]) -> set[str]:
    return {
        part["parameter_id"]
        for line in lines
        for part in phrases.decode_phrase(line)[0]
        if part.get("parameter_id")
    }


# -- validate and counts -------------------------------------------------------------------------


def test_validates_without_findings(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_agent(ROOT, NAME) == []
    assert main(["--root", str(ROOT), "validate", NAME]) == 0
    assert "no problems" in capsys.readouterr().out


def test_is_as_big_as_a_real_team_bot(tree: Snapshot) -> None:
    agent = tree.agent
    assert agent["default_language_code"] == "en" and agent["supported_language_codes"] == ["ja"]
    flows = bodies(tree, "flow")
    assert agent["start_flow"] == "Default Start Flow"
    assert "Default Start Flow" in flows
    assert len(set(flows) - {"Default Start Flow"}) >= 3
    assert len(tree.of_kind("page")) >= 15
    intents = bodies(tree, "intent")
    assert set(intents) >= DEFAULT_INTENTS
    assert intents["Default Negative Intent"].get("is_fallback") is True
    custom = {name: body for name, body in intents.items() if name not in DEFAULT_INTENTS}
    assert len(custom) >= 20
    assert sum(1 for body in custom.values() if body.get("parameters")) >= 15
    entity_types = bodies(tree, "entity_type")
    assert len(entity_types) >= 3
    assert entity_types["order_id"]["kind"] == "KIND_REGEXP"
    assert {"carrier", "return_reason"} <= {n for n, b in entity_types.items() if b["kind"] == "KIND_MAP"}
    assert len(tree.of_kind("route_group")) >= 1
    assert len(tree.of_kind("flow_route_group")) >= 1
    assert len(tree.of_kind("test_case")) >= 5


def test_webhook_holds_a_placeholder_not_a_key(tree: Snapshot) -> None:
    hook = bodies(tree, "webhook")["orders-api"]["generic_web_service"]
    assert hook["uri"] == "https://orders.dev.example.com/cx"
    assert hook["request_headers"] == {"X-Api-Key": SECRET_HEADER}
    # Every webhook call says what it asks for.
    calls = [obj for _, body in tree for _, obj in walk(body) if "webhook" in obj]
    assert len(calls) >= 8
    assert all(obj["webhook"] == "orders-api" and obj.get("tag") for obj in calls)


def test_the_header_placeholder_is_a_secret_slot_filled_at_apply_time(tree: Snapshot) -> None:
    assert [slot.name for slot in secrets.slots(tree)] == ["orders-api/X-Api-Key"]
    filled = Snapshot(resources=copy.deepcopy(tree.resources))
    secrets.fill(filled, lambda name: "dev-key")
    hook = bodies(filled, "webhook")["orders-api"]["generic_web_service"]
    assert hook["request_headers"] == {"X-Api-Key": "dev-key"}


def test_routes_forms_and_handlers_are_wired(tree: Snapshot) -> None:
    start = bodies(tree, "flow")["Default Start Flow"]
    routed = {r["intent"]: r.get("target_flow") for r in start["transition_routes"] if "intent" in r}
    assert routed["order.status"] == "Order Status"
    assert routed["return.start"] == "Returns"
    assert routed["delivery.reschedule"] == "Delivery Change"
    assert "Default Welcome Intent" in routed
    routes = [obj for _, body in tree for _, obj in walk(body) if "condition" in obj or "intent" in obj]
    assert any(r.get("condition") == '$page.params.status = "FINAL"' for r in routes)
    targets = {r.get("target_page") for r in routes}
    assert {"END_FLOW", "END_SESSION"} <= targets
    assert sum(1 for r in routes if "target_flow" in r) >= 10
    events = {obj["event"] for _, body in tree for _, obj in walk(body) if "event" in obj}
    assert {"sys.no-match-default", "sys.no-input-default", "webhook.error", "sys.no-match-1"} <= events
    entity_types = set(bodies(tree, "entity_type"))
    params = [p for _, page in tree.of_kind("page") for p in page.get("form", {}).get("parameters", [])]
    assert len(params) >= 8
    for param in params:
        assert param["required"] is True
        assert param["fill_behavior"]["initial_prompt_fulfillment"]["messages"]
        entity = param["entity_type"]
        assert entity.startswith("@sys.") or entity[1:] in entity_types
    assert any(p["entity_type"][1:] in entity_types for p in params)
    # The agent-level group serves several flows and pages; flows have groups of their own.
    users = [k for k, b in tree if "Common Help" in b.get("agent_transition_route_groups", [])]
    assert len({k.scope or k.name for k in users}) >= 3 and len(users) >= 10
    assert any(b.get("transition_route_groups") for k, b in tree if k.kind == "page")


# -- both languages everywhere ---------------------------------------------------------------------


def test_every_translatable_field_is_in_english_and_japanese(tree: Snapshot) -> None:
    seen = 0
    for key, body in tree:
        for path, obj in walk(body):
            for field in LANGUAGE_MAPS:
                if field not in obj:
                    continue
                seen += 1
                where = f"{key} {'.'.join(map(str, (*path, field)))}"
                by_lang = obj[field]
                assert list(by_lang) == LANGUAGES, where
                assert all(by_lang[lang] for lang in LANGUAGES), where
                en, ja = by_lang["en"], by_lang["ja"]
                if field == "messages":  # the same messages, translated: same count, same kinds
                    assert [sorted(m) for m in en] == [sorted(m) for m in ja], where
                elif field == "conditional_cases":
                    assert [len(c["cases"]) for c in en] == [len(c["cases"]) for c in ja], where
                elif field == "entities" and body["kind"] == "KIND_MAP":  # regexps may differ
                    assert [e["value"] for e in en] == [e["value"] for e in ja], where
    assert seen >= 100  # the walk did find them


def test_every_intent_and_entity_type_speaks_both_languages(tree: Snapshot) -> None:
    for name, intent in bodies(tree, "intent").items():
        lines = intent.get("training_phrases", {})
        assert list(lines) == LANGUAGES, name
        declared = {p["id"] for p in intent.get("parameters", [])}
        if name not in DEFAULT_INTENTS:
            assert len(lines["en"]) >= 3 and len(lines["ja"]) >= 3, name
        # Each parameter is shown by example in both languages.
        assert annotated(lines["en"]) == annotated(lines["ja"]) == declared, name
    for name, entity_type in bodies(tree, "entity_type").items():
        assert list(entity_type["entities"]) == LANGUAGES, name
    languages = {
        turn["user_input"]["input"]["language_code"]
        for _, case in tree.of_kind("test_case")
        for turn in case["test_case_conversation_turns"]
    }
    assert languages == set(LANGUAGES)


# -- round trips -----------------------------------------------------------------------------------


def test_package_then_import_gives_the_tree_back_byte_for_byte(tmp_path: Path) -> None:
    package = tmp_path / "order-desk.zip"
    assert main(["--root", str(ROOT), "package", NAME, "-o", str(package)]) == 0
    back = tmp_path / "imported"
    assert main(["--root", str(back), "import", str(package), "--agent", NAME]) == 0
    assert files_of(back / "agents" / NAME) == files_of(AGENT)
    # The package carries the placeholder, never a key.
    files = read_zip_bytes(package.read_bytes())
    assert [n for n, data in files.items() if SECRET_HEADER.encode() in data] == ["webhooks/orders-api.json"]


def new_agent(clients: Any, tree: Snapshot) -> str:
    agent = clients.agents.create_agent(
        parent=f"projects/{PROJECT}/locations/global",
        agent=cx.Agent(
            display_name=tree.agent["display_name"],
            default_language_code=tree.agent["default_language_code"],
            supported_language_codes=tree.agent["supported_language_codes"],
            time_zone=tree.agent["time_zone"],
        ),
    )
    return str(agent.name)


def pull_both_ways(fake: FakeCX, agent: str, root: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """`cxops pull` via export and via list, each into its own tree."""
    (root / "environments").mkdir(parents=True)
    agent_id = agent.rsplit("/", 1)[-1]
    for stage, name in (("dev", "by-export"), ("dev2", "by-list")):
        (root / "environments" / f"{stage}.yaml").write_text(
            f"agent: {name}\nproject: {PROJECT}\nlocation: global\nagent_id: {agent_id}\n"
        )
    host = ["--root", str(root), "--emulator-host", fake.address]
    assert main([*host, "pull", "dev"]) == 0
    assert main([*host, "pull", "dev2", "--via", "list"]) == 0
    return files_of(root / "agents" / "by-export"), files_of(root / "agents" / "by-list")


def test_restored_into_the_stand_in_then_pulled_gives_the_tree(
    tree: Snapshot, fake: FakeCX, clients: Any, tmp_path: Path
) -> None:
    agent = new_agent(clients, tree)
    content = write_zip(package_files(tree))
    clients.agents.restore_agent(request=cx.RestoreAgentRequest(name=agent, agent_content=content)).result(
        timeout=30
    )
    flows = {f.display_name for f in clients.flows.list_flows(parent=agent)}
    assert flows == set(bodies(tree, "flow"))
    hook = next(iter(clients.webhooks.list_webhooks(parent=agent)))
    assert hook.generic_web_service.request_headers["X-Api-Key"] == SECRET_HEADER
    by_export, by_list = pull_both_ways(fake, agent, tmp_path)
    source = files_of(AGENT)
    assert by_export == source
    assert by_list == source


def test_written_resource_by_resource_then_pulled_gives_the_tree(
    tree: Snapshot, fake: FakeCX, clients: Any, tmp_path: Path
) -> None:
    """The other way in: one Create/Update per resource and language, through the client."""
    from cxops.cx import ConnectionSettings, CxSession
    from cxops.cx.bootstrap import SessionWriter, write_snapshot

    agent = new_agent(clients, tree)
    with CxSession(ConnectionSettings(emulator_host=fake.address)) as session:
        write_snapshot(tree, SessionWriter(session, agent), agent)
    japanese = clients.intents.get_intent(
        request=cx.GetIntentRequest(
            name=next(
                i.name for i in clients.intents.list_intents(parent=agent) if i.display_name == "order.status"
            ),
            language_code="ja",
        )
    )
    assert "".join(p.text for p in japanese.training_phrases[0].parts) == "注文状況を確認したい"
    by_export, by_list = pull_both_ways(fake, agent, tmp_path)
    source = files_of(AGENT)
    assert by_export == source
    assert by_list == source
