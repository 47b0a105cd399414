"""A repository of several agents: stages as environments/<agent>/<stage>.yaml, named AGENT/STAGE
on the command line, and `cxops changed` for a CI matrix; two agents deploy independently
through the real client against the stand-in."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cxops.cli.main import main
from cxops.errors import ConfigError
from cxops.fake import FakeCX
from cxops.stage.config import find_stage, load_stage, load_stages
from cxops.workflows.changed import changed
from tests.stagerepo import SAMPLE, SECRETS, empty_agent, sample_in_stand_in


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def fleet(root: Path) -> Path:
    for agent in ("pizza", "tacos"):
        shutil.copytree(SAMPLE, root / "agents" / agent)
    write(root / "environments/pizza/dev.yaml", "project: pizza-dev\nagent_display_name: Pizza\n")
    write(
        root / "environments/pizza/stg.yaml", "project: pizza-stg\nagent_display_name: Pizza\nsource: dev\n"
    )
    write(
        root / "environments/pizza/prd.yaml", "project: pizza-prd\nagent_display_name: Pizza\nsource: stg\n"
    )
    write(
        root / "environments/tacos/dev.yaml", "agent: tacos\nproject: tacos-dev\nagent_display_name: Tacos\n"
    )
    write(
        root / "environments/tacos/stg.yaml", "project: tacos-stg\nagent_display_name: Tacos\nsource: dev\n"
    )
    return root


def test_stages_per_agent_folder_named_agent_slash_stage(tmp_path: Path) -> None:
    root = fleet(tmp_path)
    stages = load_stages(root)
    assert sorted(stages) == ["pizza/dev", "pizza/prd", "pizza/stg", "tacos/dev", "tacos/stg"]
    stg = load_stage(root, "pizza/stg")
    assert (stg.agent, stg.file, stg.source) == ("pizza", "environments/pizza/stg.yaml", "pizza/dev")
    assert stages["pizza/prd"].source == "pizza/stg"
    with pytest.raises(ConfigError, match=r"'stg' is ambiguous.*pizza/stg, tacos/stg.*AGENT/STAGE"):
        load_stage(root, "stg")
    assert load_stage(root, "prd").name == "pizza/prd"  # only one agent has a prd
    assert find_stage(root, "agents/pizza") is None  # a path, not a stage


def test_a_flat_stage_file_wins_over_an_agent_folder_and_the_folder_names_the_agent(tmp_path: Path) -> None:
    root = fleet(tmp_path)
    write(root / "environments/stg.yaml", "agent: pizza\nproject: old-stg\nagent_display_name: Pizza\n")
    assert load_stage(root, "stg").project == "old-stg"
    write(
        root / "environments/tacos/stg.yaml", "agent: pizza\nproject: tacos-stg\nagent_display_name: Tacos\n"
    )
    with pytest.raises(ConfigError) as refused:
        load_stage(root, "tacos/stg")
    assert str(refused.value.location) == "environments/tacos/stg.yaml:1: agent"
    assert "environments/tacos/" in refused.value.message


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True).stdout


def committed(root: Path) -> Path:
    git(root, "init", "-q", "-b", "main")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "fleet")
    return root


def test_changed_lists_the_touched_agents_with_their_stages_in_promotion_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = committed(fleet(tmp_path))
    assert changed(root, "HEAD") == []
    intent = next((root / "agents/pizza/intents").glob("*.yaml"))
    intent.write_text(intent.read_text() + "description: edited\n", encoding="utf-8")
    write(
        root / "environments/tacos/stg.yaml", "project: tacos-stg2\nagent_display_name: Tacos\nsource: dev\n"
    )
    assert main(["--root", str(root), "changed", "--since", "HEAD", "--format", "json"]) == 0
    matrix = json.loads(capsys.readouterr().out)
    assert matrix == [
        {"agent": "pizza", "stages": ["pizza/dev", "pizza/stg", "pizza/prd"], "files": 1},
        {"agent": "tacos", "stages": ["tacos/stg"], "files": 1},
    ]
    git(root, "checkout", "-q", "--", "agents", "environments")
    write(root / "cxops.yaml", "rules: {}\n")  # lint settings: every agent
    assert [t.agent for t in changed(root, "HEAD")] == ["pizza", "tacos"]
    assert main(["--root", str(root), "changed", "--since", "no-such-ref"]) == 1
    assert "no such commit" in capsys.readouterr().err


def test_two_agents_deploy_independently(
    tmp_path: Path, fake: FakeCX, clients: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path
    sample_in_stand_in(root, fake.address, monkeypatch)
    shutil.move(root / "agents/order-desk", root / "agents/pizza")
    shutil.copytree(root / "agents/pizza", root / "agents/tacos")
    for agent in ("pizza", "tacos"):
        agent_id = empty_agent(clients, "shared-stg", ["en", "ja"], f"{agent} (stg)")
        write(
            root / f"environments/{agent}/stg.yaml", f"project: shared-stg\nagent_id: {agent_id}\n{SECRETS}"
        )
    assert main(["--root", str(root), "-q", "apply", "pizza/stg", "--auto-approve"]) == 0
    assert main(["--root", str(root), "drift", "pizza/stg"]) == 0
    # tacos/stg is untouched by pizza's apply: its plan still has the whole agent to write.
    assert main(["--root", str(root), "-q", "plan", "tacos/stg", "--detailed-exitcode"]) == 3
    assert main(["--root", str(root), "-q", "plan", "stg"]) == 1  # ambiguous: both agents have stg
    assert main(["--root", str(root), "-q", "apply", "tacos/stg", "--auto-approve"]) == 0
    assert main(["--root", str(root), "drift", "tacos/stg"]) == 0
