"""cxops.repo.filesync: a folder made to hold exactly the given files, changing only what differs."""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxops.errors import ValidationError
from cxops.repo import filesync
from cxops.repo.filesync import SyncResult, check_paths, fold_path, recover, sync_folder

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file system semantics")

OLD = {
    "agent.yaml": b"display_name: Pizza\n",
    "intents/order.yaml": b"display_name: order\n",
    "intents/cancel.yaml": b"display_name: cancel\n",
    "flows/main/flow.yaml": b"display_name: main\n",
    "flows/main/pages/a.yaml": b"display_name: a\n",
    "webhooks/orders.yaml": b"uri: https://x\n",
}
NEW = {
    "agent.yaml": b"display_name: Pizza\n",  # unchanged
    "intents/order.yaml": b"display_name: order\npriority: 1\n",  # changed
    "intents/cancel.yaml": b"display_name: cancel\n",  # unchanged
    "flows/main/flow.yaml": b"display_name: main\n",  # unchanged
    "entity-types/size.yaml": b"display_name: size\n",  # created
    # flows/main/pages/a.yaml and webhooks/orders.yaml removed: pages/ and webhooks/ go too
}


def snapshot(root: Path) -> dict[str, bytes]:
    """Every entry under ``root``: files with their bytes, folders as ``name/`` with no bytes."""
    found: dict[str, bytes] = {}
    for folder, dirs, names in os.walk(root):
        for name in dirs:
            path = Path(folder, name)
            assert not path.is_symlink()
            found[path.relative_to(root).as_posix() + "/"] = b""
        for name in names:
            path = Path(folder, name)
            assert path.is_file() and not path.is_symlink()
            found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


def tree(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """What ``snapshot`` gives for a folder holding exactly ``files``."""
    expected = dict(files)
    for path in files:
        parts = path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            expected["/".join(parts[:depth]) + "/"] = b""
    return expected


def write_tree(root: Path, files: Mapping[str, bytes]) -> None:
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)


def sidecars(parent: Path) -> list[str]:
    return sorted(name for name in os.listdir(parent) if ".cxops-" in name)


def age(root: Path) -> None:
    """Put every file's mtime in the past, so that a rewrite would show."""
    for folder, _, names in os.walk(root):
        for name in names:
            os.utime(Path(folder, name), ns=(1_000_000_000, 1_000_000_000))


@pytest.fixture
def agent(tmp_path: Path) -> Path:
    target = tmp_path / "agents" / "pizza"
    write_tree(target, OLD)
    age(target)
    return target


# --- what a sync does ---------------------------------------------------------------------------


def test_creates_the_folder_and_its_parents(tmp_path: Path) -> None:
    target = tmp_path / "repo" / "agents" / "pizza"
    result = sync_folder(target, NEW)
    assert snapshot(target) == tree(NEW)
    assert result == SyncResult(
        written=tuple(sorted(NEW)), created=tuple(sorted(NEW)), removed=(), unchanged=()
    )
    assert sidecars(target.parent) == []


def test_creates_an_empty_folder_for_no_files(tmp_path: Path) -> None:
    result = sync_folder(tmp_path / "empty", {})
    assert (tmp_path / "empty").is_dir() and not result.changed


def test_writes_changed_and_new_files_removes_the_rest_and_prunes_empty_folders(agent: Path) -> None:
    result = sync_folder(agent, NEW)
    assert snapshot(agent) == tree(NEW)
    assert result.written == ("entity-types/size.yaml", "intents/order.yaml")
    assert result.created == ("entity-types/size.yaml",)
    assert result.removed == ("flows/main/pages/a.yaml", "webhooks/orders.yaml")
    assert result.unchanged == ("agent.yaml", "flows/main/flow.yaml", "intents/cancel.yaml")
    assert result.changed
    assert sidecars(agent.parent) == []


