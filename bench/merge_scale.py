"""Issue 28 item 7: how ``cxops merge-driver`` scales with a list's length.

    .venv/bin/python -m bench.merge_scale [--sizes 20000,40000]

For each size, an intent of that many phrases where one branch edits one in ten and the other
inserts one in ten and deletes one in twenty; the driver's time is printed beside git
merge-file's on the same three files (the baseline, same run), and the last line gives the
growth from the smallest to the largest size (2x the phrases: about 2x the time when linear).
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from cxops.repo import yamlio
from cxops.workflows.mergedriver import merge_file


def phrase_versions(n: int) -> tuple[str, str, str]:
    """Base, ours and theirs of an intent of ``n`` phrases (seeded by ``n``)."""
    rng = random.Random(n)
    base = [f"phrase {i} about order {rng.randint(0, 10**6)}" for i in range(n)]
    ours, theirs = list(base), list(base)
    for k in range(n // 10):
        ours[rng.randrange(n)] = f"ours edit {k}"
        theirs.insert(rng.randrange(len(theirs)), f"theirs new {k}")
    for _ in range(n // 20):
        del theirs[rng.randrange(len(theirs))]
    texts = [
        yamlio.dump({"display_name": "big", "training_phrases": {"en": p}}) for p in (base, ours, theirs)
    ]
    return texts[0], texts[1], texts[2]


def timed(n: int, folder: Path) -> tuple[float, float]:
    """Seconds of the driver and of git merge-file on the same versions."""
    paths = [folder / name for name in ("base", "ours", "theirs")]
    for path, text in zip(paths, phrase_versions(n), strict=True):
        path.write_text(text, encoding="utf-8")
    shutil.copy(paths[1], folder / "ours.orig")
    started = time.perf_counter()
    merge_file(paths[0], paths[1], paths[2], "agents/x/intents/big.yaml")
    driver = time.perf_counter() - started
    shutil.copy(folder / "ours.orig", paths[1])
    started = time.perf_counter()
    subprocess.run(["git", "merge-file", *map(str, (paths[1], paths[0], paths[2]))], check=False)
    return driver, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="20000,40000", help="phrase counts, comma-separated")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for n in sizes:
            driver, git = timed(n, Path(folder))
            results.append(driver)
            print(
                f"{n} phrases: merge-driver {driver:.2f} s, git merge-file {git:.3f} s ({driver / git:.0f}x)"
            )
    if len(sizes) > 1:
        growth = results[-1] / results[0]
        print(
            f"{sizes[-1] / sizes[0]:.0f}x the phrases: {growth:.1f}x the time (linear: {sizes[-1] / sizes[0]:.0f}x)"
        )


if __name__ == "__main__":
    main()
