"""Issue 15 figure: `cxops validate` of the synthetic agent's tree against loading that tree
(goal: validate <= 1.5x the load).

    .venv/bin/python -m bench.validate_bench [--size L|S] [--runs N]

The synthetic agent exported into a tree folder (as for lint_bench), then ``read_tree`` alone
and what `cxops validate AGENT` does (file-name collisions, read, validation, locating problems
in files, the stage files), in CPU seconds, by turns, best of ``--runs`` each. Last line: JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from bench.lint_bench import paired, synthetic_tree
from cxops.repo.tree import read_tree
from cxops.workflows.validate import check_agent, check_stages


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="L")
    parser.add_argument("--runs", type=int, default=4)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = root / "agents" / "synthetic"
        synthetic_tree(args.size, folder)
        problems = check_agent(root, "synthetic") + check_stages(root, ["synthetic"])
        load_s, validate_s = paired(
            args.runs,
            lambda: read_tree(folder, base="agents/synthetic"),
            lambda: check_agent(root, "synthetic") + check_stages(root, ["synthetic"]),
        )
    figures = {
        "bench": "validate",
        "size": args.size,
        "problems": len(problems),
        "load_s": round(load_s, 3),
        "validate_s": round(validate_s, 3),
        "validate_vs_load": round(validate_s / load_s, 2),
    }
    print(f"load {load_s:.3f}s, validate {validate_s:.3f}s: {validate_s / load_s:.2f}x (goal <= 1.5x)")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
