"""bench/diff_readability.py over a history built from a corpus agent (bench/diff_history.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bench.diff_history import build
from bench.diff_readability import pairs, summary
from cxops.cli.main import main
from tests.corpus import CORPUS

AGENT = "alrtas__optus-dev"  # small: 4 flows, 6 pages


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (CORPUS / AGENT).is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")
    [repo] = build(tmp_path_factory.mktemp("histories"), (AGENT,), CORPUS)
    return repo


def _numstat(repo: Path, commit: str) -> int:
    out = subprocess.run(
        ["git", "-C", str(repo), "diff", "--numstat", f"{commit}~1", commit],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sum(int(a) + int(d) for a, d, _ in (line.split("\t", 2) for line in out.splitlines()))


def test_each_pair_counts_the_raw_diff_and_the_markdown_diff(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    found = pairs(history)
    assert [p.subject for p in found][:2] == ["[content] phrase added", "[content] message reworded"]
    for pair in found:
        assert pair.raw == _numstat(history, pair.commit)
        args = ["--root", str(history), "--format", "markdown", "diff", f"git:{pair.commit}~1"]
        code = main([*args, f"git:{pair.commit}"])
        text = capsys.readouterr().out
        assert code == (0 if pair.empty else 3), pair.subject
        assert pair.markdown == len(text.splitlines()), pair.subject
        # Every built edit is classified as built: content shows, noise does not.
        assert pair.mostly_noise == pair.subject.startswith("[noise]"), (pair.subject, text)
        # Pure noise shows nothing; a re-export that also carries an edit shows the edit.
        assert pair.empty == (pair.mostly_noise and " and " not in pair.subject), pair.subject
    figures = summary(found)
    assert figures["content_pairs"] == 9 and figures["noise_pairs"] == 4
    assert figures["possibly_lost"] == [] and figures["disagree"] == []
    content = sorted(p.ratio for p in found if not p.mostly_noise)
    assert figures["content_median"] == content[4]
    # The goals (issue 27), on pairs like real histories': whole resources, many small edits.
    assert figures["content_median"] <= 1.0 and figures["noise_median"] <= 0.2  # type: ignore[operator]


def test_noise_lines_are_told_from_content_lines(tmp_path: Path) -> None:
    from bench.diff_readability import raw_lines

    repo = tmp_path / "r"
    repo.mkdir()

    def commit(text: str) -> None:
        (repo / "a.json").write_text(text, encoding="utf-8")
        subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
        subprocess.run(
            ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"],
            check=True,
        )

    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    commit('{\n  "a": 0.30000001,\n  "name": "0f3090d6-c92d-4a1b-8c3d-0123456789ab",\n  "b": "x"\n}\n')
    commit('{\n  "b": "x",\n  "a": 0.3,\n  "name": "11111111-c92d-4a1b-8c3d-0123456789ab"\n}\n')
    assert raw_lines(repo, "HEAD~1", "HEAD") == (6, 6)  # moved, float32, id: all noise
    commit('{\n  "b": "y",\n  "a": 0.3,\n  "name": "11111111-c92d-4a1b-8c3d-0123456789ab"\n}\n')
    assert raw_lines(repo, "HEAD~1", "HEAD") == (2, 0)  # an edited value
