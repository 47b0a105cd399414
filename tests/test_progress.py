"""Progress of long steps: shown on a terminal, nothing at all in a CI log or under -q."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cxops.cli.main import main
from cxops.cli.progress import ENV
from cxops.fake import FakeCX
from tests.stagerepo import sample_stage


@pytest.fixture
def stg(fake: FakeCX, clients: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    sample_stage(tmp_path, fake.address, clients, monkeypatch)
    monkeypatch.delenv(ENV, raising=False)
    assert main(["--root", str(tmp_path), "-q", "apply", "stg", "--auto-approve"]) == 0
    return tmp_path


def pulled(root: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[str, str]:
    capsys.readouterr()
    assert main(["--root", str(root), *extra, "pull", "stg"]) == 0
    captured = capsys.readouterr()
    return captured.out, captured.err


def test_not_a_terminal_output_is_unchanged(stg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, err = pulled(stg, capsys)
    assert err == ""  # stderr is captured here, as in a CI job: no terminal
    assert out.startswith("agents/order-desk: pulled ") and len(out.strip().splitlines()) >= 1


def test_a_terminal_sees_each_long_step(
    stg: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    quiet_out, _ = pulled(stg, capsys)
    monkeypatch.setenv(ENV, "always")  # stderr taken as a terminal
    out, err = pulled(stg, capsys)
    assert out == quiet_out  # progress goes to stderr only
    assert "ExportAgent (long-running operation)" in err
    assert "decoding" in err and "files of stg's agent" in err
    assert "\x1b[" in err  # drawn and taken away again in place, as rich does on a terminal
    # -q: results and errors only, even on a terminal.
    _, err = pulled(stg, capsys, "-q")
    assert err == ""
