"""Issue 12 figure: `cxops lint` of the synthetic agent's tree against loading that tree
(goal: lint <= 1.5x the load).

    .venv/bin/python -m bench.lint_bench [--size L|S] [--runs N]

Builds the synthetic agent on the in-process stand-in, exports it into a tree folder, then times
``read_tree`` alone and the whole lint workflow (read, rules, locating findings in files,
inline ignores), in CPU seconds, by turns (best of ``--runs`` each). Prints readable lines,
then one JSON line with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

import grpc

from bench.synthetic import build_agent
from cxops.cx import ConnectionSettings, CxSession
from cxops.cx.read import export_package
from cxops.fake import FakeCX
from cxops.model import secrets
from cxops.package.files import read_zip_bytes
from cxops.package.reader import snapshot_from_package
from cxops.repo.tree import read_tree, write_tree
from cxops.workflows.lint import lint


def paired(runs: int, base: Callable[[], object], work: Callable[[], object]) -> tuple[float, float]:
    """Least CPU time of ``base`` and of ``work``, called by turns ``runs`` times each: on a
    shared machine the load drifts, and timing all of one then all of the other moved the
    ratio by 0.3 between runs; by turns, both see the same drift."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for fn, spent in ((base, times[0]), (work, times[1])):
            began = time.process_time()
            fn()
            spent.append(time.process_time() - began)
    return min(times[0]), min(times[1])


def synthetic_tree(size: str, folder: Path) -> None:
    """The synthetic agent of ``size``, built on an in-process stand-in, exported into ``folder``."""
    with FakeCX() as fake:
        channel = grpc.insecure_channel(fake.address, options=[("grpc.max_receive_message_length", -1)])
        agent = build_agent(channel, size)
        with CxSession(ConnectionSettings(emulator_host=fake.address)) as session:
            exported = read_zip_bytes(export_package(session, agent))
    snapshot, _ = snapshot_from_package(exported)
    secrets.redact(snapshot)
    write_tree(folder, snapshot)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="L")
    parser.add_argument("--runs", type=int, default=4)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = root / "agents" / "synthetic"
        synthetic_tree(args.size, folder)
        files = sum(1 for p in folder.rglob("*.yaml"))
        result = lint(root, ["synthetic"])
        load_s, lint_s = paired(
            args.runs, lambda: read_tree(folder, base="agents/synthetic"), lambda: lint(root, ["synthetic"])
        )
    per_rule = Counter(f.rule for f in result.findings)
    figures: dict[str, Any] = {
        "bench": "lint",
        "size": args.size,
        "files": files,
        "findings": len(result.findings),
        "files_with_findings": len({f.file for f in result.findings}),
        "load_s": round(load_s, 3),
        "lint_s": round(lint_s, 3),
        "lint_vs_load": round(lint_s / load_s, 2),
        "per_rule": dict(sorted(per_rule.items())),
    }
    print(f"synthetic {args.size}: {files} files, {len(result.findings)} findings")
    print(f"load {load_s:.3f}s, lint {lint_s:.3f}s: {lint_s / load_s:.2f}x (goal <= 1.5x)")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
