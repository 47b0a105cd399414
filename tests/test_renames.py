"""Renames: detected in diffs (same kind and scope, similar content), shown as one change, and
applied through the real client as an update of display_name that keeps the resource's id."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cxops.cli.main import main
from cxops.core.diff import compare
from cxops.core.plan import from_data
from cxops.core.renames import RENAME_SIMILARITY, similarity
from cxops.fake import FakeCX
from cxops.model.snapshot import Key, Snapshot
from cxops.render import jsonout, markdown, text
from tests.stagerepo import applied_sample

PROJECT = "acme-bots-stg"
FLOW = "Order Status"


def page(name: str, *lines: str, scope: str = "F") -> tuple[Key, dict[str, Any]]:
    body = {
        "display_name": name,
        "entry_fulfillment": {"messages": {"en": [{"text": {"text": [x]}} for x in lines]}},
    }
    return Key("page", scope, name), body


def snap(*resources: tuple[Key, dict[str, Any]]) -> Snapshot:
    return Snapshot(resources=dict(resources))


FOUR = ("one", "two", "three", "four")


def test_rename_without_edit_is_one_change_with_only_the_name() -> None:
    diff = compare(snap(page("Other_Help", *FOUR)), snap(page("Help_Page", *FOUR)))
    [change] = diff.changes
    assert change.op == "change" and change.renamed_from == Key("page", "F", "Other_Help")
    assert [f.path for f in change.fields] == [("display_name",)]
    assert "~ page F/Other_Help → Help_Page\n" in text.render(diff)
    assert "\n~ page F/Other_Help → Help_Page\n" in markdown.render(diff)
    [data] = jsonout.as_data(diff)["resources"]
    assert data["renamed_from"] == "Other_Help" and data["name"] == "Help_Page"


def test_rename_with_edit_shows_the_field_changes() -> None:
    diff = compare(snap(page("Other_Help", *FOUR)), snap(page("Help_Page", "one", "two", "three", "FOUR")))
    [change] = diff.changes
    assert change.renamed_from is not None
    assert {f.path[0] for f in change.fields} == {"display_name", "entry_fulfillment"}


def test_below_the_threshold_is_a_remove_and_an_add() -> None:
    before, after = page("Other_Help", *FOUR), page("Help_Page", "a", "b", "c", "four")
    assert similarity(before[1], after[1]) < RENAME_SIMILARITY
    assert [c.op for c in compare(snap(before), snap(after)).changes] == ["add", "remove"]


def test_in_another_flow_is_not_a_rename() -> None:
    diff = compare(snap(page("Other_Help", *FOUR, scope="F")), snap(page("Help_Page", *FOUR, scope="G")))
    assert sorted(c.op for c in diff.changes) == ["add", "remove"]


def test_two_renames_pair_by_content_not_by_name_order() -> None:
    left = snap(page("A", "x1", "x2", "x3"), page("B", "y1", "y2", "y3"))
    right = snap(page("Z", "x1", "x2", "x3"), page("C", "y1", "y2", "y3"))
    pairs = {c.key.name: c.renamed_from.name for c in compare(left, right).changes if c.renamed_from}
    assert pairs == {"Z": "A", "C": "B"}
    # The same pairs whatever order the snapshots were built in.
    flipped = compare(
        snap(*reversed(list(left.resources.items()))), snap(*reversed(list(right.resources.items())))
    )
    assert {c.key.name: c.renamed_from.name for c in flipped.changes if c.renamed_from} == pairs


def test_one_to_one_best_match_first() -> None:
    left = snap(page("A", "x1", "x2", "x3", "x4"))
    right = snap(page("B", "x1", "x2", "x3", "y"), page("C", "x1", "x2", "x3", "x4"))
    ops = {c.key.name: (c.op, c.renamed_from) for c in compare(left, right).changes}
    assert ops == {"B": ("add", None), "C": ("change", Key("page", "F", "A"))}


@pytest.fixture
def repo(fake: FakeCX, clients: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return applied_sample(tmp_path, fake.address, clients, monkeypatch, PROJECT)


def pages_by_name(clients: Any, root: Path, flow_name: str = FLOW) -> dict[str, Any]:
    agent_id = (root / "environments" / "stg.yaml").read_text().split("agent_id: ")[1].split()[0]
    agent = f"projects/{PROJECT}/locations/global/agents/{agent_id}"
    flow = next(f for f in clients.flows.list_flows(parent=agent) if f.display_name == flow_name)
    return {p.display_name: p for p in clients.pages.list_pages(parent=flow.name)}


def test_rename_with_edit_applies_as_one_update_keeping_the_id_and_references(
    repo: Path, fake: FakeCX, clients: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    before = pages_by_name(clients, repo)["Order Shipped"]
    tree = repo / "agents" / "order-desk"
    old = tree / "flows" / FLOW / "pages" / "Order Shipped.yaml"
    new = old.with_name("Order Sent.yaml")
    new.write_text(
        old.read_text(encoding="utf-8")
        .replace("display_name: Order Shipped", "display_name: Order Sent")
        .replace("Do you need to change the delivery date?", "Would you like another delivery date?"),
        encoding="utf-8",
    )
    old.unlink()
    referrer = tree / "flows" / FLOW / "pages" / "Look Up Order.yaml"
    referrer.write_text(
        referrer.read_text(encoding="utf-8").replace("Order Shipped", "Order Sent"), encoding="utf-8"
    )
    case = tree / "test-cases" / "Order status - shipped (en).yaml"
    case.write_text(case.read_text(encoding="utf-8").replace("Order Shipped", "Order Sent"), encoding="utf-8")
    capsys.readouterr()

    plan_file = repo / "plan.json"
    assert main(["--root", str(repo), "plan", "stg", "-o", str(plan_file)]) == 0
    shown = capsys.readouterr().out
    assert f"~ page {FLOW}/Order Shipped → Order Sent" in shown and "another delivery date" in shown
    assert main(["--root", str(repo), "--format", "markdown", "plan", "stg"]) == 0
    assert f"\n~ page {FLOW}/Order Shipped → Order Sent" in capsys.readouterr().out
    assert main(["--root", str(repo), "plan", "stg", "--writes"]) == 0
    assert f"rename page {FLOW}/Order Shipped → Order Sent [en] (" in capsys.readouterr().out
    data = json.loads(plan_file.read_text())
    renames = [w for w in data["writes"] if w.get("renamed_from")]
    assert renames == [
        {
            "op": "update",
            "kind": "page",
            "scope": FLOW,
            "name": "Order Sent",
            "language": "en",
            "mask": ["display_name", "entry_fulfillment"],
            "renamed_from": "Order Shipped",
        }
    ]
    assert not [w for w in data["writes"] if w["op"] in ("create", "delete")]
    # The rename comes before the update of the page that now routes to the new name.
    order = [(w["name"], w.get("renamed_from")) for w in data["writes"]]
    assert order.index(("Order Sent", "Order Shipped")) < order.index(("Look Up Order", None))
    # The plan file round-trips: same hash, same writes.
    again = from_data(data, str(plan_file))
    assert again.hash == data["plan_hash"] and again.writes[0].renamed_from == "Order Shipped"
    [renamed] = [c for c in again.diff.changes if c.renamed_from is not None]
    assert renamed.renamed_from == Key("page", FLOW, "Order Shipped")

    fake.reset_calls()
    assert main(["--root", str(repo), "apply", str(plan_file)]) == 0
    assert fake.write_count() - 2 == len(data["writes"])  # the lease's two writes aside
    after = pages_by_name(clients, repo)
    assert "Order Shipped" not in after and after["Order Sent"].name == before.name
    routes = pages_by_name(clients, repo)["Look Up Order"].transition_routes
    assert before.name in {r.target_page for r in routes}
    assert main(["--root", str(repo), "drift", "stg"]) == 0


def test_a_renamed_flow_keeps_its_pages() -> None:
    flow = {"display_name": "A", "transition_routes": [{"intent": "x", "target_page": "P"}]}
    left = snap((Key("flow", "", "A"), flow), page("P", *FOUR, scope="A"))
    right = snap((Key("flow", "", "B"), {**flow, "display_name": "B"}), page("P", *FOUR, scope="B"))
    [change] = compare(left, right).changes
    assert change.renamed_from == Key("flow", "", "A") and change.key == Key("flow", "", "B")


def test_a_renamed_flow_applies_as_one_update_keeping_its_pages_ids(
    repo: Path, fake: FakeCX, clients: Any
) -> None:
    pages = {name: p.name for name, p in pages_by_name(clients, repo).items()}
    tree = repo / "agents" / "order-desk"
    for path in tree.rglob("*.yaml"):
        body = path.read_text(encoding="utf-8")
        if FLOW in body:
            path.write_text(body.replace(FLOW, "Order Tracking"), encoding="utf-8")
    (tree / "flows" / FLOW).rename(tree / "flows" / "Order Tracking")
    plan_file = repo / "plan.json"
    assert main(["--root", str(repo), "plan", "stg", "-o", str(plan_file)]) == 0
    writes = json.loads(plan_file.read_text())["writes"]
    assert writes[0] == {
        "op": "update",
        "kind": "flow",
        "scope": "",
        "name": "Order Tracking",
        "language": "en",
        "mask": ["display_name"],
        "renamed_from": FLOW,
    }
    assert not [w for w in writes if w["op"] in ("create", "delete")]
    assert not [w for w in writes if w["kind"] == "page"]  # the flow's pages did not change
    assert main(["--root", str(repo), "apply", str(plan_file)]) == 0
    moved = {name: p.name for name, p in pages_by_name(clients, repo, "Order Tracking").items()}
    assert moved == pages
    assert main(["--root", str(repo), "drift", "stg"]) == 0


def test_a_default_intent_is_not_renamed_away(repo: Path) -> None:
    old = repo / "agents" / "order-desk" / "intents" / "Default Negative Intent.yaml"
    new = old.with_name("Not Understood.yaml")
    new.write_text(old.read_text(encoding="utf-8").replace("Default Negative Intent", "Not Understood"))
    old.unlink()
    plan_file = repo / "plan.json"
    assert main(["--root", str(repo), "plan", "stg", "-o", str(plan_file)]) == 0
    writes = json.loads(plan_file.read_text())["writes"]
    intents = [(w["op"], w["name"]) for w in writes if w["kind"] == "intent"]
    assert intents[0] == ("create", "Not Understood") and ("delete", "Default Negative Intent") not in intents
    assert not [w for w in writes if w.get("renamed_from")]
