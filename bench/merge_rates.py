"""Issue 10 figures: conflict rates of ``cxops merge-driver`` and of plain git on generated pairs
of edits of the sample agent (en, ja) and the corpus agents (bench/merge_pairs.py).

    .venv/bin/python -m bench.merge_rates [--different N] [--same N] [--seed S]

Prints one line per figure, then the counts as one JSON line.
"""

from __future__ import annotations

import argparse
import json

from bench.merge_pairs import agent_files, loaded, rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--different", type=int, default=1000, help="pairs touching different items")
    parser.add_argument("--same", type=int, default=200, help="pairs touching the same item")
    parser.add_argument("--seed", type=int, default=10)
    args = parser.parse_args()
    by_agent = agent_files()
    counts = rates(loaded(by_agent), args.different, args.same, args.seed)
    n, near = counts["different_pairs"], counts["near_pairs"]

    def pct(part: int, whole: int) -> str:
        return f"{part}/{whole} ({100 * part / whole:.1f}%)" if whole else "0/0"

    print(f"agents: {', '.join(by_agent)}")
    print(f"different items, cxops merge-driver conflicts: {pct(counts['driver_conflicts'], n)} (goal 0%)")
    print(f"different items, merged != both edits applied: {pct(counts['driver_wrong_merges'], n)} (goal 0)")
    print(f"different items, plain git conflicts:          {pct(counts['git_conflicts'], n)}")
    print(f"  of which neighbours in one list or mapping:  {pct(counts['near_git_conflicts'], near)}")
    same = counts["same_pairs"]
    print(
        f"same item, cxops merge-driver conflicts:       {pct(counts['same_driver_conflicts'], same)} (goal 100%)"
    )
    print(f"same item, plain git conflicts:                {pct(counts['same_git_conflicts'], same)}")
    print(
        f"same item, lines between the markers:          median {counts['same_marked_lines_median']}, "
        f"max {counts['same_marked_lines_max']}; whole file marked: {counts['same_whole_file_conflicts']}"
    )
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
