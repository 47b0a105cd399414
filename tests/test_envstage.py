"""Stages that are CX environments: apply = one CreateVersion per changed flow + one
UpdateEnvironment; unchanged flows keep their versions; the stage's webhook URI goes to the
environment's webhook_config; rollback = one UpdateEnvironment; a run stopped between the calls
converges when run again, without a second version of any flow. Real client, stand-in."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from cxops.cli.main import main
from cxops.fake import FakeCX
from tests.stagerepo import (
    LEASE_WRITES,
    SECRETS,
    edit_returns_page,
    empty_agent,
    sample_in_stand_in,
    stage_file,
)

PROJECT = "acme-bots-stg"
STG_URI = "https://orders.stg.example.com/cx"
PRD_URI = "https://orders.example.com/cx"


@pytest.fixture
def repo(fake: FakeCX, clients: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    sample_in_stand_in(tmp_path, fake.address, monkeypatch)
    agent = empty_agent(clients, PROJECT, ["en", "ja"], "Orders")
    hook = "overrides:\n  webhooks/orders-api:\n    generic_web_service.uri: {}\n"
    stage_file(tmp_path, "stg", "order-desk", PROJECT, agent, SECRETS + hook.format(STG_URI))
    stage_file(
        tmp_path,
        "prd",
        "order-desk",
        PROJECT,
        agent,
        SECRETS + "environment: production\n" + hook.format(PRD_URI),
    )
    assert cli(tmp_path, "apply", "stg", "--auto-approve") == 0
    return tmp_path


def cli(root: Path, *args: str) -> int:
    return main(["--root", str(root), *args])


def environment(clients: Any, fake: FakeCX) -> Any:
    [agent] = [a for a in clients.agents.list_agents(parent=f"projects/{PROJECT}/locations/global")]
    [env] = clients.environments.list_environments(parent=agent.name)
    return env


def test_environment_stage_versions_changed_flows_and_rolls_back_in_one_call(
    repo: Path, fake: FakeCX, clients: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(repo, "plan", "prd", "--detailed-exitcode") == 3
    fake.reset_calls()
    assert cli(repo, "apply", "prd", "--auto-approve") == 0
    assert fake.count("CreateVersion") == 5 and fake.count("CreateEnvironment") == 1
    env = environment(clients, fake)
    first = {c.version for c in env.version_configs}
    assert len(first) == 5
    assert [w.generic_web_service.uri for w in env.webhook_config.webhook_overrides] == [PRD_URI]
    assert cli(repo, "plan", "prd", "--detailed-exitcode") == 0
    assert cli(repo, "drift", "prd") == 0

    edit_returns_page(repo, "can be returned today.")
    assert cli(repo, "apply", "stg", "--auto-approve") == 0
    capsys.readouterr()
    assert cli(repo, "drift", "prd") == 0  # a tree change not applied yet is not drift
    assert "changes not applied yet (not drift)" in capsys.readouterr().out
    assert cli(repo, "plan", "prd") == 0
    out = capsys.readouterr().out
    assert "+ version flow 'Returns'" in out and "keep flow 'Order Status'" in out
    fake.reset_calls()
    assert cli(repo, "apply", "prd", "--auto-approve") == 0
    assert fake.count("CreateVersion") == 1 and fake.count("UpdateEnvironment") == 1
    assert fake.write_count() == 2 + LEASE_WRITES  # the agent's lease, taken and given back
    second = {c.version for c in environment(clients, fake).version_configs}
    assert len(second - first) == 1 and len(first - second) == 1  # unchanged flows keep theirs

    fake.reset_calls()
    assert cli(repo, "rollback", "prd") == 0
    assert fake.write_count() == 1 and fake.count("UpdateEnvironment") == 1
    assert {c.version for c in environment(clients, fake).version_configs} == first


@pytest.mark.parametrize(("writes", "committed"), [(3, False), (3, True), (6, False), (6, True)])
def test_killed_anywhere_the_next_run_converges_with_one_version_a_flow(
    repo: Path, fake: FakeCX, clients: Any, writes: int, committed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SIGKILL at the third CreateVersion (3: the lease and two versions let through) and at
    # the CreateEnvironment after the last version (6), each held by the stand-in before it
    # commits or after (made, its answer never sent: the version in flight). The process is
    # killed while the call is held, so the kill point is exact whatever the timing.
    command = [sys.executable, "-m", "cxops", "--root", str(repo), "-q", "apply", "prd", "--auto-approve"]
    with fake.hold_writes(after=writes, committed=committed) as hold:
        # Killed as a cancelled GitHub Actions job is: attempt 1 of its run.
        attempt_1 = {
            **os.environ,
            "GITHUB_ACTIONS": "true",
            "GITHUB_RUN_ID": "777",
            "GITHUB_RUN_ATTEMPT": "1",
        }
        proc = subprocess.Popen(command, env=attempt_1, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not hold.wait(0.01) and proc.poll() is None and time.monotonic() < deadline:
            pass
        assert hold.reached.is_set(), "apply made fewer writes than the kill point"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    [agent] = clients.agents.list_agents(parent=f"projects/{PROJECT}/locations/global")
    made = [
        v
        for f in clients.flows.list_flows(parent=agent.name)
        for v in clients.versions.list_versions(parent=f.name)
    ]
    env_made = writes == 6 and committed
    assert len(made) == min(writes - 1 + committed, 5)
    assert len(list(clients.environments.list_environments(parent=agent.name))) == env_made
    # The killed run's lease is still held: a run with something to write is refused (one
    # whose environment was made already has nothing to write); the run's re-run (attempt 2)
    # takes it over, or clears it when nothing is left to write.
    assert cli(repo, "apply", "prd", "--auto-approve") == (0 if env_made else 1)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_RUN_ID", "777")
    monkeypatch.setenv("GITHUB_RUN_ATTEMPT", "2")
    assert cli(repo, "apply", "prd", "--auto-approve") == 0
    assert "[cxops-lease" not in clients.agents.get_agent(name=agent.name).description
    env = environment(clients, fake)
    agent = env.name.split("/environments/")[0]
    flows = list(clients.flows.list_flows(parent=agent))
    for flow in flows:
        assert len(list(clients.versions.list_versions(parent=flow.name))) == 1, flow.display_name
    assert len(env.version_configs) == len(flows)
    assert cli(repo, "plan", "prd", "--detailed-exitcode") == 0
    assert cli(repo, "drift", "prd") == 0


def test_environment_key_is_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stage_file(tmp_path, "prd", "order-desk", PROJECT, "abc", "environment: ''\n")
    assert cli(tmp_path, "plan", "prd") == 1
    assert "environments/prd.yaml:5: environment: must not be empty" in capsys.readouterr().err
