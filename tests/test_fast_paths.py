"""The shortcuts that bypass a general mechanism give what the general one gives, on every
agent of the shared corpus: the package codec's plain-value plans (codec.PLAIN_SHORTCUTS) and
the lint index's joined look at a list of texts (index.JOINED_TEXTS)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxops.core.lint import index
from cxops.model.snapshot import Snapshot
from cxops.package import codec
from cxops.package.reader import snapshot_from_package
from tests.corpus import agent_dirs, read_export

AGENTS = agent_dirs()


def _decode(folder: Path) -> tuple[Snapshot, object]:
    snapshot, report = snapshot_from_package(read_export(folder))
    return snapshot, (sorted(report.unknown_keys), report.unresolved, report.ignored)


@pytest.mark.parametrize("folder", AGENTS)
def test_codec_plain_shortcuts_decode_as_the_general_path(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    codec._MESSAGES.clear()
    fast = _decode(folder)
    codec._MESSAGES.clear()
    monkeypatch.setattr(codec, "PLAIN_SHORTCUTS", False)
    try:
        general = _decode(folder)
        assert codec._MESSAGES, "the general path built no table: the flag was not read"
        assert all(
            f.plan not in (codec._PLAIN_ONE, codec._PLAIN_LIST)
            for m in codec._MESSAGES.values()
            for f in m.top.values()
            if f is not None
        )
    finally:
        codec._MESSAGES.clear()
    assert fast[1] == general[1]
    assert fast[0].resources == general[0].resources
    # Field order is part of the tree's bytes.
    assert [list(b) for b in fast[0].resources.values()] == [list(b) for b in general[0].resources.values()]


@pytest.mark.parametrize("folder", AGENTS)
def test_lint_joined_texts_find_what_text_by_text_finds(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshot = _decode(folder)[0]
    fast = index.Index(snapshot).uses
    monkeypatch.setattr(index, "JOINED_TEXTS", False)
    general = index.Index(snapshot).uses
    assert fast == general