def test_unchanged_files_keep_their_inode_and_mtime(agent: Path) -> None:
    before = {path: os.stat(agent / path) for path in OLD}
    result = sync_folder(agent, NEW)
    for path in result.unchanged:
        after = os.stat(agent / path)
        assert (after.st_ino, after.st_mtime_ns) == (before[path].st_ino, before[path].st_mtime_ns), path
    changed = os.stat(agent / "intents/order.yaml")
    assert changed.st_mtime_ns != before["intents/order.yaml"].st_mtime_ns


def test_a_sync_that_changes_nothing_touches_nothing(agent: Path) -> None:
    (agent / "empty" / "deeper").mkdir(parents=True)
    folder = os.stat(agent)
    before = {path: os.stat(agent / path) for path in OLD}
    result = sync_folder(agent, OLD)
    assert not result.changed
    assert result.unchanged == tuple(sorted(OLD))
    assert os.stat(agent).st_ino == folder.st_ino
    for path, was in before.items():
        now = os.stat(agent / path)
        assert (now.st_ino, now.st_mtime_ns) == (was.st_ino, was.st_mtime_ns)
    # Folders left empty go even when no file changed.
    assert snapshot(agent) == tree(OLD)


def test_syncing_twice_changes_nothing_the_second_time(agent: Path) -> None:
    sync_folder(agent, NEW)
    again = sync_folder(agent, NEW)
    assert not again.changed and again.unchanged == tuple(sorted(NEW))


def test_only_target_is_touched(tmp_path: Path, agent: Path) -> None:
    sibling = agent.parent / "other-agent.yaml"
    sibling.write_bytes(b"keep me\n")
    other = agent.parent / "burger"
    write_tree(other, {"agent.yaml": b"burger\n"})
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"x")
    age(tmp_path)
    before = {
        p: (os.stat(p).st_ino, os.stat(p).st_mtime_ns) for p in (sibling, other / "agent.yaml", outside)
    }
    listing = sorted(os.listdir(agent.parent))
    sync_folder(agent, NEW, boundary=tmp_path)
    assert sorted(os.listdir(agent.parent)) == listing
    assert {p: (os.stat(p).st_ino, os.stat(p).st_mtime_ns) for p in before} == before
    assert snapshot(other) == {"agent.yaml": b"burger\n"}


@posix_only
def test_modes_of_the_folder_and_of_rewritten_files_are_kept(agent: Path) -> None:
    os.chmod(agent / "intents/order.yaml", 0o600)
    os.chmod(agent, 0o750)
    sync_folder(agent, NEW)
    assert stat.S_IMODE(os.stat(agent / "intents/order.yaml").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(agent).st_mode) == 0o750


def test_without_hard_links_unchanged_files_keep_their_mtime(
    agent: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(*args: Any, **kwargs: Any) -> None:
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    before = os.stat(agent / "agent.yaml").st_mtime_ns
    sync_folder(agent, NEW)
    assert snapshot(agent) == tree(NEW)
    assert os.stat(agent / "agent.yaml").st_mtime_ns == before


def test_non_ascii_and_unusual_names(tmp_path: Path) -> None:
    files = {
        "intents/ピザを注文.yaml": "日本語\n".encode(),
        "intents/Ünïcödé  two spaces.yaml": b"x\n",
        "intents/100% sure & more (1).yaml": b"y\n",
        "flows/Default Start Flow/pages/🍕 page.yaml": b"z\n",
        "entity-types/size#1;[x]{y}.yaml": b"w\n",
    }
    target = tmp_path / "agents" / "ピザ"
    assert sync_folder(target, files).created == tuple(sorted(files))
    assert snapshot(target) == tree(files)
    assert not sync_folder(target, files).changed


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "../escape.yaml",
        "intents/../../escape.yaml",
        "/etc/passwd",
        "C:escape.yaml",
        "a//b.yaml",
        "a/",
        "./a.yaml",
        "",
        "a\\b.yaml",
        "a\x00b.yaml",
        "line\nbreak.yaml",
        "e\u0301.yaml",  # NFD
    ],
)
def test_unsafe_paths_are_refused_before_anything_is_touched(tmp_path: Path, path: str) -> None:
    target = tmp_path / "agents" / "pizza"
    with pytest.raises(ValidationError):
        sync_folder(target, {"ok.yaml": b"", path: b"x"})
    assert not (tmp_path / "agents").exists()
    assert not (tmp_path / "escape.yaml").exists()


