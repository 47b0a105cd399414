"""A repository of several agents: stages as environments/<agent>/<stage>.yaml, named AGENT/STAGE
on the command line, and `cxops changed` for a CI matrix; two agents deploy independently
through the real client against the stand-in."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

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


# --- cxops init for several agents, and the workflows it writes -----------------------------------

FLEET_WORKFLOWS = ("cxops-pr.yml", "cxops-pr-agent.yml", "cxops-deploy.yml", "cxops-deploy-agent.yml")


def test_init_for_several_agents_writes_stages_per_agent_and_fan_out_workflows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--root", str(tmp_path), "init", "--agent", "pizza", "--agent", "tacos"]) == 0
    assert "environments/<agent>/dev.yaml, stg.yaml and prd.yaml" in capsys.readouterr().out
    stages = load_stages(tmp_path)
    assert sorted(stages) == [f"{a}/{s}" for a in ("pizza", "tacos") for s in ("dev", "prd", "stg")]
    assert stages["tacos/prd"].source == "tacos/stg" and stages["tacos/prd"].protected
    for name in FLEET_WORKFLOWS:
        assert (tmp_path / ".github/workflows" / name).is_file()
    pr = yaml.safe_load((tmp_path / ".github/workflows/cxops-pr.yml").read_text())
    assert pr["jobs"]["agent"]["uses"] == "./.github/workflows/cxops-pr-agent.yml"
    assert (
        pr["jobs"]["agent"]["strategy"]["matrix"]["include"]
        == "${{ fromJSON(needs.changes.outputs.agents) }}"
    )
    deploy = yaml.safe_load((tmp_path / ".github/workflows/cxops-deploy-agent.yml").read_text())
    groups = [job["concurrency"]["group"] for job in deploy["jobs"].values() if "concurrency" in job]
    assert groups == ["cxops-${{ inputs.agent }}-stg", "cxops-${{ inputs.agent }}-prd"]

    # Run again to add one: only its stages are written, the shared files stay as they are.
    before = (tmp_path / ".github/workflows/cxops-pr.yml").stat().st_mtime_ns
    assert main(["--root", str(tmp_path), "--format", "json", "init", "--agent", "churros"]) == 0
    written = json.loads(capsys.readouterr().out)["written"]
    assert [w for w in written if w.startswith("environments/")] == [
        "environments/churros/dev.yaml",
        "environments/churros/stg.yaml",
        "environments/churros/prd.yaml",
    ]
    assert not any(w.startswith(".github/") for w in written)
    assert (tmp_path / ".github/workflows/cxops-pr.yml").stat().st_mtime_ns == before


def test_init_refuses_a_second_agent_beside_flat_stage_files(tmp_path: Path) -> None:
    assert main(["--root", str(tmp_path), "-q", "init", "--agent", "pizza"]) == 0
    before = sorted(p.as_posix() for p in tmp_path.rglob("*"))
    assert main(["--root", str(tmp_path), "init", "--agent", "pizza", "--agent", "tacos"]) == 1
    assert sorted(p.as_posix() for p in tmp_path.rglob("*")) == before


def test_the_fleet_workflows_pass_actionlint(tmp_path: Path) -> None:
    from tests.test_init import actionlint

    assert main(["--root", str(tmp_path), "-q", "init", "--agent", "pizza", "--agent", "tacos"]) == 0
    done = actionlint(*(tmp_path / ".github/workflows" / name for name in FLEET_WORKFLOWS))
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def steps(workflow: Path, job: str) -> list[str]:
    return [s["run"] for s in yaml.safe_load(workflow.read_text())["jobs"][job]["steps"] if "run" in s]


def run(script: str, root: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-e", "-c", script], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_a_change_to_one_agent_runs_only_its_jobs_and_deploys_only_it(
    tmp_path: Path, fake: FakeCX, clients: Any
) -> None:
    import os
    import sys

    cxops_bin = Path(sys.executable).parent
    if not (cxops_bin / "cxops").exists():
        pytest.skip(f"no cxops console script next to {sys.executable}")
    root = tmp_path / "repo"
    for agent in ("pizza", "tacos"):
        shutil.copytree(SAMPLE, root / "agents" / agent)
    assert main(["--root", str(root), "-q", "init", "--agent", "pizza", "--agent", "tacos"]) == 0
    ids = {}
    for agent in ("pizza", "tacos"):
        ids[agent] = empty_agent(clients, "fleet-stg", ["en", "ja"], f"{agent} stg")
        write(
            root / f"environments/{agent}/stg.yaml", f"project: fleet-stg\nagent_id: {ids[agent]}\n{SECRETS}"
        )
    committed(root)
    git(root, "update-ref", "refs/remotes/origin/main", "HEAD")  # the pull request's base
    git(root, "checkout", "-q", "-b", "faq")
    intent = root / "agents/pizza/intents/help.callback.yaml"
    intent.write_text(
        re.sub(r"(?m)^description: .*$", "description: edited", intent.read_text()), encoding="utf-8"
    )

    output = tmp_path / "output.txt"
    env = {
        **os.environ,
        "PATH": f"{cxops_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        "CXOPS_EMULATOR_HOST": fake.address,
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "BASE_REF": "main",
        "CXOPS_ORDERS_API_KEY_TEST": "k",
        "CXOPS_APPROVAL_KEY": "k" * 32,
    }
    [changed_step] = steps(root / ".github/workflows/cxops-pr.yml", "changes")
    done = run(changed_step, root, env)
    assert done.returncode == 0, done.stderr
    matrix = json.loads(output.read_text().split("agents=", 1)[1])
    assert [entry["agent"] for entry in matrix] == ["pizza"]  # the matrix holds only pizza's jobs

    # The deploy workflow's staging job for that matrix entry, as GitHub runs it.
    for script in steps(root / ".github/workflows/cxops-deploy-agent.yml", "stg")[:1]:
        done = run(script, root, {**env, "AGENT": "pizza"})
        assert done.returncode == 0, done.stdout + done.stderr
    assert main(["--root", str(root), "--emulator-host", fake.address, "drift", "pizza/stg"]) == 0
    tacos = clients.flows.list_flows(parent=f"projects/fleet-stg/locations/global/agents/{ids['tacos']}")
    assert [f.display_name for f in tacos] == ["Default Start Flow"]  # untouched
