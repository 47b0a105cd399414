"""Stage option `versions: on_apply`: after a verified apply, one CX flow version per changed flow,
named from the plan; at most 20 a flow by deleting cxops's oldest (never a pinned or a foreign
one); `cxops history STAGE` lists them. Through the real client against the stand-in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from google.cloud import dialogflowcx_v3 as cx

from cxops.cli.main import main
from cxops.core.releases import to_prune
from cxops.fake import FakeCX
from cxops.model.flowversion import FlowVersion
from tests.stagerepo import SECRETS, edit_returns_page, empty_agent, sample_in_stand_in, stage_file

PROJECT = "acme-bots-stg"


@pytest.fixture
def repo(fake: FakeCX, clients: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    sample_in_stand_in(tmp_path, fake.address, monkeypatch)
    stg = empty_agent(clients, PROJECT, ["en", "ja"], "Orders (stg)")
    stage_file(tmp_path, "stg", "order-desk", PROJECT, stg, SECRETS + "versions: on_apply\n")
    return tmp_path


def cli(root: Path, *args: str) -> int:
    return main(["--root", str(root), *args])


def agent_of(root: Path) -> str:
    text = (root / "environments" / "stg.yaml").read_text()
    agent_id = text.split("agent_id: ", 1)[1].split("\n", 1)[0]
    return f"projects/{PROJECT}/locations/global/agents/{agent_id}"


def flows(clients: Any, agent: str) -> dict[str, str]:
    return {f.display_name: f.name for f in clients.flows.list_flows(parent=agent)}


def versions(clients: Any, flow: str) -> list[Any]:
    return list(clients.versions.list_versions(parent=flow))


def test_apply_versions_each_changed_flow_once_and_history_lists_them(
    repo: Path, fake: FakeCX, clients: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(repo, "apply", "stg", "--auto-approve") == 0
    agent = agent_of(repo)
    names = flows(clients, agent)
    first = {flow: versions(clients, name) for flow, name in names.items()}
    assert all(len(v) == 1 for v in first.values()), first
    made = first["Returns"][0]
    assert made.display_name.startswith("cxops ") and "author: dev-alice" in made.description
    assert "commit: " in made.description and "approvers: " in made.description

    edit_returns_page(repo, "can be returned today.")
    fake.reset_calls()
    assert cli(repo, "apply", "stg", "--auto-approve") == 0
    assert fake.count("CreateVersion") == 1  # only Returns changed
    assert [len(versions(clients, n)) for f, n in sorted(names.items())] == [
        2 if f == "Returns" else 1 for f in sorted(names)
    ]
    returns = versions(clients, names["Returns"])
    compared = clients.versions.compare_versions(
        request=cx.CompareVersionsRequest(base_version=returns[0].name, target_version=returns[1].name)
    )
    assert "today" in compared.target_version_content_json
    assert "today" not in compared.base_version_content_json

    capsys.readouterr()
    assert cli(repo, "history", "stg") == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(names) + 1
    assert "Returns v2" in out[0] and "author: dev-alice" in out[0]
    assert cli(repo, "--format", "json", "history", "stg") == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["flow"] == "Returns" and returns[1].description.startswith(
        f"cxops plan {rows[0]['plan_hash']}"
    )


def test_the_limit_prunes_cxops_oldest_unpinned_version_only(repo: Path, fake: FakeCX, clients: Any) -> None:
    assert cli(repo, "apply", "stg", "--auto-approve") == 0
    agent = agent_of(repo)
    returns = flows(clients, agent)["Returns"]
    ours = versions(clients, returns)[0]
    env = clients.environments.create_environment(
        parent=agent,
        environment=cx.Environment(
            display_name="prod", version_configs=[cx.Environment.VersionConfig(version=ours.name)]
        ),
    ).result()
    foreign = clients.versions.create_version(
        parent=returns, version=cx.Version(display_name="release 7")
    ).result()
    for i in range(18):  # cxops-made ones from earlier plans
        clients.versions.create_version(
            parent=returns, version=cx.Version(display_name=f"cxops old{i}", description=f"cxops plan old{i}")
        ).result()
    assert len(versions(clients, returns)) == 20
    edit_returns_page(repo, "can be returned now.")
    plan = repo / "p.json"
    assert cli(repo, "-q", "plan", "stg", "-o", str(plan)) == 0
    cost = json.loads(plan.read_text())["cost"]
    assert cost["flow_versions"] == {"create": 1, "delete": 1}  # the plan says the prune too
    fake.reset_calls()
    assert cli(repo, "-q", "apply", str(plan)) == 0
    assert fake.write_count() == cost["write_calls"]
    left = {v.display_name for v in versions(clients, returns)}
    assert len(left) == 20
    assert ours.display_name in left and foreign.display_name in left  # pinned, and not ours
    assert "cxops old0" not in left and "cxops old1" in left
    assert env.name


def test_a_run_stopped_before_its_versions_makes_them_on_the_next_apply(
    repo: Path, fake: FakeCX, clients: Any
) -> None:
    fake.inject("CreateVersion", "FAILED_PRECONDITION", count=1)
    assert cli(repo, "apply", "stg", "--auto-approve") == 1  # applied and verified, no version yet
    fake.reset_calls()
    assert cli(repo, "apply", "stg", "--auto-approve") == 0  # nothing to write; versions made
    names = flows(clients, agent_of(repo))
    assert fake.count("CreateVersion") == len(names)
    assert all(len(versions(clients, n)) == 1 for n in names.values())
    fake.reset_calls()
    assert cli(repo, "apply", "stg", "--auto-approve") == 0
    assert fake.write_count() == 0


def test_prune_picks_oldest_cxops_unpinned() -> None:
    def v(n: int, mine: bool = True) -> FlowVersion:
        return FlowVersion(
            f"v{n}",
            "cxops x" if mine else "manual",
            "cxops plan h" if mine else "",
            f"2026-01-{n:02d}T00:00:00Z",
        )

    listed = [v(1, mine=False), v(2), v(3), v(4)]
    assert to_prune(listed, {"v2"}, adding=1, limit=4) == ["v3"]
    assert to_prune(listed, set(), adding=2, limit=4) == ["v2", "v3"]
    assert to_prune(listed, set(), adding=1, limit=5) == []


def test_versions_option_is_checked_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stage_file(tmp_path, "stg", "order-desk", PROJECT, "abc", "versions: always\n")
    assert cli(tmp_path, "history", "stg") == 1
    err = capsys.readouterr().err
    assert "environments/stg.yaml:5: versions: must be on_apply, not 'always'" in err
