"""How long ``cxops diff --format markdown`` is against raw ``git diff``, over commit pairs of
git repositories holding a CX agent (issue 14 part 4).

    .venv/bin/python -m bench.diff_readability --repo PATH [--repo PATH ...] [--build DIR] [-v]

Every commit of a repository's first-parent history is paired with its parent. A repository
holds one agent: a JSON package at its root (as CX's git integration pushes it) or a cxops tree
(``agents/NAME/``, the one ``git:REF`` finds). ``--build DIR`` first builds histories from
corpus agents into DIR (bench/diff_history.py) and measures those too.

Per pair:

- **raw**: the changed lines of ``git diff PARENT COMMIT`` (lines starting ``+`` or ``-``, the
  ``+++``/``---`` file headers left out);
- **markdown**: the lines of ``cxops diff git:PARENT git:COMMIT --format markdown`` (every line,
  blank and collapsed ones included: what the comment holds);
- **ratio**: markdown / raw. Pairs with no raw changed line are left out.

A pair is **mostly-noise** when its cxops diff is empty, or when at least half of its raw
changed lines are server noise; else it is **content**. A raw changed line is noise when it
pairs up with a changed line on the other side of the same file that says the same once
normalized: leading and trailing blanks and a trailing comma dropped, every UUID replaced by
one placeholder, every number rounded to float32's 7 significant digits (``0.30000001`` is
``0.3``). So key reordering (the same line removed and added elsewhere), regenerated ids and
float32 noise count as noise; an edited value, an added or removed line of content do not.

Printed: both medians with the goals beside them (content <= 1.0, mostly-noise <= 0.2), and
any pair whose cxops diff is empty although most of its raw lines are not noise (a change
cxops may have lost: look at it). Subjects starting ``[content]`` or ``[noise]`` (the built
histories) are checked against the classification. The last line is JSON for ``bench all``.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from cxops.core.diff import compare
from cxops.errors import ConfigError
from cxops.model.snapshot import Snapshot
from cxops.render import markdown
from cxops.repo.gitsource import NoAgentAtRef
from cxops.workflows.sources import load_source

CONTENT_GOAL = 1.0
NOISE_GOAL = 0.2
NOISE_SHARE = 0.5  # a pair is mostly-noise from this share of noise lines up

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_NUMBER = re.compile(r"-?\d+\.\d+(?:[eE][-+]?\d+)?")


@dataclass(frozen=True)
class Pair:
    repo: str
    commit: str
    subject: str
    raw: int
    noise: int
    markdown: int
    empty: bool

    @property
    def ratio(self) -> float:
        return self.markdown / self.raw

    @property
    def mostly_noise(self) -> bool:
        return self.empty or self.noise >= NOISE_SHARE * self.raw

    @property
    def label(self) -> str:
        return "mostly-noise" if self.mostly_noise else "content"


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True)
    return done.stdout.decode("utf-8", "replace")


def _normal(line: str) -> str:
    line = _UUID.sub("<uuid>", line.strip().removesuffix(","))
    return _NUMBER.sub(lambda m: f"{float(m.group()):.7g}", line)


def raw_lines(repo: Path, parent: str, commit: str) -> tuple[int, int]:
    """Changed lines of ``git diff`` and how many of them are noise (see the module's doc)."""
    text = _git(repo, "diff", "--no-color", "--no-ext-diff", "--find-renames", parent, commit)
    changed = noise = 0
    removed: Counter[str] = Counter()
    added: Counter[str] = Counter()

    def close_file() -> int:
        return 2 * sum((removed & added).values())

    for line in text.splitlines():
        if line.startswith("diff --git "):
            noise += close_file()
            removed.clear()
            added.clear()
        elif line.startswith(("+++", "---")):
            continue
        elif line.startswith("-"):
            changed += 1
            removed[_normal(line[1:])] += 1
        elif line.startswith("+"):
            changed += 1
            added[_normal(line[1:])] += 1
    return changed, noise + close_file()


class _Sides:
    """Snapshots by commit, each read once (a commit is the right side of one pair and the left
    of the next)."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.cache: dict[str, Snapshot] = {}

    def __call__(self, commit: str) -> Snapshot:
        if commit not in self.cache:
            try:
                self.cache[commit] = load_source(self.repo, f"git:{commit}", None, None).snapshot
            except NoAgentAtRef:
                self.cache[commit] = Snapshot()
        return self.cache[commit]


def pairs(repo: Path) -> list[Pair]:
    log = _git(repo, "log", "--first-parent", "--reverse", "--format=%H %P%x09%s")
    sides = _Sides(repo)
    out = []
    for record in log.splitlines():
        ids, subject = record.split("\t", 1)
        commit, *parents = ids.split()
        if not parents:
            continue
        raw, noise = raw_lines(repo, parents[0], commit)
        if raw == 0:
            continue
        diff = compare(sides(parents[0]), sides(commit), f"git:{parents[0][:12]}", f"git:{commit[:12]}")
        text = markdown.render(diff)
        out.append(Pair(repo.name, commit[:12], subject, raw, noise, len(text.splitlines()), not diff))
    return out


def summary(found: list[Pair]) -> dict[str, object]:
    content = [p.ratio for p in found if not p.mostly_noise]
    noisy = [p.ratio for p in found if p.mostly_noise]
    lost = [f"{p.repo} {p.commit} {p.subject}" for p in found if p.empty and p.noise < NOISE_SHARE * p.raw]
    disagree = [
        f"{p.repo} {p.commit} {p.subject} (classified {p.label})"
        for p in found
        if (p.subject.startswith("[content]") and p.mostly_noise)
        or (p.subject.startswith("[noise]") and not p.mostly_noise)
    ]
    return {
        "pairs": len(found),
        "content_pairs": len(content),
        "noise_pairs": len(noisy),
        "content_median": statistics.median(content) if content else None,
        "noise_median": statistics.median(noisy) if noisy else None,
        "possibly_lost": lost,
        "disagree": disagree,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.diff_readability", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--repo", type=Path, action="append", default=[], help="a git repository (repeat)")
    parser.add_argument("--build", type=Path, help="build histories from the corpus here first")
    parser.add_argument("-v", "--verbose", action="store_true", help="one line per pair")
    args = parser.parse_args(argv)
    repos: list[Path] = list(args.repo)
    if args.build is not None:
        from bench.diff_history import CORPUS, build

        if not CORPUS.is_dir():
            print(f"corpus not found at {CORPUS}", file=sys.stderr)
            return 1
        repos += build(args.build)
    if not repos:
        parser.error("give --repo PATH (repeat) or --build DIR")
    found: list[Pair] = []
    for repo in repos:
        try:
            found += pairs(repo)
        except (ConfigError, subprocess.CalledProcessError) as failed:
            print(f"{repo}: {failed}", file=sys.stderr)
            return 1
    if args.verbose:
        for p in found:
            print(
                f"{p.repo[:28]:<28} {p.commit} {p.label:<12} raw {p.raw:>5} (noise {p.noise:>5})"
                f"  markdown {p.markdown:>4}  ratio {p.ratio:6.2f}  {p.subject[:40]}"
            )
    figures = summary(found)
    for name, goal in (("content", CONTENT_GOAL), ("noise", NOISE_GOAL)):
        median = figures[f"{name}_median"]
        shown = "no pairs" if median is None else f"{median:.2f}"
        label = "content pairs" if name == "content" else "mostly-noise pairs"
        count = figures[f"{name}_pairs"]
        print(f"markdown lines per raw changed line, {label} ({count}): median {shown:>8}   goal <= {goal}")
    for item in figures["possibly_lost"]:  # type: ignore[attr-defined]
        print(f"empty cxops diff over non-noise raw lines (a lost change?): {item}")
    for item in figures["disagree"]:  # type: ignore[attr-defined]
        print(f"label disagrees with the classification: {item}")
    print(json.dumps({**figures, "per_pair": [{**asdict(p), "label": p.label} for p in found]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
