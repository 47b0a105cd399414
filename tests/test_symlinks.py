"""A symbolic link in an agent tree is refused by every reader before it is read (issue 28, 1):
a link in a pull request could otherwise pull any file of the CI runner into the output."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from cxops.cli.main import main
from tests.stagerepo import SAMPLE

SECRET = "TOP-SECRET-RUNNER-VALUE"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    target = tmp_path / "outside"
    target.mkdir()
    (target / "secret.yaml").write_text(f"display_name: {SECRET}\n")
    return target


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(SAMPLE, root / "agents" / "order-desk")
    return root


def run(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["--root", str(root), *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize("folder", [False, True])
@pytest.mark.parametrize(
    "command",
    [
        ("validate",),
        ("lint",),
        ("diff", "agents/order-desk", "agents/order-desk"),
        ("package", "order-desk", "-o", "x.zip"),
    ],
)
def test_a_link_in_the_tree_is_refused_before_it_is_read(
    repo: Path,
    outside: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    folder: bool,
    command: tuple[str, ...],
) -> None:
    monkeypatch.chdir(repo)  # package -o x.zip writes there, if at all
    intents = repo / "agents" / "order-desk" / "intents"
    if folder:
        os.symlink(outside, intents / "more")
        where = "agents/order-desk/intents/more"
    else:
        os.symlink(outside / "secret.yaml", intents / "stolen.yaml")
        where = "agents/order-desk/intents/stolen.yaml"
    code, out = run(repo, capsys, *command)
    assert code == 1
    assert f"{where}: is a symbolic link" in out
    assert SECRET not in out
    assert not (repo / "x.zip").exists()


def test_a_link_in_a_git_tree_is_refused(
    repo: Path, outside: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    os.symlink(outside / "secret.yaml", repo / "agents" / "order-desk" / "intents" / "stolen.yaml")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@x",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@x",
    }
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "x"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True, env=env)
    code, out = run(repo, capsys, "diff", "git:HEAD", "agents/order-desk")
    assert code == 1
    assert "agents/order-desk/intents/stolen.yaml: is a symbolic link" in out
    assert SECRET not in out


def test_a_linked_folder_in_an_imported_package_is_refused(
    tmp_path: Path, repo: Path, outside: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = tmp_path / "package"
    assert main(["--root", str(repo), "-q", "package", "order-desk", "-o", str(tmp_path / "p.zip")]) == 0
    shutil.unpack_archive(tmp_path / "p.zip", package, "zip")
    os.symlink(outside, package / "intents" / "more")
    code, out = run(repo, capsys, "import", str(package), "--agent", "other")
    assert code == 1
    assert "intents/more: is a symbolic link" in out
    assert not (repo / "agents" / "other").exists()


def test_a_stage_file_linked_out_of_the_repository_is_refused(
    repo: Path, outside: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (outside / "prd.yaml").write_text("agent: order-desk\nproject: acme-bots-prd\nagent_id: x1\n")
    (repo / "environments").mkdir()
    os.symlink(outside / "prd.yaml", repo / "environments" / "prd.yaml")
    code, out = run(repo, capsys, "validate")
    assert code == 1
    assert "environments/prd.yaml: is a symbolic link out of the repository" in out


def test_the_merge_driver_refuses_a_link(
    tmp_path: Path, outside: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, ours = tmp_path / "base.yaml", tmp_path / "ours.yaml"
    base.write_text("display_name: a\n")
    ours.write_text("display_name: b\n")
    theirs = tmp_path / "theirs.yaml"
    os.symlink(outside / "secret.yaml", theirs)
    code, out = run(
        tmp_path, capsys, "merge-driver", str(base), str(ours), str(theirs), "agents/x/intents/a.yaml"
    )
    assert "is a symbolic link" in out
    assert code not in (0,)
    assert ours.read_text() == "display_name: b\n"
