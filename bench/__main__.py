"""Every figure of the scale issue in one run, one line each with its goal beside it.

    .venv/bin/python -m bench all [--size L|S]

Each benchmark runs in its own process (so each peak RSS is its own) and prints one JSON line
last; this reads those lines and prints the ratios. Ratios are against a baseline measured in
the same process and run, so they hold on a loaded machine better than seconds do.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _run(module: str, *args: str) -> dict[str, Any] | None:
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        print(f"bench.{module} failed ({done.returncode}): {done.stderr.strip()[-300:]}", file=sys.stderr)
        return None
    return dict(json.loads(lines[-1]))


Line = tuple[str, Callable[[dict[str, Any]], Any], str]


def _show(figures: dict[str, Any] | None, lines: list[Line]) -> None:
    for label, pick, goal in lines:
        try:
            value = "not measured" if figures is None else pick(figures)
        except (KeyError, TypeError):
            value = "not measured"
        shown = (
            f"{value:g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
        )
        print(f"{label:<58} {shown:>12}   goal {goal}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["all"])
    parser.add_argument("--size", default="L", type=str.upper)
    args = parser.parse_args(argv)
    size = args.size
    tree = _run("tree_bench", "--size", size)
    _show(
        tree,
        [
            ("import+write / json.load, largest corpus agent", lambda f: f["corpus"]["ratio"], "<= 3x"),
            (f"import+write / json.load, synthetic {size}", lambda f: f["synthetic"]["ratio"], "<= 3x"),
            (
                "  the same less creating the files (fs floor), corpus",
                lambda f: f["corpus"]["ratio_less_fs_floor"],
                "(reference)",
            ),
            (
                f"  the same less creating the files (fs floor), {size}",
                lambda f: f["synthetic"]["ratio_less_fs_floor"],
                "(reference)",
            ),
            (
                f"  decode / emit / write / fs floor, {size}, x json.load",
                lambda f: " / ".join(
                    f"{f['synthetic'][k] / f['synthetic']['json_load_s']:.1f}"
                    for k in ("decode_s", "emit_s", "write_s", "fs_floor_s")
                ),
                "(reference)",
            ),
            (
                f"pull via export / json.load of it, {size}",
                lambda f: f["pull"]["via_export_vs_json_load"],
                "<= 3x",
            ),
            (
                "  the same less the stand-in building the export",
                lambda f: f["pull"]["via_export_less_stand_in_vs_json_load"],
                "(reference)",
            ),
        ],
    )
    _show(
        _run("yaml_bench"),
        [
            ("tree YAML load / yaml.CSafeLoader", lambda f: f["load_vs_csafeloader"], "<= 3x"),
            ("tree YAML dump / yaml.CSafeDumper", lambda f: f["dump_vs_csafedumper"], "<= 3x"),
        ],
    )
    _show(
        _run("diff_bench", "--size", size),
        [(f"diff / loading both trees, {size}", lambda f: f["diff_vs_load"], "<= 1.5x")],
    )
    if (ROOT / "bench" / "lint_bench.py").is_file():
        _show(
            _run("lint_bench", "--size", size),
            [(f"lint / loading the tree, {size}", lambda f: f["lint_vs_load"], "<= 1.5x")],
        )
    _show(
        _run("validate_bench", "--size", size),
        [(f"validate / loading the tree, {size}", lambda f: f["validate_vs_load"], "<= 1.5x")],
    )
    _show(
        _run("apply_bench", "--size", size),
        [
            (
                f"plan+apply of a 10-resource change, {size}: peak RSS MB",
                lambda f: f["peak_rss_mb"],
                "<= 400",
            ),
            (
                "  write calls / planned writes (lease included)",
                lambda f: f["write_calls"] / f["planned_writes"],
                "~1",
            ),
            (
                f"  plan / loading the tree and reading live once, {size}",
                lambda f: f["plan_vs_load"],
                "<= 1.5x",
            ),
            ("  plan+apply / one pull", lambda f: f["plan_apply_vs_pull"], "(time, for reference)"),
            (
                "  whole-agent exports, plan + apply",
                lambda f: f["exports_plan"] + f["exports_apply"],
                "2 (was 3)",
            ),
            ("  read calls, plan + apply", lambda f: f["reads_plan"] + f["reads_apply"], "(reference)"),
        ],
    )
    _show(
        _run("env_bench"),
        [
            ("environment stage, 10 flows changed: CreateVersion calls", lambda f: f["create_version"], "10"),
            ("  UpdateEnvironment calls", lambda f: f["update_environment"], "1"),
            ("  rollback write calls", lambda f: f["rollback_write_calls"], "1"),
        ],
    )
    with tempfile.TemporaryDirectory() as tmp:
        _show(
            _run("diff_readability", "--build", str(Path(tmp) / "histories")),
            [
                (
                    "markdown diff lines / raw git diff lines, content pairs",
                    lambda f: f["content_median"],
                    "<= 1.0",
                ),
                ("  mostly-noise pairs", lambda f: f["noise_median"], "<= 0.2"),
            ],
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
