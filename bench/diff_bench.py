"""Issue 4 figures: two synthetic agent trees that differ in 10 resources.

    .venv/bin/python -m bench.diff_bench [--size L|S]

Diff time (load both trees + compare) as a ratio to merely loading both trees, and one DeepDiff
over the two whole agents as a ratio to the compare step; peak memory. Last line: JSON.
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
from typing import Any

os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

import grpc
from deepdiff import DeepDiff

from bench.synthetic import build_agent
from cxops.core.diff import compare
from cxops.cx import ConnectionSettings, CxSession
from cxops.cx.read import export_package
from cxops.fake import FakeCX
from cxops.model.snapshot import Snapshot
from cxops.package.files import read_zip_bytes
from cxops.package.reader import snapshot_from_package
from cxops.repo.tree import read_tree, write_tree


def edit(snapshot: Snapshot, count: int = 10) -> Snapshot:
    """A copy with ``count`` resources changed, spread over kinds."""
    out = Snapshot(resources=copy.deepcopy(snapshot.resources))
    kinds = ["intent", "page", "entity_type", "flow", "webhook", "test_case"]
    changed = 0
    for kind in kinds * count:
        keys = [k for k in out.resources if k.kind == kind]
        if not keys or changed >= count:
            continue
        key = keys[(changed * 7919) % len(keys)]
        out.resources[key] = {**out.resources[key], "description": f"edited {changed}"}
        changed += 1
    return out


def timed(fn: Any) -> tuple[float, Any]:
    began = time.perf_counter()
    result = fn()
    return time.perf_counter() - began, result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="L")
    args = parser.parse_args(argv)
    with FakeCX() as fake:
        channel = grpc.insecure_channel(fake.address, options=[("grpc.max_receive_message_length", -1)])
        agent = build_agent(channel, args.size)
        with CxSession(ConnectionSettings(emulator_host=fake.address)) as session:
            snapshot, _ = snapshot_from_package(read_zip_bytes(export_package(session, agent)))
    edited = edit(snapshot)
    with tempfile.TemporaryDirectory() as tmp:
        left, right = Path(tmp) / "a", Path(tmp) / "b"
        write_tree(left, snapshot)
        write_tree(right, edited)
        load_s, (a, b) = timed(lambda: (read_tree(left), read_tree(right)))
        load_s = min(load_s, timed(lambda: (read_tree(left), read_tree(right)))[0])
        compare_s, result = timed(lambda: compare(a, b))
    diff_s = load_s + compare_s
    plain_a = {str(k): v for k, v in a.resources.items()}
    plain_b = {str(k): v for k, v in b.resources.items()}
    deep_s, deep = timed(lambda: DeepDiff(plain_a, plain_b))
    figures = {
        "bench": "diff",
        "size": args.size,
        "resources": len(snapshot.resources),
        "changed": len(result.changes),
        "load_both_s": round(load_s, 3),
        "compare_s": round(compare_s, 4),
        "diff_vs_load": round(diff_s / load_s, 3),
        "deepdiff_s": round(deep_s, 3),
        "deepdiff_vs_compare": round(deep_s / compare_s, 1),
        "deepdiff_found": len(deep.get("values_changed", {})) + len(deep.get("dictionary_item_added", [])),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(f"{figures['changed']} of {figures['resources']} resources differ")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
