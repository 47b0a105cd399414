"""Issue 5 figures: promote a 10-resource change of the synthetic agent.

    .venv/bin/python -m bench.apply_bench [--size L|S]

Builds the synthetic agent in the stand-in, pulls it into a tree, bootstraps a stg agent with
one RestoreAgent, edits 10 resources in the tree, then plans and applies. Reports the write
calls (the stand-in's count; must be 10, or 10 x languages touched), plan+apply time as a ratio
to one pull of the same agent, and the write calls a per-resource copy (every resource, every
language: what copy tools do) would make, as a ratio. Peak memory. Last line: JSON.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

import grpc
from google.cloud import dialogflowcx_v3 as cx

from bench.synthetic import build_agent
from cxops.model import secrets
from cxops.model.snapshot import Key, Snapshot
from cxops.repo.tree import read_tree, write_tree
from cxops.stage.config import load_stage
from cxops.workflows.apply import run
from cxops.workflows.live import Via
from cxops.workflows.planning import plan_stage
from cxops.workflows.pull import pull

PROJECT = "acme-bots-stg"


def edit(snapshot: Snapshot) -> Snapshot:
    """A copy with 10 resources changed in ways the API holds, each in one language: training
    phrases of 4 intents (default language), descriptions of 3 pages and 2 flows, one webhook's
    timeout."""
    out = Snapshot(resources=copy.deepcopy(snapshot.resources))
    language = str(out.agent["default_language_code"])

    def some(kind: str, n: int) -> list[Key]:
        keys = sorted(k for k in out.resources if k.kind == kind)
        return keys[:: max(1, len(keys) // n)][:n]

    for i, key in enumerate(some("intent", 4)):
        out.resources[key].setdefault("training_phrases", {}).setdefault(language, []).append(
            f"bench edit {i}"
        )
    for i, key in enumerate(some("page", 3) + some("flow", 2)):
        out.resources[key]["description"] = f"bench edit {i}"
    [hook] = some("webhook", 1)
    out.resources[hook]["timeout"] = {"seconds": 7}
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="L")
    args = parser.parse_args(argv)
    from cxops.fake import FakeCX

    with FakeCX() as fake, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        channel = grpc.insecure_channel(fake.address, options=[("grpc.max_receive_message_length", -1)])
        dev = build_agent(channel, args.size, parent="projects/acme-bots-dev/locations/global")
        agents = cx.AgentsClient(transport=cx.AgentsClient.get_transport_class("grpc")(channel=channel))
        (root / "environments").mkdir()
        (root / "environments" / "dev.yaml").write_text(
            f"agent: bot\nproject: {dev.split('/')[1]}\nagent_id: {dev.rsplit('/', 1)[-1]}\n"
        )
        pull(root, "dev", Via.export, fake.address, None)
        tree = read_tree(root / "agents" / "bot")
        languages = [tree.agent["default_language_code"], *tree.agent.get("supported_language_codes", [])]
        stg = agents.create_agent(
            parent=f"projects/{PROJECT}/locations/global",
            agent=cx.Agent(
                display_name="stg",
                default_language_code=languages[0],
                supported_language_codes=languages[1:],
                time_zone="UTC",
            ),
        )
        secret_lines = []
        for i, name in enumerate(sorted({slot.name for slot in secrets.slots(tree)})):
            os.environ[f"CXOPS_BENCH_SECRET_{i}"] = f"bench-value-{i}"
            secret_lines.append(f"  {name}: env:CXOPS_BENCH_SECRET_{i}\n")
        (root / "environments" / "stg.yaml").write_text(
            f"agent: bot\nproject: {PROJECT}\nagent_id: {stg.name.rsplit('/', 1)[-1]}\n"
            + ("secrets:\n" + "".join(secret_lines) if secret_lines else "")
        )
        stage = load_stage(root, "stg")
        bootstrap = plan_stage(root, "stg", None, fake.address, None)
        copy_writes = len(bootstrap.writes)  # every resource, in every language it has
        began = time.perf_counter()
        fake.reset_calls()
        run(root, stage, bootstrap, fake.address, None, via_restore=True)
        restore_s = time.perf_counter() - began
        restore_writes = fake.write_count()

        began = time.perf_counter()
        pull(root, "stg", Via.export, fake.address, None)
        pull_s = time.perf_counter() - began

        write_tree(root / "agents" / "bot", edit(read_tree(root / "agents" / "bot")))
        fake.reset_calls()
        began = time.perf_counter()
        plan = plan_stage(root, "stg", None, fake.address, None)
        run(root, stage, plan, fake.address, None)
        apply_s = time.perf_counter() - began
        writes = fake.write_count()
        assert not plan_stage(root, "stg", None, fake.address, None), "did not converge"
        channel.close()
    figures = {
        "size": args.size,
        "resources": len(tree.resources),
        "languages": len(languages),
        "changed_resources": len(plan.diff.changes),
        "write_calls": writes,
        "planned_writes": len(plan.writes),
        "plan_apply_seconds": round(apply_s, 2),
        "pull_seconds": round(pull_s, 2),
        "plan_apply_vs_pull": round(apply_s / pull_s, 2),
        "copy_every_resource_writes": copy_writes,
        "copy_vs_plan_write_ratio": round(copy_writes / max(1, writes), 1),
        "bootstrap_via_restore_writes": restore_writes,
        "bootstrap_via_restore_seconds": round(restore_s, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
