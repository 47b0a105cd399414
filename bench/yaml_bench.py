"""Our YAML reader/writer against PyYAML with libyaml, on one tree-shaped document.

Timing is a benchmark, not a test (a loaded CI machine makes timed tests flaky): run
``.venv/bin/python -m bench.yaml_bench`` and read the ratios (goal: both below 1.0).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import yaml

from cxops.repo.yamlio import dump, load


def _best(work: Callable[[], Any], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    route = {"intent": "order pizza", "condition": "$session.params.size = null", "target_page": "Size"}
    page = {
        "display_name": "Confirm 注文",
        "entry_fulfillment": {"messages": [{"text": {"en": ["Large?\nOr small?"], "ja": ["ピザ"]}}]},
        "transition_routes": [dict(route, priority=i, ratio=0.3) for i in range(8)],
    }
    # Fresh objects: PyYAML would write shared ones once, with an alias.
    data = json.loads(json.dumps({"pages": [dict(page, display_name=f"page {i}") for i in range(150)]}))
    text = dump(data)
    ours_load = _best(lambda: load(text, "x.yaml"))
    their_load = _best(lambda: yaml.load(text, Loader=yaml.CSafeLoader))
    ours_dump = _best(lambda: dump(data))
    their_dump = _best(
        lambda: yaml.dump(data, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False, width=1 << 30)
    )
    print(
        json.dumps(
            {
                "libyaml": yaml.__with_libyaml__,
                "load_vs_csafeloader": round(ours_load / their_load, 3),
                "dump_vs_csafedumper": round(ours_dump / their_dump, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