def test_paths_differing_only_in_case_are_refused_naming_both(agent: Path) -> None:
    before = snapshot(agent)
    with pytest.raises(ValidationError) as caught:
        sync_folder(agent, {"intents/Order.yaml": b"1", "intents/order.yaml": b"2"})
    assert "'intents/Order.yaml' and 'intents/order.yaml' differ only in case" in str(caught.value)
    with pytest.raises(ValidationError, match="differ only in case"):
        sync_folder(
            agent,
            {"Flows/a.yaml": b"1", "flows/b.yaml": b"2", "flows/Straße.yaml": b""} | {"FLOWS/A.yaml": b""},
        )
    assert snapshot(agent) == before


def test_a_file_where_another_path_needs_a_folder_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"'intents' is a file, but 'Intents/x\.yaml' needs a folder"):
        check_paths(["intents", "Intents/x.yaml"])
    with pytest.raises(ValidationError, match="differ only in case"):
        check_paths(["Straße.yaml", "STRASSE.yaml"])
    check_paths(["a/b.yaml", "a/c.yaml", "ab.yaml"])
    assert fold_path("Ä/ß.yaml") == fold_path("ä/SS.yaml")


@posix_only
def test_symbolic_links_inside_target_are_refused_and_left_alone(agent: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"secret")
    (agent / "intents" / "link.yaml").symlink_to(secret)
    with pytest.raises(ValidationError, match="symbolic link"):
        sync_folder(agent, NEW)
    assert (agent / "intents" / "link.yaml").is_symlink() and secret.read_bytes() == b"secret"
    (agent / "intents" / "link.yaml").unlink()
    (agent / "flows" / "linked").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(ValidationError, match="symbolic link"):
        sync_folder(agent, NEW)
    assert (agent / "flows" / "linked").is_symlink()
    assert (agent / "intents/order.yaml").read_bytes() == OLD["intents/order.yaml"]


@posix_only
def test_target_outside_the_boundary_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "agents").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (repo / "agents" / "evil").symlink_to(elsewhere, target_is_directory=True)
    for target in (repo / "agents" / "evil", repo / "agents" / ".." / ".." / "x", repo):
        with pytest.raises(ValidationError, match="is not inside"):
            sync_folder(target, {"a.yaml": b"x"}, boundary=repo)
    assert os.listdir(elsewhere) == []
    assert sorted(os.listdir(tmp_path)) == ["elsewhere", "repo"]


@posix_only
def test_a_symlinked_target_inside_the_boundary_is_synced_where_it_points(tmp_path: Path) -> None:
    real = tmp_path / "repo" / "real-pizza"
    write_tree(real, OLD)
    link = tmp_path / "repo" / "agents" / "pizza"
    link.parent.mkdir()
    link.symlink_to(real, target_is_directory=True)
    sync_folder(link, NEW, boundary=tmp_path / "repo")
    assert link.is_symlink() and snapshot(real) == tree(NEW)


def test_a_target_that_is_a_file_or_content_that_is_not_bytes_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(ValidationError, match="is not a folder"):
        sync_folder(tmp_path / "file", {"a": b""})
    with pytest.raises(TypeError, match="must be bytes"):
        sync_folder(tmp_path / "x", {"a": "text"})  # type: ignore[dict-item]


# --- interruptions ------------------------------------------------------------------------------

# Every call by which a sync changes the file system, in the os module that filesync uses.
STEPS = ("mkdir", "link", "fsync", "rename", "unlink", "rmdir")


class Killed(BaseException):
    """The process died here: nothing after this point runs."""


