"""Issue 30: the start-up of commands that never talk to CX, against a bare typer + rich + yaml.

    .venv/bin/python -m bench.startup [--runs 5] [--files 100]

Every command runs as a whole process (the console script ``cxops`` beside this interpreter),
on the sample agent in a temporary git repository; the baseline is ``python -c "import typer,
rich.console, yaml"`` in the same run, rounds interleaved so load on the machine falls on both
alike. Figures are medians of ``--runs``. Then a git merge of two branches that both changed
``--files`` agent files, once through ``cxops merge-driver`` (git runs it once per file) and once
with git's own text merge of the same branches. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cxops.workflows.init import MERGE_ATTRIBUTE

ROOT = Path(__file__).resolve().parent.parent
BARE = [sys.executable, "-c", "import typer, rich.console, yaml"]
GOALS = {"--help": 2.5, "merge-driver": 3.0}
MERGE_GOAL = 3.0  # per file, x the bare start


def _cxops() -> list[str]:
    script = Path(sys.executable).with_name("cxops")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cxops"]


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def _wall(cmd: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    took = time.perf_counter() - started
    if done.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(cmd)}: exit {done.returncode}: {done.stderr.strip()[-300:]}")
    return took


def sample_repo(folder: Path) -> Path:
    """The sample agent and its stage files, committed in a new git repository."""
    root = folder / "repo"
    root.mkdir()
    shutil.copytree(ROOT / "agents" / "order-desk", root / "agents" / "order-desk")
    shutil.copytree(ROOT / "environments", root / "environments")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "sample agent")
    return root


def commands(root: Path, folder: Path) -> dict[str, list[str]]:
    intent = root / "agents" / "order-desk" / "intents" / "confirm.no.yaml"
    base = intent.read_text(encoding="utf-8")
    sides = {"base": base, "theirs": base.replace("Refusal,", "A refusal,")}
    for side, text in sides.items():
        (folder / f"{side}.yaml").write_text(text, encoding="utf-8")
    package = folder / "order-desk.zip"
    subprocess.run(
        [*_cxops(), "package", "order-desk", "-o", str(package)], cwd=root, check=True, capture_output=True
    )
    return {
        "--help": ["--help"],
        "--version": ["--version"],
        "merge-driver": [
            "merge-driver",
            str(folder / "base.yaml"),
            str(folder / "ours.yaml"),
            str(folder / "theirs.yaml"),
            "agents/order-desk/intents/confirm.no.yaml",
        ],
        "validate": ["validate"],
        "lint": ["lint"],
        "diff trees": ["diff", "agents/order-desk", "agents/order-desk"],
        "diff git:HEAD": ["diff", "git:HEAD", "agents/order-desk"],
        "diff package": ["diff", str(package), "agents/order-desk"],
        "import": ["import", str(package), "--agent", "imported", "--force"],
        "package": ["package", "order-desk", "-o", str(folder / "again.zip")],
        "changed": ["changed", "--since", "HEAD"],
    }


def startup(root: Path, folder: Path, runs: int) -> dict[str, dict[str, float]]:
    cmds = commands(root, folder)
    times: dict[str, list[float]] = {"bare": [], **{name: [] for name in cmds}}
    ours = (folder / "base.yaml").read_text(encoding="utf-8").replace("priority: 500000", "priority: 400000")
    for _ in range(runs):
        times["bare"].append(_wall(BARE, root))
        for name, args in cmds.items():
            (folder / "ours.yaml").write_text(ours, encoding="utf-8")
            times[name].append(_wall([*_cxops(), *args], root))
    bare = statistics.median(times["bare"])
    return {
        name: {"seconds": round(statistics.median(t), 4), "ratio": round(statistics.median(t) / bare, 2)}
        for name, t in times.items()
    }


def _intent(i: int, phrases: list[str], description: str) -> str:
    listed = ", ".join(phrases)
    return (
        f"display_name: bench.{i:03d}\n"
        "training_phrases:\n"
        f"  en: [{listed}]\n"
        f"  ja: [注文 {i}, 確認 {i}]\n"
        "priority: 500000\n"
        f"description: {description}\n"
    )


def branches(root: Path, files: int) -> None:
    """``ours`` and ``theirs`` off ``main``, each changing the same ``files`` intent files in
    places apart (a description; a training phrase), so either merge is clean."""
    folder = root / "agents" / "order-desk" / "intents"
    phrases = [[f"order {i} status", f"where is order {i}"] for i in range(files)]
    for i in range(files):
        (folder / f"bench.{i:03d}.yaml").write_text(_intent(i, phrases[i], "as first made"), encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "bench intents")
    for branch, change in (
        ("ours", lambda i: _intent(i, phrases[i], "edited on ours")),
        ("theirs", lambda i: _intent(i, [*phrases[i], f"track order {i}"], "as first made")),
    ):
        git(root, "checkout", "-q", "-b", branch, "main")
        for i in range(files):
            (folder / f"bench.{i:03d}.yaml").write_text(change(i), encoding="utf-8")
        git(root, "commit", "-qam", branch)
    # Merges run on a branch of their own, reset to ours' commit each time (a merge moves the
    # branch it is on).
    git(root, "checkout", "-q", "-b", "merging", "ours")


def merge_once(root: Path, driver: bool) -> float:
    attributes = root / ".gitattributes"
    if driver:
        attributes.write_text(MERGE_ATTRIBUTE + "\n", encoding="utf-8")
    elif attributes.exists():
        attributes.unlink()
    git(root, "reset", "-q", "--hard", "ours")
    started = time.perf_counter()
    git(root, "merge", "-q", "--no-edit", "theirs")
    took = time.perf_counter() - started
    git(root, "rev-parse", "-q", "--verify", "HEAD^2")  # a real merge, not "already up to date"
    git(root, "reset", "-q", "--hard", "ours")
    return took


def merges(root: Path, files: int, runs: int, bare: float) -> dict[str, float]:
    branches(root, files)
    command = " ".join(f'"{part}"' for part in _cxops())
    git(root, "config", "merge.cxops.name", "cxops structural merge of agent files")
    git(root, "config", "merge.cxops.driver", f"{command} merge-driver %O %A %B %P")
    driver = statistics.median(merge_once(root, True) for _ in range(runs))
    text = statistics.median(merge_once(root, False) for _ in range(runs))
    return {
        "files": files,
        "driver_s": round(driver, 3),
        "git_text_s": round(text, 3),
        "driver_per_file_s": round(driver / files, 4),
        "driver_per_file_ratio": round(driver / files / bare, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--files", type=int, default=100)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        root = sample_repo(folder)
        figures = startup(root, folder, args.runs)
        bare = figures["bare"]["seconds"]
        print(f"{'python -c import typer, rich.console, yaml':<44} {bare:7.3f} s")
        for name, f in figures.items():
            if name != "bare":
                goal = f"   goal <= {GOALS[name]}x" if name in GOALS else ""
                print(f"{'cxops ' + name:<44} {f['seconds']:7.3f} s  {f['ratio']:5.2f}x{goal}")
        merge = merges(root, args.files, max(1, min(args.runs, 3)), bare)
        print(
            f"git merge, {merge['files']} agent files both branches changed: through the driver "
            f"{merge['driver_s']:.2f} s ({merge['driver_per_file_s'] * 1000:.0f} ms a file, "
            f"{merge['driver_per_file_ratio']:.2f}x bare, goal <= {MERGE_GOAL}x); git's text merge "
            f"{merge['git_text_s']:.2f} s"
        )
    print(
        json.dumps(
            {"startup": figures, "merge": merge, "python": sys.version.split()[0], "cpus": os.cpu_count()}
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
