"""A 10-flow change to an environment stage: write calls and long-running operations.

    .venv/bin/python -m bench.env_bench

Goal (issue 13): apply = one CreateVersion per changed flow + one UpdateEnvironment (and the
agent's lease: two more writes); rollback = one call. Builds the sample agent with five more
flows (copies of Returns) in the stand-in, applies it to the draft stage and to the environment
stage, changes all ten flows' descriptions, applies again and measures, then rolls back. Prints
one JSON line.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import grpc
from google.cloud import dialogflowcx_v3 as cx

from cxops.cli.main import main as cli
from cxops.fake import FakeCX

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "agents" / "order-desk"
PROJECT = "acme-bots-env"
SECRET_ENV = "CXOPS_ORDERS_API_KEY_BENCH"
LRO_METHODS = ("CreateVersion", "UpdateEnvironment", "CreateEnvironment")


def build(root: Path, address: str) -> None:
    """The sample tree with ten flows, one agent in the stand-in, a draft and an environment stage."""
    tree = root / "agents" / "order-desk"
    shutil.copytree(SAMPLE, tree)
    for i in range(1, 6):
        copy = tree / "flows" / f"Returns {i}"
        shutil.copytree(tree / "flows" / "Returns", copy)
        flow = copy / "flow.yaml"
        flow.write_text(flow.read_text().replace("display_name: Returns", f"display_name: Returns {i}", 1))
    with grpc.insecure_channel(address) as channel:
        agents = cx.AgentsClient(transport=cx.AgentsClient.get_transport_class("grpc")(channel=channel))
        created = agents.create_agent(
            parent=f"projects/{PROJECT}/locations/global",
            agent=cx.Agent(
                display_name="Orders",
                default_language_code="en",
                supported_language_codes=["ja"],
                time_zone="UTC",
            ),
        )
    agent_id = created.name.rsplit("/", 1)[-1]
    (root / "environments").mkdir()
    base = f"agent: order-desk\nproject: {PROJECT}\nagent_id: {agent_id}\nsecrets:\n  orders-api/X-Api-Key: env:{SECRET_ENV}\n"
    (root / "environments" / "stg.yaml").write_text(base)
    (root / "environments" / "prd.yaml").write_text(base + "environment: production\n")


def change_every_flow(root: Path) -> int:
    flows = sorted((root / "agents" / "order-desk" / "flows").glob("*/flow.yaml"))
    for flow in flows:
        lines = [
            ("description: changed in the bench" if line.startswith("description:") else line)
            for line in flow.read_text().splitlines()
        ]
        if not any(line.startswith("description:") for line in lines):
            lines.insert(1, "description: changed in the bench")
        flow.write_text("\n".join(lines) + "\n")
    return len(flows)


def measure(root: Path, fake: FakeCX) -> dict[str, Any]:
    """Needs $CXOPS_EMULATOR_HOST = ``fake.address`` and $CXOPS_ORDERS_API_KEY_BENCH set."""
    run = ["--root", str(root), "--quiet"]
    build(root, fake.address)
    assert cli([*run, "apply", "stg", "--auto-approve"]) == 0
    assert cli([*run, "apply", "prd", "--auto-approve"]) == 0
    flows = change_every_flow(root)
    assert cli([*run, "apply", "stg", "--auto-approve"]) == 0
    fake.reset_calls()
    assert cli([*run, "apply", "prd", "--auto-approve"]) == 0
    applied = {
        "flows_changed": flows,
        "create_version": fake.count("CreateVersion"),
        "update_environment": fake.count("UpdateEnvironment"),
        "write_calls": fake.write_count(),
        # Taking and giving back the agent's lease (an UpdateAgent of its description each).
        "lease_write_calls": fake.count("UpdateAgent"),
        "long_running_operations": fake.count(*LRO_METHODS),
    }
    fake.reset_calls()
    assert cli([*run, "rollback", "prd"]) == 0
    applied["rollback_write_calls"] = fake.write_count()
    return applied


def main() -> int:
    os.environ.setdefault(SECRET_ENV, "bench-secret")
    with tempfile.TemporaryDirectory() as tmp, FakeCX(seed=1) as fake:
        os.environ["CXOPS_EMULATOR_HOST"] = fake.address
        figures = measure(Path(tmp), fake)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
