"""The agent tree: corpus agents as YAML files, read back, written deterministically, no secrets."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from cxops.cli.main import main
from cxops.model import secrets
from cxops.model.snapshot import AGENT_KEY, Key, Snapshot
from cxops.package.jsonfmt import clean_float32
from cxops.package.reader import snapshot_from_package
from cxops.repo.tree import read_tree, snapshot_from_tree, tree_files
from tests.corpus import agent_dirs, read_export


def imported(folder: Path) -> Snapshot:
    snapshot, _ = snapshot_from_package(read_export(folder))
    secrets.redact(snapshot)
    return snapshot


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# User-authored text, where a UUID or any number is the author's: messages, phrases, parameter
# values and payloads; and a search engine, an external resource CX names by its own path.
USER_TEXT = {"text", "value", "engine"}
# A reference that names nothing in the export, kept relative to the agent (SPEC §2 rule 2).
DANGLING = re.compile(r"(tools|playbooks|flows)/[0-9a-f-]{36}")


def server_noise(value: Any, path: tuple[str, ...] = ()) -> list[str]:
    """Where a tree body holds a server UUID, float32 noise or a camelCase export-only key,
    outside user-authored text."""
    where = "/".join(path)
    if any(
        p in USER_TEXT or p.endswith("parameters") or p in ("payload", "openapi_json_schema") for p in path
    ):
        return []
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            if key in ("customConfigKey", "classificationThreshold", "openapiJsonSchema"):
                found.append(f"{where}/{key}: key not in tree form")
            if isinstance(key, str) and key.endswith("_"):
                found.append(f"{where}/{key}: Python's keyword underscore, not the proto's name")
            found += server_noise(item, (*path, str(key)))
        return found
    if isinstance(value, list):
        return [f for item in value for f in server_noise(item, path)]
    if isinstance(value, str) and UUID.search(value) and not DANGLING.fullmatch(value):
        return [f"{where}: {value[:60]}"]
    if isinstance(value, float) and len(repr(value)) > 9 and clean_float32(value) != value:
        return [f"{where}: {value!r}"]
    return []


@pytest.mark.parametrize("folder", agent_dirs())
def test_tree_reads_back_as_the_same_snapshot(folder: Path) -> None:
    snapshot = imported(folder)
    files = tree_files(snapshot)
    assert snapshot_from_tree(files).resources == snapshot.resources
    # Rule 2 of the tree format holds for export-only content too.
    noise = [
        f"{key}: {n}"
        for key, body in snapshot.resources.items()
        for n in server_noise(body)
        if "keyword underscore" not in n
    ]
    # The files as written: bodies in memory keep the descriptor's ``type_``, the tree says ``type``.
    noise += [
        f"{path}: {n}"
        for path, data in files.items()
        if path.endswith(".yaml")
        for n in server_noise(yaml.safe_load(data))
        if "keyword underscore" in n
    ]
    assert noise == []


@pytest.mark.parametrize("folder", agent_dirs())
def test_tree_bytes_do_not_depend_on_the_order_things_are_listed_in(folder: Path) -> None:
    snapshot = imported(folder)
    shuffled = Snapshot()
    items = list(snapshot.resources.items())
    random.Random(4).shuffle(items)
    for key, body in items:
        shuffled.add(key, body)
    assert tree_files(shuffled) == tree_files(snapshot)


@pytest.mark.parametrize("folder", agent_dirs())
def test_no_secret_reaches_the_tree(folder: Path) -> None:
    for path, data in tree_files(imported(folder)).items():
        assert b"masked-secret-" not in data, path


@pytest.mark.parametrize("folder", agent_dirs())
def test_import_package_import_through_the_cli(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "repo"
    assert main(["--root", str(root), "import", str(folder), "--agent", "a"]) == 0
    first = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    assert main(["--root", str(root), "package", "a", "-o", str(tmp_path / "a.zip")]) == 0
    assert main(["--root", str(root), "import", str(tmp_path / "a.zip"), "--agent", "b"]) == 0
    out = capsys.readouterr().out
    assert "masked-secret-" not in out
    second = {
        p.relative_to(root / "agents" / "b").as_posix(): p.read_bytes()
        for p in sorted((root / "agents" / "b").rglob("*"))
        if p.is_file()
    }
    assert {p.removeprefix("agents/a/"): d for p, d in first.items()} == second
    # A second import of the same package rewrites nothing.
    assert main(["--root", str(root), "import", str(tmp_path / "a.zip"), "--agent", "b"]) == 0
    assert "; 0 files written, 0 removed" in capsys.readouterr().out
    assert read_tree(root / "agents" / "b").resources == read_tree(root / "agents" / "a").resources


TRICKY = [
    "orders/returns",
    "..",
    " leading and trailing ",
    "trailing dots...",
    "注文状況",
    "Order",
    "order",
    "CON",
    "a" * 300,
    "日本語" * 60,
    "tab\there",
]


def test_tricky_display_names_round_trip_through_files(tmp_path: Path) -> None:
    from cxops.model.snapshot import AGENT_KEY, Key
    from cxops.repo.names import fold
    from cxops.repo.tree import write_tree

    snapshot = Snapshot()
    snapshot.add(AGENT_KEY, {"display_name": "A", "default_language_code": "en", "time_zone": "UTC"})
    for name in TRICKY:
        snapshot.add(Key("intent", "", name), {"display_name": name})
        snapshot.add(Key("flow", "", name), {"display_name": name})
        snapshot.add(Key("page", name, name), {"display_name": name})
    write_tree(tmp_path / "a", snapshot)
    assert read_tree(tmp_path / "a").resources == snapshot.resources
    paths = [p.relative_to(tmp_path).as_posix() for p in (tmp_path / "a").rglob("*")]
    assert len({fold(p) for p in paths}) == len(paths)  # unique on case-insensitive file systems
    for path in paths:
        for part in path.split("/"):
            assert (
                len(part.encode()) <= 255
                and not part.endswith((".", " "))
                and not any(c in part for c in '<>:"\\|?*\t')
            )
    # Stable: writing again changes nothing.
    assert not write_tree(tmp_path / "a", snapshot).written


def test_import_refuses_a_file_it_cannot_place_unless_told_to_skip_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = tmp_path / "pkg"
    (package / "testCases" / "v3").mkdir(parents=True)
    (package / "agent.json").write_text('{"defaultLanguageCode": "en", "timeZone": "UTC"}')
    (package / "testCases" / "v3" / "newer style.json").write_text('{"displayName": "newer style"}')
    (package / "README.md").write_text("# the repository's, not the export's\n")
    repo = tmp_path / "repo"
    assert main(["--root", str(repo), "import", str(package), "--agent", "a"]) == 1
    err = capsys.readouterr().err
    assert "testCases/v3/newer style.json: a file of the export that cxops cannot place" in err, err
    assert "README.md" not in err
    assert not repo.exists()
    assert main(["--root", str(repo), "import", str(package), "--agent", "a", "--skip-unknown-files"]) == 0
    err = capsys.readouterr().err
    assert (
        "1 file(s) of the package left out (--skip-unknown-files), e.g. testCases/v3/newer style.json" in err
    )
    assert (repo / "agents" / "a" / "agent.yaml").is_file()


def test_keyword_fields_are_written_without_the_underscore_and_read_either_way() -> None:
    """``type_`` (the Python protobuf's name) is ``type`` in the tree; trees that say ``type_``
    (written before) read the same."""
    flow = {
        "display_name": "F",
        "input_parameter_definitions": [
            {"name": "x", "type_": "STRING", "type_schema": {"inline_schema": {"type_": "STRING"}}}
        ],
        "nlu_settings_list": [{"type_": "kept"}],  # export-only: as the export wrote it
    }
    snapshot = Snapshot()
    snapshot.add(AGENT_KEY, {"display_name": "A", "default_language_code": "en", "time_zone": "UTC"})
    snapshot.add(Key("flow", "", "F"), flow)
    files = tree_files(snapshot)
    text = files["flows/F/flow.yaml"].decode()
    assert "    type: STRING" in text and "      inline_schema:\n        type: STRING" in text
    assert "type_: kept" in text
    assert snapshot_from_tree(files).resources == snapshot.resources
    old = {**files, "flows/F/flow.yaml": text.replace("type:", "type_:").encode()}
    assert snapshot_from_tree(old).resources == snapshot.resources
