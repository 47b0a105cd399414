"""bench/startup.py (issue 30): the branches it merges through the driver really merge, both
sides' changes kept, so its per-file figure measures the real path (the commands it times are
run by tests/test_startup.py)."""

from __future__ import annotations

import sys
from pathlib import Path

# bench/ is not an installed package; `pytest` (unlike `python -m pytest`) does not put the
# project root on sys.path.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import startup  # noqa: E402


def test_the_driver_merge_takes_both_branches_changes(tmp_path: Path) -> None:
    root = startup.sample_repo(tmp_path)
    startup.branches(root, 2)
    startup.git(
        root, "config", "merge.cxops.driver", " ".join(startup._cxops()) + " merge-driver %O %A %B %P"
    )
    (root / ".gitattributes").write_text(startup.MERGE_ATTRIBUTE + "\n", encoding="utf-8")
    startup.git(root, "merge", "-q", "--no-edit", "theirs")
    merged = (root / "agents" / "order-desk" / "intents" / "bench.001.yaml").read_text(encoding="utf-8")
    assert "edited on ours" in merged and "track order 1" in merged
