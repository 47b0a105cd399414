"""A repository with agents/ and environments/ whose stages point at agents in the stand-in."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from google.cloud import dialogflowcx_v3 as cx

from cxops.model.snapshot import Snapshot
from cxops.repo.tree import write_tree

SAMPLE = Path(__file__).resolve().parents[1] / "agents" / "order-desk"
SECRET_ENV = "CXOPS_ORDERS_API_KEY_TEST"
SECRET_VALUE = "s3cr3t-orders-key-for-tests"
# A protected stage refuses unsigned approvals (issue 28 item 2): CI sets the key, so do tests.
APPROVAL_KEY = "approval-key-for-tests-0123456789abcdef"
# Every apply that writes also takes and gives back the stage's lease (cxops/workflows/lease.py).
LEASE_WRITES = 2


def empty_agent(clients: Any, project: str, languages: list[str], name: str = "Bot") -> str:
    """A new agent with only what CX creates; returns its id."""
    agent = clients.agents.create_agent(
        parent=f"projects/{project}/locations/global",
        agent=cx.Agent(
            display_name=name,
            default_language_code=languages[0],
            supported_language_codes=languages[1:],
            time_zone="UTC",
        ),
    )
    return str(agent.name.rsplit("/", 1)[-1])


def stage_file(root: Path, stage: str, agent: str, project: str, agent_id: str, extra: str = "") -> Path:
    (root / "environments").mkdir(parents=True, exist_ok=True)
    path = root / "environments" / f"{stage}.yaml"
    path.write_text(f"agent: {agent}\nproject: {project}\nlocation: global\nagent_id: {agent_id}\n{extra}")
    return path


def sample_repo(root: Path) -> Path:
    """The team's sample agent under ``root/agents/order-desk``."""
    target = root / "agents" / "order-desk"
    shutil.copytree(SAMPLE, target)
    return target


def tree_repo(root: Path, name: str, snapshot: Snapshot) -> Path:
    target = root / "agents" / name
    write_tree(target, snapshot)
    return target


def sample_in_stand_in(root: Path, address: str, monkeypatch: Any) -> Path:
    """The sample agent in ``root``, with the environment a CI job has: the stand-in's address,
    the stage secret, a plan author, and the approval key that signs approvals."""
    monkeypatch.setenv(SECRET_ENV, SECRET_VALUE)
    monkeypatch.setenv("CXOPS_EMULATOR_HOST", address)
    monkeypatch.setenv("CXOPS_AUTHOR", "dev-alice")
    monkeypatch.setenv("CXOPS_APPROVAL_KEY", APPROVAL_KEY)
    return sample_repo(root)


SECRETS = f"secrets:\n  orders-api/X-Api-Key: env:{SECRET_ENV}\n"


def applied_sample(root: Path, address: str, clients: Any, monkeypatch: Any, project: str) -> Path:
    """The sample agent applied to a new agent, stage ``stg`` of ``project``, in the stand-in."""
    from cxops.cli.main import main  # the CLI's import cost only for tests that apply

    sample_in_stand_in(root, address, monkeypatch)
    stg = empty_agent(clients, project, ["en", "ja"], "Orders (stg)")
    stage_file(root, "stg", "order-desk", project, stg, SECRETS)
    assert main(["--root", str(root), "-q", "apply", "stg", "--auto-approve"]) == 0
    return root


RETURNS_PAGE = Path("agents/order-desk/flows/Returns/pages/Check Return Eligibility.yaml")


def edit_returns_page(root: Path, text: str) -> None:
    """Change one page of the sample's Returns flow (its first message), nothing else."""
    page = root / RETURNS_PAGE
    page.write_text(page.read_text().replace("can be returned.", text), encoding="utf-8")


def sample_stage(
    root: Path, address: str, clients: Any, monkeypatch: Any, extra: str = "", project: str = "acme-bots-stg"
) -> str:
    """The sample agent in ``root`` and stage ``stg`` on a new empty agent of the stand-in, with
    the sample's secret; returns the agent's resource name."""
    sample_in_stand_in(root, address, monkeypatch)
    agent = empty_agent(clients, project, ["en", "ja"], "Orders (stg)")
    stage_file(root, "stg", "order-desk", project, agent, SECRETS + extra)
    return f"projects/{project}/locations/global/agents/{agent}"
