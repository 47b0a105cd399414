"""Every corpus agent promoted into an empty agent, then a seeded random edit set (add, change,
delete across kinds and languages) planned and applied: no drift after, and the stand-in saw
exactly the plan's write calls."""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import pytest

from cxops.core.plan import Plan
from cxops.fake import FakeCX
from cxops.model import secrets
from cxops.model.snapshot import Snapshot
from cxops.package import desired as api
from cxops.repo.tree import read_tree, write_tree
from cxops.stage.config import load_stage
from cxops.workflows.agents import import_package
from cxops.workflows.apply import run
from cxops.workflows.planning import plan_stage
from cxops.workflows.pull import pull
from tests.corpus import agent_dirs
from tests.edits import random_edits
from tests.stagerepo import LEASE_WRITES, empty_agent, stage_file

PROJECT = "acme-bots-stg"
DANGLING = {"ggen-matayuuu__agent-builder-retail-demo"}  # names a tool missing from its own export


def secret_config(snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch) -> str:
    names = sorted({slot.name for slot in secrets.slots(snapshot)})
    lines = []
    for i, name in enumerate(names):
        monkeypatch.setenv(f"CXOPS_CORPUS_SECRET_{i}", f"value-{i}-of-{name}")
        lines.append(f"  {name}: env:CXOPS_CORPUS_SECRET_{i}\n")
    return "secrets:\n" + "".join(lines) if lines else ""


def check_writes(plan: Plan, fake: FakeCX, languages: int) -> None:
    assert fake.write_count() == len(plan.writes) + LEASE_WRITES
    written = {w.key for w in plan.writes}
    changed = {c.key for c in plan.diff.changes}
    assert written <= changed
    for key in written:
        assert sum(1 for w in plan.writes if w.key == key) <= languages + 1, key


@pytest.mark.parametrize("folder", agent_dirs())
def test_promote_then_edit_converges_with_only_the_planned_writes(
    folder: Path, fake: FakeCX, clients: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if folder.name in DANGLING:
        pytest.skip("its playbook example names a tool missing from its own export")
    import_package(tmp_path, folder, "bot")
    tree = read_tree(tmp_path / "agents" / "bot")
    languages = api.languages_of(tree)
    agent_id = empty_agent(clients, PROJECT, languages)
    stage_file(tmp_path, "stg", "bot", PROJECT, agent_id, secret_config(tree, monkeypatch))
    stage = load_stage(tmp_path, "stg")
    host = fake.address

    first = plan_stage(tmp_path, "stg", None, host, None)
    fake.reset_calls()
    run(tmp_path, stage, first, host, None)
    check_writes(first, fake, len(languages))
    assert not plan_stage(tmp_path, "stg", None, host, None)
    # import -> apply -> pull is a fixed point: the pull writes and removes nothing.
    pulled = pull(tmp_path, "stg", "list", host, None).sync
    assert (pulled.written, pulled.removed) == ((), ())

    edited = Snapshot(resources=copy.deepcopy(tree.resources))
    done = random_edits(edited, random.Random(folder.name))
    write_tree(tmp_path / "agents" / "bot", edited)
    second = plan_stage(tmp_path, "stg", None, host, None)
    assert second, done
    fake.reset_calls()
    run(tmp_path, stage, second, host, None, force=True)
    check_writes(second, fake, len(languages))
    after = plan_stage(tmp_path, "stg", None, host, None)
    assert not after, (done, [str(c.key) for c in after.diff.changes])
