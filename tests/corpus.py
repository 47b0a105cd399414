"""The real exports in ../shared/corpus, read-only; tests skip with a reason where absent."""

from __future__ import annotations

from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def agent_dirs() -> list[object]:
    """One pytest param per corpus agent, or one that skips and says why."""
    if not CORPUS.is_dir():
        return [
            pytest.param(None, marks=pytest.mark.skip(reason=f"corpus not found at {CORPUS}"), id="no-corpus")
        ]
    return [pytest.param(d, id=d.name) for d in sorted(CORPUS.iterdir()) if (d / "agent.json").is_file()]


def read_export(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }
