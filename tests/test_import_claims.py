"""No silent winner between two files (issue 31 item 3): two files of an export that claim one
resource (one id in one collection, two display names) are refused, naming both files, exit 1,
nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxops.cli.main import main
from tests.lossless import write_export
from tests.test_lossless import one_flow_export

START_ID = "00000000-0000-0000-0000-000000000000"
PAGE_ID = "3f1c2b4a-5d6e-4f70-8a91-b2c3d4e5f601"


def page(name: str, page_id: str = PAGE_ID) -> bytes:
    return json.dumps({"name": page_id, "displayName": name, "entryFulfillment": {}}).encode()


def run_import(
    tmp_path: Path, files: dict[str, bytes], capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    write_export(tmp_path / "export", files)
    capsys.readouterr()
    code = main(["--root", str(tmp_path / "repo"), "import", str(tmp_path / "export"), "--agent", "bot"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_a_stale_flow_folder_with_the_start_flows_id_is_refused_naming_both_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = one_flow_export([0])
    stale = {"name": START_ID, "displayName": "Old Start", "transitionRoutes": []}
    files["flows/Old Start/Old Start.json"] = json.dumps(stale).encode()
    code, out = run_import(tmp_path, files, capsys)
    assert code == 1
    assert "flows/Default Start Flow/Default Start Flow.json and flows/Old Start/Old Start.json" in out
    assert f"claim one flow (id {START_ID})" in out
    assert "Traceback" not in out
    assert not (tmp_path / "repo").exists()  # nothing written


def test_two_page_files_with_one_id_in_a_flow_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = one_flow_export([0])
    files["flows/Default Start Flow/pages/Ask.json"] = page("Ask")
    files["flows/Default Start Flow/pages/Ask (old).json"] = page("Ask old")
    code, out = run_import(tmp_path, files, capsys)
    assert code == 1
    assert "flows/Default Start Flow/pages/Ask (old).json and flows/Default Start Flow/pages/Ask.json" in out
    assert not (tmp_path / "repo").exists()


def test_one_page_id_in_two_flows_is_two_pages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A page's name is flows/<flow>/pages/<id>: the same id under two flows names two pages.
    files = one_flow_export([0])
    other = {"name": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "displayName": "Other"}
    files["flows/Other/Other.json"] = json.dumps(other).encode()
    files["flows/Default Start Flow/pages/Ask.json"] = page("Ask")
    files["flows/Other/pages/Ask.json"] = page("Ask")
    code, out = run_import(tmp_path, files, capsys)
    assert code == 0, out
    assert (tmp_path / "repo/agents/bot/flows/Other/pages/Ask.yaml").is_file()
