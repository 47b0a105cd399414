"""The gate's cheap re-read (workflows/watch.py): apply lists only the collections the plan
writes into and reads the agent's changelog since planning, instead of exporting the whole
agent again; a live change inside or outside those collections still refuses the plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from google.cloud import dialogflowcx_v3 as cx

from cxops.cli.main import main
from cxops.cx import ConnectionSettings, CxSession
from cxops.fake import FakeCX
from cxops.workflows import watch
from tests.stagerepo import sample_stage

INTENT = Path("agents/order-desk/intents/order.status.yaml")


@pytest.fixture
def stg(fake: FakeCX, clients: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    agent = sample_stage(tmp_path, fake.address, clients, monkeypatch)
    assert cli(tmp_path, "apply", "stg", "--auto-approve") == 0
    # One change in one collection (the agent's intents, in its default language).
    intent = tmp_path / INTENT
    intent.write_text(intent.read_text().replace("    - track my order\n", "    - track my parcel\n"))
    return agent


def cli(root: Path, *args: str) -> int:
    return main(["--root", str(root), "-q", *args])


def planned(root: Path) -> tuple[Path, dict[str, Any]]:
    path = root / "stg.plan.json"
    assert cli(root, "plan", "stg", "-o", str(path)) == 0
    data = json.loads(path.read_text())
    assert [(w["kind"], w["name"]) for w in data["writes"]] == [("intent", "order.status")]
    assert sorted(data["watch"]["collections"]) == ["agent", "intent"]
    return path, data


def refused(root: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str], plan: Path) -> str:
    capsys.readouterr()
    fake.reset_calls()
    assert cli(root, "apply", str(plan)) == 1
    err = capsys.readouterr().err
    assert fake.write_count() == 0 and fake.count("ExportAgent") == 0, fake.calls()
    assert len(err.strip().splitlines()) == 1
    return err


def find(items: Any, name: str) -> Any:
    return next(i for i in items if i.display_name == name)


def test_apply_reads_only_the_touched_collections_and_the_changelog(
    stg: str, tmp_path: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str]
) -> None:
    plan, _ = planned(tmp_path)
    fake.reset_calls()
    assert cli(tmp_path, "apply", str(plan)) == 0
    # The one export is the verification after the writes; the gate listed intents (en, ja)
    # and read the changelog, and the backup is the plan's read, moved into place.
    assert fake.count("ExportAgent") == 1
    assert fake.count("ListChangelogs") == 1
    assert fake.count("ListPages", "ListTransitionRouteGroups", "ListTestCases") == 0, fake.calls()
    backups = list((tmp_path / ".cxops/backups/stg").glob("*.json"))
    assert len(backups) == 2 and not list((tmp_path / ".cxops/pending-backups/stg").glob("*.json"))


def test_a_live_change_outside_the_touched_collections_is_refused(
    stg: str, tmp_path: Path, fake: FakeCX, clients: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    plan, _ = planned(tmp_path)
    # A page of another flow, edited in the console: no collection the plan writes into.
    flow = find(clients.flows.list_flows(parent=stg), "Returns")
    page = find(clients.pages.list_pages(parent=flow.name), "Check Return Eligibility")
    page.description = "edited in the console"
    clients.pages.update_page(page=page, update_mask={"paths": ["description"]})
    err = refused(tmp_path, fake, capsys, plan)
    assert 'stg: live changed since planning: page "Returns/Check Return Eligibility" updated by' in err


def test_a_live_change_inside_the_touched_collections_is_refused(
    stg: str, tmp_path: Path, fake: FakeCX, clients: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    plan, _ = planned(tmp_path)
    # Another intent than the planned one, in the collection the plan writes into.
    intent = find(clients.intents.list_intents(parent=stg), "confirm.yes")
    intent.priority = 12345
    clients.intents.update_intent(intent=intent, update_mask={"paths": ["priority"]})
    err = refused(tmp_path, fake, capsys, plan)
    assert 'stg: live changed since planning: intent "confirm.yes" updated by' in err


def test_the_digests_see_a_change_the_changelog_does_not(
    stg: str, tmp_path: Path, fake: FakeCX, clients: Any
) -> None:
    _, data = planned(tmp_path)
    session = CxSession(ConnectionSettings(emulator_host=fake.address))
    # A watch whose changelog window starts after the change: only the digests can see it.
    intent = find(
        clients.intents.list_intents(cx.ListIntentsRequest(parent=stg, language_code="ja")), "confirm.yes"
    )
    intent.training_phrases.append(
        cx.Intent.TrainingPhrase(parts=[{"text": "はい、そうです"}], repeat_count=1)
    )
    clients.intents.update_intent(
        cx.UpdateIntentRequest(intent=intent, language_code="ja", update_mask={"paths": ["training_phrases"]})
    )
    later = {**data["watch"], "since": "2999-01-01T00:00:00.000000Z"}
    assert watch.changed(session, stg, later) == "content of intent"
    only_agent = {"agent": data["watch"]["collections"]["agent"]}
    assert watch.changed(session, stg, {**later, "collections": only_agent}) is None


def test_without_a_readable_changelog_the_gate_reads_the_whole_agent(
    stg: str, tmp_path: Path, fake: FakeCX, clients: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    plan, _ = planned(tmp_path)
    fake.inject("ListChangelogs", "PERMISSION_DENIED", count=5)
    fake.reset_calls()
    assert cli(tmp_path, "apply", str(plan)) == 0
    assert fake.count("ExportAgent") == 2  # the gate's full read, then the verification
