"""Reading packages from folders and zips, and writing deterministic zips."""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

import pytest

from cxops.errors import ValidationError
from cxops.package.files import (
    find_agent_root,
    is_export_path,
    read_folder,
    read_package,
    read_zip_bytes,
    write_zip,
    write_zip_file,
)

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"real-export corpus not found at {CORPUS} (kept outside the project)"
)

AGENT: dict[str, bytes] = {
    "agent.json": b'{\n  "defaultLanguageCode": "en"\n}\n',
    "flows/Default Start Flow/Default Start Flow.json": b"{}\n",
    "flows/Default Start Flow/pages/Ask %3e name.json": b"{}\n",
    "flows/Default Start Flow/transitionRouteGroups/Help.json": b"{}\n",
    "agentTransitionRouteGroups/ GoodToGo.json": b"{}\n",
    "intents/Default Welcome Intent/Default Welcome Intent.json": b"{}\n",
    "intents/Default Welcome Intent/trainingPhrases/en.json": b"{}\n",
    "intents/Ap%c3%b3lice/Ap%c3%b3lice.json": b"{}\n",
    "entityTypes/size/size.json": b"{}\n",
    "entityTypes/size/entities/en.json": b"{}\n",
    "entityTypes/size/excludedPhrases/en.json": b"{}\n",
    "webhooks/%2fapi%2favailability.json": b"{}\n",
    "testCases/Greets.json": b"{}\n",
    "testCases/v2/Greets.json": b"{}\n",
    "generators/Summary/Summary.json": b"{}\n",
    "generators/Summary/phrases/en.json": b"{}\n",
    "playbooks/Main/Main.json": b"{}\n",
    "playbooks/Main/examples/stucking....json": b"{}\n",
    "tools/Store API/Store API.json": b"{}\n",
    "tools/Store API/schema.yaml": b"openapi: 3.0.0\n",
    "generativeSettings/en.json": b"{}\n",
}

JUNK = [
    "README.md",
    ".git/config",
    ".github/workflows/deploy.yml",
    "exports/agent.zip",
    "exported_intents.json",
    "index.html",
    "functions/main.py",
    "flows/Default Start Flow/notes.md",
    "flows/Default Start Flow/Other.json",
    "intents/.DS_Store",
    "transitionRouteGroups/Old.json",
]


def make_folder(root: Path, content: dict[str, bytes]) -> None:
    for rel, data in content.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def raw_zip(entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


# --- layout ----------------------------------------------------------------------------------


def test_every_layout_pattern_is_an_export_path() -> None:
    assert all(is_export_path(p) for p in AGENT)


@pytest.mark.parametrize("rel", JUNK)
def test_junk_is_not_an_export_path(rel: str) -> None:
    assert not is_export_path(rel)


def test_dotdot_display_name_is_not_an_export_path() -> None:
    assert not is_export_path("flows/../...json")


# --- folders ---------------------------------------------------------------------------------


def test_folder_round_trips_through_a_zip(tmp_path: Path) -> None:
    make_folder(tmp_path, AGENT)
    read = read_package(tmp_path)
    assert read == AGENT
    assert list(read) == sorted(AGENT)
    assert read_zip_bytes(write_zip(read)) == AGENT


def test_folder_leaves_out_junk_and_says_what(tmp_path: Path) -> None:
    make_folder(tmp_path, AGENT | {j: b"junk" for j in JUNK})
    ignored: list[str] = []
    assert read_package(tmp_path, ignored) == AGENT
    assert ignored == sorted(
        [
            ".git/",
            ".github/",
            "README.md",
            "exported_intents.json",
            "exports/",
            "flows/Default Start Flow/Other.json",
            "flows/Default Start Flow/notes.md",
            "functions/",
            "index.html",
            "intents/.DS_Store",
            "transitionRouteGroups/",
        ]
    )


def test_agent_in_a_subfolder_of_a_repository(tmp_path: Path) -> None:
    make_folder(tmp_path / "agent", AGENT)
    make_folder(tmp_path, {"README.md": b"x", ".git/agent.json": b"{}", "node_modules/x/agent.json": b"{}"})
    assert find_agent_root(tmp_path) == tmp_path / "agent"
    assert read_package(tmp_path) == AGENT


def test_agent_two_levels_down(tmp_path: Path) -> None:
    make_folder(tmp_path / "cx" / "my agent", AGENT)
    assert read_package(tmp_path) == AGENT


def test_two_agents_side_by_side_are_ambiguous(tmp_path: Path) -> None:
    make_folder(tmp_path / "dev", AGENT)
    make_folder(tmp_path / "prod", AGENT)
    with pytest.raises(ValidationError, match="more than one agent"):
        read_package(tmp_path)


def test_folder_without_agent_json(tmp_path: Path) -> None:
    make_folder(tmp_path, {"README.md": b"x"})
    with pytest.raises(ValidationError, match=r"no agent\.json") as info:
        read_package(tmp_path)
    assert info.value.location is not None
    assert info.value.location.file == str(tmp_path)


def test_symlinked_export_file_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"password")
    agent = tmp_path / "agent"
    make_folder(agent, AGENT)
    (agent / "webhooks" / "leak.json").symlink_to(secret)
    with pytest.raises(ValidationError, match="symbolic link"):
        read_folder(agent)


def test_missing_path_and_non_zip_file(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="no such file"):
        read_package(tmp_path / "nope.zip")
    text = tmp_path / "agent.zip"
    text.write_text("not a zip")
    with pytest.raises(ValidationError, match="neither a folder nor a zip"):
        read_package(text)


# --- zips: reading ---------------------------------------------------------------------------


