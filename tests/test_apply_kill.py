"""Kill-anywhere: `cxops apply` in a subprocess, SIGKILLed at seeded random writes (held by the
stand-in before or after they commit, so the point is exact); planning and applying again always
converges, with no duplicate, nothing lost and nothing outside the plan touched. 50+ kills across
the file."""

from __future__ import annotations

import copy
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from google.cloud import dialogflowcx_v3 as cx

from cxops.fake import FakeCX
from cxops.model.snapshot import Snapshot
from cxops.repo.tree import read_tree, write_tree
from cxops.stage.config import load_stage
from cxops.workflows.apply import run
from cxops.workflows.approve import approve
from cxops.workflows.planning import plan_stage
from tests.edits import random_edits
from tests.stagerepo import SECRET_ENV, SECRET_VALUE, SECRETS, empty_agent, sample_repo, stage_file

PROJECT = "acme-bots-stg"


def kill_at(root: Path, plan: Path, fake: FakeCX, writes: int, committed: bool, env: dict[str, str]) -> bool:
    """Apply in a subprocess; SIGKILL it while the stand-in holds its ``writes``-th write, before
    that write commits or (``committed``) after it did, its answer never sent. The kill point is
    exact whatever the machine's load. True when it was killed, False when it finished first."""
    command = [sys.executable, "-m", "cxops", "--root", str(root), "-q", "apply", str(plan)]
    with fake.hold_writes(after=writes - 1, committed=committed) as hold:
        proc = subprocess.Popen(
            [*command, "--force", "--break-lease"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 60
        while not hold.wait(0.01) and proc.poll() is None and time.monotonic() < deadline:
            pass
        if hold.reached.is_set():
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()
    return False


def live_names(clients: Any, agent: str) -> list[tuple[str, str]]:
    """(parent, display name) of every resource, to find duplicates and count."""
    out = []
    for flow in clients.flows.list_flows(parent=agent):
        out.append((agent, f"flow {flow.display_name}"))
        out += [(flow.name, f"page {p.display_name}") for p in clients.pages.list_pages(parent=flow.name)]
        out += [
            (flow.name, f"group {g.display_name}")
            for g in clients.route_groups.list_transition_route_groups(parent=flow.name)
        ]
    out += [(agent, f"intent {i.display_name}") for i in clients.intents.list_intents(parent=agent)]
    out += [(agent, f"entity {e.display_name}") for e in clients.entity_types.list_entity_types(parent=agent)]
    out += [(agent, f"webhook {w.display_name}") for w in clients.webhooks.list_webhooks(parent=agent)]
    out += [(agent, f"test {t.display_name}") for t in clients.test_cases.list_test_cases(parent=agent)]
    return out


@pytest.fixture
def setup(fake: FakeCX, clients: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(SECRET_ENV, SECRET_VALUE)
    sample_repo(tmp_path)
    stg = empty_agent(clients, PROJECT, ["en", "ja"], "Orders (stg)")
    stage_file(tmp_path, "stg", "order-desk", PROJECT, stg, SECRETS)
    # A bystander agent in the same project: nothing may touch it.
    other = empty_agent(clients, PROJECT, ["en"], "Bystander")
    clients.intents.create_intent(
        parent=f"projects/{PROJECT}/locations/global/agents/{other}", intent=cx.Intent(display_name="keep.me")
    )
    env = {**os.environ, "CXOPS_EMULATOR_HOST": fake.address, "CXOPS_AUTHOR": "ci", SECRET_ENV: SECRET_VALUE}
    return tmp_path, f"projects/{PROJECT}/locations/global/agents/{stg}", other, env


def converge(root: Path, fake: FakeCX, rng: random.Random, env: dict[str, str], kills: int) -> int:
    """Plan, apply with a kill at a random write, ``kills`` times; then apply to the end."""
    done = 0
    for _ in range(kills):
        plan = plan_stage(root, "stg", None, fake.address, None, plan_author="ci")
        if not plan:
            break
        path = root / "plan.json"
        path.write_text(plan.to_json())
        # A half-bootstrapped stage shows its secret-carrying webhook as new: someone reviews it.
        approve(path, "rev-bob")
        writes = rng.randint(1, max(1, len(plan.writes) - 1))
        done += kill_at(root, path, fake, writes, rng.random() < 0.5, env)
    final = plan_stage(root, "stg", None, fake.address, None, plan_author="ci")
    run(root, load_stage(root, "stg"), final, fake.address, None, force=True, break_lease=True)
    assert not plan_stage(root, "stg", None, fake.address, None)
    return done


def check(clients: Any, agent: str, other: str, root: Path) -> None:
    names = live_names(clients, agent)
    assert len(names) == len(set(names)), "duplicate resources"
    tree = read_tree(root / "agents" / "order-desk")
    expected = sum(
        1
        for k in tree.resources
        if k.kind in ("flow", "page", "flow_route_group", "intent", "entity_type", "webhook", "test_case")
    )
    assert len(names) == expected
    bystander = f"projects/{PROJECT}/locations/global/agents/{other}"
    assert sorted(i.display_name for i in clients.intents.list_intents(parent=bystander)) == [
        "Default Negative Intent",
        "Default Welcome Intent",
        "keep.me",
    ]


def test_bootstrap_killed_anywhere_converges(setup: Any, fake: FakeCX, clients: Any) -> None:
    root, _, other, env = setup
    rng = random.Random(1)
    kills = rounds = 0
    while kills < 25 and rounds < 60:
        rounds += 1
        # A fresh empty agent each round: kills land among creates, shells and fills.
        agent_id = empty_agent(clients, PROJECT, ["en", "ja"], f"Orders {kills}")
        stage_file(root, "stg", "order-desk", PROJECT, agent_id, SECRETS)
        kills += converge(root, fake, rng, env, kills=2)
        check(clients, f"projects/{PROJECT}/locations/global/agents/{agent_id}", other, root)
    assert kills >= 25


def test_edits_killed_anywhere_converge(setup: Any, fake: FakeCX, clients: Any) -> None:
    root, agent, other, env = setup
    converge(root, fake, random.Random(2), env, kills=0)
    rng = random.Random(3)
    kills = rounds = 0
    while kills < 25 and rounds < 60:
        rounds += 1
        tree = read_tree(root / "agents" / "order-desk")
        edited = Snapshot(resources=copy.deepcopy(tree.resources))
        random_edits(edited, rng)
        write_tree(root / "agents" / "order-desk", edited)
        kills += converge(root, fake, rng, env, kills=2)
    assert kills >= 25
    check(clients, agent, other, root)
    assert json.loads((root / "plan.json").read_text())["stage"] == "stg"
