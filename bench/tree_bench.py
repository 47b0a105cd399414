"""Issue 3 figures: import + write of an agent tree, as a ratio to merely json.load-ing the
export; and pulling the synthetic L agent via one export vs via listing every resource.

    .venv/bin/python -m bench.tree_bench [--size L|S] [--corpus-agent NAME]

Prints readable lines, then one JSON line with the figures.
"""

from __future__ import annotations

import argparse
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

from bench.synthetic import build_agent
from cxops.cx import ConnectionSettings, CxSession
from cxops.cx.read import export_package, read_agent
from cxops.fake import FakeCX
from cxops.model import secrets
from cxops.package.files import read_zip_bytes
from cxops.package.fromapi import package_from_api
from cxops.package.reader import snapshot_from_package
from cxops.repo.tree import write_tree

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def best(runs: int, fn: Any) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return min(times)


def import_ratio(files: dict[str, bytes], runs: int) -> dict[str, float]:
    """Time to decode + write a tree, over the time to json.load every file of the export."""

    def baseline() -> None:
        for path, data in files.items():
            if path.endswith(".json"):
                json.loads(data)

    def full() -> float:
        # Only decode + write is timed: deleting the written tree afterwards is the bench's
        # cleanup, not part of an import (it was ~0.2 s of unlinks on the largest corpus agent).
        with tempfile.TemporaryDirectory() as tmp:
            began = time.perf_counter()
            snapshot, _ = snapshot_from_package(files)
            secrets.redact(snapshot)
            write_tree(Path(tmp) / "agent", snapshot)
            return time.perf_counter() - began

    base = best(runs, baseline)
    took = min(full() for _ in range(runs))
    return {"json_load_s": round(base, 3), "import_write_s": round(took, 3), "ratio": round(took / base, 2)}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="L")
    parser.add_argument("--corpus-agent", default="mohitgour08__dialogflowcx")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {"bench": "tree", "size": args.size}
    folder = CORPUS / args.corpus_agent
    if folder.is_dir():
        files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
        figures["corpus"] = {
            "agent": args.corpus_agent,
            "files": len(files),
            **import_ratio(files, args.runs),
        }
        print(f"corpus {args.corpus_agent}: {figures['corpus']}")
    with FakeCX() as fake:
        channel = grpc.insecure_channel(fake.address, options=[("grpc.max_receive_message_length", -1)])
        began = time.perf_counter()
        agent = build_agent(channel, args.size)
        print(f"built {args.size} in {time.perf_counter() - began:.1f}s")
        with CxSession(ConnectionSettings(emulator_host=fake.address)) as session:
            fake.reset_calls()
            began = time.perf_counter()
            exported = read_zip_bytes(export_package(session, agent))
            export_s = time.perf_counter() - began
            export_rpcs = sum(fake.calls.values())
            fake.reset_calls()
            began = time.perf_counter()
            listed = package_from_api(read_agent(session, agent))
            list_s = time.perf_counter() - began
            list_rpcs = sum(fake.calls.values())
        same = snapshot_from_package(exported)[0].resources == snapshot_from_package(listed)[0].resources
        figures["synthetic"] = {
            "files": len(exported),
            **import_ratio(exported, args.runs),
        }
        figures["pull"] = {
            "export_rpcs": export_rpcs,
            "export_s": round(export_s, 2),
            "list_rpcs": list_rpcs,
            "list_s": round(list_s, 2),
            "same_snapshot": same,
        }
        print(f"synthetic {args.size}: {figures['synthetic']}")
        print(f"pull {args.size}: {figures['pull']}")
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