def test_zip_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "agent.zip"
    path.write_bytes(write_zip(AGENT))
    assert read_package(path) == AGENT


def test_zip_with_a_wrapping_folder(tmp_path: Path) -> None:
    entries = [("my-agent/", b"")]
    entries += [(f"my-agent/{rel}", data) for rel, data in AGENT.items()]
    entries += [("my-agent/README.md", b"x"), ("other.txt", b"x"), ("__MACOSX/my-agent/._agent.json", b"x")]
    path = tmp_path / "export.zip"
    path.write_bytes(raw_zip(entries))
    ignored: list[str] = []
    assert read_package(path, ignored) == AGENT
    assert ignored == ["__MACOSX/my-agent/._agent.json", "my-agent/README.md", "other.txt"]


def test_zip_with_folder_entries_and_backslashes() -> None:
    entries = [
        ("flows/", b""),
        ("agent.json", b"{}"),
        ("flows\\F\\F.json", b"{}"),
        ("./intents/I/I.json", b"{}"),
    ]
    assert read_zip_bytes(raw_zip(entries)) == {
        "agent.json": b"{}",
        "flows/F/F.json": b"{}",
        "intents/I/I.json": b"{}",
    }


@pytest.mark.parametrize(
    "evil",
    ["../evil.json", "/etc/agent.json", "flows/../../x.json", "C:/x.json", "..\\x.json", "a/\\..\\..\\x"],
)
def test_zip_slip_is_refused(evil: str) -> None:
    data = raw_zip([("agent.json", b"{}"), (evil, b"x")])
    with pytest.raises(ValidationError, match="outside the package") as info:
        read_zip_bytes(data, "agent.zip")
    assert info.value.location is not None
    assert (info.value.location.file, info.value.location.key) == ("agent.zip", evil)


def test_zip_without_agent_json() -> None:
    with pytest.raises(ValidationError, match=r"no agent\.json"):
        read_zip_bytes(raw_zip([("README.md", b"x")]))


def test_zip_with_two_agents() -> None:
    with pytest.raises(ValidationError, match="more than one agent"):
        read_zip_bytes(raw_zip([("a/agent.json", b"{}"), ("b/agent.json", b"{}")]))


def test_zip_picks_the_shallowest_agent() -> None:
    data = raw_zip([("agent.json", b"1"), ("backup/agent.json", b"2")])
    ignored: list[str] = []
    assert read_zip_bytes(data, ignored=ignored) == {"agent.json": b"1"}
    assert ignored == ["backup/agent.json"]


def test_zip_with_a_duplicate_entry() -> None:
    with pytest.warns(UserWarning, match="Duplicate name"):
        data = raw_zip([("agent.json", b"1"), ("agent.json", b"2")])
    with pytest.raises(ValidationError, match="twice"):
        read_zip_bytes(data)


def test_corrupt_zip() -> None:
    with pytest.raises(ValidationError, match="not a readable zip"):
        read_zip_bytes(b"PK\x03\x04 broken")


def test_zip_bomb_is_cut_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CXOPS_IMPORT_MAX_BYTES", "4k")
    data = write_zip({"agent.json": b"{}", "webhooks/w.json": b" " * 5000})
    with pytest.raises(ValidationError, match=r"more than 4 KiB; refusing it .*CXOPS_IMPORT_MAX_BYTES"):
        read_zip_bytes(data)


# --- zips: writing ---------------------------------------------------------------------------


def test_write_zip_is_deterministic() -> None:
    first = write_zip(AGENT)
    assert write_zip(AGENT) == first
    assert write_zip(dict(reversed(list(AGENT.items())))) == first


def test_write_zip_metadata_is_fixed() -> None:
    with zipfile.ZipFile(io.BytesIO(write_zip(AGENT))) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == sorted(AGENT)
        for info in infos:
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert stat.S_IMODE(info.external_attr >> 16) == 0o644
            assert stat.S_ISREG(info.external_attr >> 16)
        assert archive.testzip() is None


def test_write_zip_changes_with_content() -> None:
    assert write_zip(AGENT) != write_zip(AGENT | {"agent.json": b"{}\n"})


@pytest.mark.parametrize(
    "bad", ["", "/agent.json", "flows/../x.json", "a//b.json", "./agent.json", "a\\b.json"]
)
def test_write_zip_refuses_paths_outside_the_package(bad: str) -> None:
    with pytest.raises(ValidationError):
        write_zip({bad: b"x"})


def test_write_zip_file_is_atomic_and_leaves_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "agent.zip"
    path.write_bytes(b"old")
    write_zip_file(AGENT, path)
    assert path.read_bytes() == write_zip(AGENT)
    assert [p.name for p in tmp_path.iterdir()] == ["agent.zip"]


def test_write_zip_file_honours_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_zip_file(AGENT, tmp_path / "agent.zip")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "agent.zip").stat().st_mode) == 0o644


def test_write_zip_file_into_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="cannot write"):
        write_zip_file(AGENT, tmp_path / "missing" / "agent.zip")


# --- the real exports ------------------------------------------------------------------------


@needs_corpus
def test_every_corpus_agent_survives_folder_to_zip_to_mapping() -> None:
    agents = sorted(d for d in CORPUS.iterdir() if d.is_dir())
    assert len(agents) >= 15
    total = 0
    for folder in agents:
        ignored: list[str] = []
        package = read_package(folder, ignored)
        on_disk = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
        assert sorted(package) == on_disk, folder.name
        assert ignored == [], folder.name
        zipped = write_zip(package)
        assert write_zip(package) == zipped, folder.name
        assert read_zip_bytes(zipped, folder.name) == package, folder.name
        total += len(package)
    assert total > 4000
