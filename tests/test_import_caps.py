"""Issue 28 item 11: what `cxops import` unpacks is capped, on the bytes the stream yields."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest

from cxops.cli.main import main
from cxops.package.caps import ReadCaps
from cxops.package.files import read_folder, write_zip

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
AGENT = b'{"displayName": "a", "defaultLanguageCode": "en", "timeZone": "UTC"}'


def _import(tmp_path: Path, package: Path, capsys: pytest.CaptureFixture[str]) -> str:
    root = tmp_path / "repo"
    root.mkdir()
    assert main(["--root", str(root), "import", str(package), "--agent", "a"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert list(root.iterdir()) == [], "nothing may be written"
    return err


def _lie_about_sizes(data: bytes, size: int) -> bytes:
    """The zip with every declared uncompressed size set to ``size`` (local and central)."""
    out = bytearray(data)
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = out.find(sig)
        while at != -1:
            struct.pack_into("<I", out, at + offset, size)
            at = out.find(sig, at + 4)
    return bytes(out)


def test_a_bomb_is_refused_naming_zip_and_member_with_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # 8 MiB of valid JSON deflates to ~8 KiB: past the default ratio cap (100) long before the
    # lowered per-file cap would matter; memory stays at the chunks read before the refusal.
    member = "webhooks/w.json"
    bomb = tmp_path / "bomb.zip"
    bomb.write_bytes(write_zip({"agent.json": AGENT, member: b'{"d": "' + b"a" * (8 << 20) + b'"}'}))
    assert bomb.stat().st_size < 64 << 10
    err = _import(tmp_path, bomb, capsys)
    assert (
        f"{bomb}: {member}: zip" in err
        and "unpacks to more than 100 times" in err
        and "CXOPS_IMPORT_MAX_RATIO" in err
    )
    # Raising the ratio, the lowered per-file cap refuses it instead.
    monkeypatch.setenv("CXOPS_IMPORT_MAX_RATIO", "100000")
    monkeypatch.setenv("CXOPS_IMPORT_MAX_FILE_BYTES", "2M")
    (tmp_path / "2").mkdir()
    err = _import(tmp_path / "2", bomb, capsys)
    assert (
        f"{bomb}: {member}: file unpacks to more than 2 MiB" in err and "CXOPS_IMPORT_MAX_FILE_BYTES" in err
    )


def test_a_header_declaring_small_sizes_does_not_lift_the_caps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The header claims 10 bytes; only the stream counts. zipfile stops at the declared size
    # and then finds the CRC wrong, so a lying header cannot carry more bytes past the caps.
    monkeypatch.setenv("CXOPS_IMPORT_MAX_BYTES", "64k")
    bomb = tmp_path / "liar.zip"
    bomb.write_bytes(_lie_about_sizes(write_zip({"agent.json": AGENT + b" " * (1 << 20)}), 10))
    err = _import(tmp_path, bomb, capsys)
    assert str(bomb) in err and "agent.json" in err


def test_too_many_files_and_total_bytes_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {"agent.json": AGENT} | {
        f"webhooks/w{i}.json": b'{"x": "%d"}' % i + b" " * 1000 for i in range(20)
    }
    package = tmp_path / "many.zip"
    package.write_bytes(write_zip(files))
    monkeypatch.setenv("CXOPS_IMPORT_MAX_FILES", "10")
    assert "package holds 21 files, more than 10" in _import(tmp_path, package, capsys)
    monkeypatch.delenv("CXOPS_IMPORT_MAX_FILES")
    monkeypatch.setenv("CXOPS_IMPORT_MAX_BYTES", "10k")
    (tmp_path / "t").mkdir()
    assert "package unpacks to more than" in _import(tmp_path / "t", package, capsys)


def test_a_package_folder_is_capped_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "pkg"
    (folder / "webhooks").mkdir(parents=True)
    (folder / "agent.json").write_bytes(AGENT)
    (folder / "webhooks" / "w.json").write_bytes(b" " * 5000)
    monkeypatch.setenv("CXOPS_IMPORT_MAX_FILE_BYTES", "1k")
    err = _import(tmp_path, folder, capsys)
    assert f"{folder}: webhooks/w.json: file unpacks to more than" in err


def test_a_bad_cap_setting_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "a.zip"
    package.write_bytes(write_zip({"agent.json": AGENT}))
    monkeypatch.setenv("CXOPS_IMPORT_MAX_BYTES", "lots")
    assert "CXOPS_IMPORT_MAX_BYTES: not a positive number" in _import(tmp_path, package, capsys)


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"real-export corpus not found at {CORPUS}")
def test_every_corpus_agent_fits_the_default_caps_with_headroom() -> None:
    caps = ReadCaps()
    for agent in sorted(p for p in CORPUS.iterdir() if p.is_dir()):
        files = read_folder(agent)
        data = write_zip(files)
        unpacked = sum(map(len, files.values()))
        assert unpacked * 10 < caps.total_bytes and len(files) * 10 < caps.entries, agent.name
        assert max(map(len, files.values())) * 10 < caps.file_bytes, agent.name
        assert unpacked < caps.ratio / 10 * len(data), agent.name
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
        assert len(infos) == len(files)
