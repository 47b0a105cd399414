"""Issue 12 figures: lint findings per rule on every agent of ../shared/corpus, and a sample of
findings per rule to read by hand (true or false positive).

    .venv/bin/python -m bench.lint_corpus [--sample N] [--rule RULE-ID] [--all-rules]

``--all-rules`` also runs the rules that are off by default. Prints a table (rules x agents),
then up to N findings per rule (spread over the agents), then one JSON line with the counts.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

from cxops.core.lint.registry import LintFinding, all_rules, default_settings, run
from cxops.package.reader import snapshot_from_package

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def corpus_agents() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return [d for d in sorted(CORPUS.iterdir()) if (d / "agent.json").is_file()]


def lint_export(folder: Path, every_rule: bool) -> list[LintFinding]:
    files = {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }
    snapshot, _ = snapshot_from_package(files)
    settings = default_settings()
    if every_rule:
        settings = {k: replace(v, enabled=True) for k, v in settings.items()}
    return run(snapshot, settings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sample", type=int, default=6, help="findings to print per rule")
    parser.add_argument("--rule", help="print the sample of this rule only")
    parser.add_argument("--all-rules", action="store_true", help="also run the rules off by default")
    args = parser.parse_args(argv)
    agents = corpus_agents()
    if not agents:
        print(f"no corpus at {CORPUS}", file=sys.stderr)
        return 1
    results: dict[str, list[LintFinding]] = {a.name: lint_export(a, args.all_rules) for a in agents}
    rules = [r.id for r in all_rules()]
    width = max(len(r) for r in rules)
    short = [a.split("__")[-1][:10] for a in results]
    print(f"{'rule':<{width}}  {'total':>5}  {'agents':>6}  " + " ".join(f"{s:>10}" for s in short))
    table: dict[str, dict[str, int]] = {}
    for rule in rules:
        counts = {a: sum(1 for f in fs if f.rule == rule) for a, fs in results.items()}
        table[rule] = counts
        hit = sum(1 for c in counts.values() if c)
        cells = " ".join(f"{counts[a]:>10}" for a in results)
        print(f"{rule:<{width}}  {sum(counts.values()):>5}  {hit:>6}  {cells}")
    print()
    for rule in rules:
        if args.rule and rule != args.rule:
            continue
        # Round-robin over agents so one big agent does not fill the sample.
        queues = {a: [f for f in fs if f.rule == rule] for a, fs in results.items()}
        sample: list[tuple[str, LintFinding]] = []
        depth = 0
        while len(sample) < args.sample and any(len(q) > depth for q in queues.values()):
            for a, q in queues.items():
                if len(q) > depth and len(sample) < args.sample:
                    sample.append((a, q[depth]))
            depth += 1
        if sample:
            print(f"== {rule}")
            for agent, f in sample:
                print(f"  {agent}: {f.key}: {f.message}")
    totals = Counter({r: sum(c.values()) for r, c in table.items()})
    print(json.dumps({"agents": len(results), "findings_per_rule": dict(totals)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