@contextmanager
def failing_at(
    monkeypatch: pytest.MonkeyPatch, step: int, error: Callable[[], BaseException]
) -> Iterator[list[str]]:
    """Make the ``step``-th file-system call raise ``error()``; a Killed one and all after it."""
    calls: list[str] = []
    dead = False
    with monkeypatch.context() as patch:
        for name in STEPS:
            original = getattr(os, name)

            def wrapper(*args: Any, _name: str = name, _original: Any = original, **kwargs: Any) -> Any:
                nonlocal dead
                if dead:
                    raise Killed
                calls.append(_name)
                if len(calls) - 1 == step:
                    raised = error()
                    dead = isinstance(raised, Killed)
                    raise raised
                return _original(*args, **kwargs)

            patch.setattr(os, name, wrapper)
        yield calls


def count_steps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    target = tmp_path / "count" / "pizza"
    write_tree(target, OLD)
    with failing_at(monkeypatch, -1, lambda: Killed()) as calls:
        sync_folder(target, NEW)
    assert snapshot(target) == tree(NEW)
    return calls


def fresh(tmp_path: Path, step: int) -> Path:
    target = tmp_path / f"run{step}" / "pizza"
    write_tree(target, OLD)
    age(target)
    return target


def test_an_error_at_any_step_leaves_the_old_or_the_new_tree_and_no_debris(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps = count_steps(tmp_path, monkeypatch)
    assert steps.count("rename") == 3
    outcomes = set()
    for step in range(len(steps)):
        target = fresh(tmp_path, step)
        with failing_at(monkeypatch, step, lambda: OSError(5, "I/O error")):
            try:
                sync_folder(target, NEW)
                outcomes.add("new")
            except OSError:
                outcomes.add("old")
                assert snapshot(target) == tree(OLD), (step, steps[step])
        assert snapshot(target) in (tree(OLD), tree(NEW)), (step, steps[step])
        # Only a failed deletion of the superseded tree can leave something, for the next run.
        if sidecars(target.parent):
            assert steps[step] in ("unlink", "rmdir"), (step, steps[step])
            assert snapshot(target) == tree(NEW)
        was_old = snapshot(target) == tree(OLD)
        again = sync_folder(target, NEW)
        assert again.changed == was_old
        assert snapshot(target) == tree(NEW) and sidecars(target.parent) == []
    assert outcomes == {"old", "new"}


def test_a_process_killed_at_any_step_is_repaired_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps = count_steps(tmp_path, monkeypatch)
    states = set()
    for step in range(len(steps)):
        target = fresh(tmp_path, step)
        old_inode = os.stat(target / "agent.yaml").st_ino
        with failing_at(monkeypatch, step, lambda: Killed()), pytest.raises(Killed):
            sync_folder(target, NEW)
        # Right after the death: the old tree, the new tree, or no tree and the old one aside.
        if target.exists():
            state = "new" if snapshot(target) == tree(NEW) else "old"
            assert snapshot(target) == tree(OLD if state == "old" else NEW), (step, steps[step])
        else:
            state = "swapping"
            assert snapshot(target.parent / ".pizza.cxops-old") == tree(OLD), (step, steps[step])
        states.add(state)
        debris = sidecars(target.parent)
        assert recover(target) == bool(debris)
        assert sidecars(target.parent) == []
        assert snapshot(target) in (tree(OLD), tree(NEW)), (step, steps[step])
        assert not recover(target)
        result = sync_folder(target, NEW)
        assert snapshot(target) == tree(NEW) and sidecars(target.parent) == []
        assert os.stat(target / "agent.yaml").st_ino == old_inode
        assert result.changed == (state != "new")
    assert states == {"old", "swapping", "new"}


def test_sync_repairs_before_it_compares(agent: Path) -> None:
    # As if killed between the two renames of the swap.
    half_built = agent.parent / ".pizza.cxops-new"
    write_tree(half_built, {"agent.yaml": b"half"})
    os.rename(agent, agent.parent / ".pizza.cxops-old")
    result = sync_folder(agent, NEW)
    assert snapshot(agent) == tree(NEW) and sidecars(agent.parent) == []
    assert result.removed == ("flows/main/pages/a.yaml", "webhooks/orders.yaml")


def test_recover_on_a_clean_or_missing_folder_does_nothing(tmp_path: Path, agent: Path) -> None:
    assert not recover(agent)
    assert not recover(tmp_path / "no" / "such" / "folder")
    assert snapshot(agent) == tree(OLD)


# --- any old tree, any new tree -----------------------------------------------------------------

names = st.sampled_from(["a", "b", "B2", "c d", "日本", "é"])
file_paths = st.lists(names, min_size=1, max_size=3).map(lambda parts: "/".join(parts) + ".yaml")
contents = st.sampled_from([b"", b"1", b"2\n", "ピザ".encode()])
trees = st.dictionaries(file_paths, contents, max_size=8).filter(
    lambda files: _valid(files)  # no case or file/folder clashes
)


def _valid(files: Mapping[str, bytes]) -> bool:
    try:
        check_paths(files)
    except ValidationError:
        return False
    return True


@settings(max_examples=150, deadline=None)
@given(old=trees, new=trees)
def test_any_tree_becomes_any_other(old: dict[str, bytes], new: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as temp:
        target = Path(temp) / "pizza"
        write_tree(target, old)
        target.mkdir(exist_ok=True)
        inodes = {path: os.stat(target / path).st_ino for path in old}
        result = sync_folder(target, new)
        assert snapshot(target) == tree(new)
        assert sidecars(Path(temp)) == []
        assert set(result.unchanged) == {p for p in new if old.get(p) == new[p]}
        assert set(result.written) == {p for p in new if old.get(p) != new[p]}
        assert set(result.created) == set(new) - set(old)
        assert set(result.removed) == set(old) - set(new)
        for path in result.unchanged:
            assert os.stat(target / path).st_ino == inodes[path]
        shutil.rmtree(target)


def test_module_uses_only_the_patched_calls() -> None:
    # The interruption tests patch these names on os; filesync must not bypass them.
    source = Path(filesync.__file__).read_text()
    assert "replace(" not in source
    assert source.count(".rename(") == source.count("os.rename(")


def test_without_syncfs_every_written_file_is_fsynced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(filesync, "_SYNCFS", None)
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    result = sync_folder(tmp_path / "agent", {"a.yaml": b"a\n", "sub/b.yaml": b"b\n"})
    assert list(result.written) == ["a.yaml", "sub/b.yaml"]
    assert (tmp_path / "agent" / "sub" / "b.yaml").read_bytes() == b"b\n"
    assert len(synced) >= 2  # each written file (and its folders) flushed before the swap


@pytest.mark.skipif(filesync._SYNCFS is None, reason="no syncfs(2) here")
def test_a_failing_syncfs_leaves_the_old_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    target = tmp_path / "agent"
    sync_folder(target, {"a.yaml": b"old\n"})

    def failing(fd: int) -> int:
        import ctypes

        ctypes.set_errno(errno.EIO)
        return -1

    monkeypatch.setattr(filesync, "_SYNCFS", failing)
    with pytest.raises(OSError):
        sync_folder(target, {"a.yaml": b"new\n"})
    assert (target / "a.yaml").read_bytes() == b"old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["agent"]  # nothing left beside it


@pytest.mark.skipif(filesync._SYNCFS is None, reason="no syncfs(2) here")
def test_syncfs_refused_by_a_sandbox_falls_back_to_fsync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ctypes
    import errno

    def refused(fd: int) -> int:
        ctypes.set_errno(errno.ENOSYS)
        return -1

    monkeypatch.setattr(filesync, "_SYNCFS", refused)
    sync_folder(tmp_path / "agent", {"a.yaml": b"a\n"})
    assert (tmp_path / "agent" / "a.yaml").read_bytes() == b"a\n"
