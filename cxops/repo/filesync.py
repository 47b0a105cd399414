"""Make a folder hold exactly a given set of files, never leaving a half-written tree.

``pull`` and ``import`` write a whole agent tree at once; :func:`sync_folder` makes the folder
``target`` contain exactly the requested files and nothing else, rewriting only files whose
bytes changed.

Design: build, then swap.

1. Validate every requested path before touching anything.
2. Compare with the current tree. When nothing differs, touch nothing (folders left empty are
   removed in place); ``pull`` twice changes nothing, not even an mtime.
3. Otherwise build the new tree in ``.<name>.cxops-new`` next to ``target`` (same file system):
   changed and new files are written there; unchanged files are hard-linked from the current
   tree, so they keep their inode and mtime (where the file system refuses hard links they are
   copied with their mtime). Then the new tree is flushed to disk as a whole (see below).
4. Swap with two renames: ``target`` → ``.<name>.cxops-old``, ``.<name>.cxops-new`` →
   ``target``; fsync the parent folder; then rename ``.<name>.cxops-old`` →
   ``.<name>.cxops-trash`` and delete it.

Guarantee. At every instant ``target`` is the complete old tree or the complete new tree,
except between the two renames of step 4, when ``target`` is missing and the complete old tree
is ``.<name>.cxops-old``. Readers never see a mix of old and new files.

- An exception (including KeyboardInterrupt) before the new tree is in place puts the old tree
  back and removes the sidecar folders before it propagates (should even that fail, the next
  run does it). After the new tree is in place the sync has happened: failing to delete the old
  tree is not an error.
- If the process dies instead (killed, power loss), the next :func:`sync_folder` on the same
  target, or :func:`recover`, repairs first: a missing ``target`` with a ``-old`` sidecar gets
  the old tree back; every other sidecar (a half-built ``-new``, a superseded ``-old``, a
  half-deleted ``-trash``) is deleted.
- Against power loss, the new tree (its files and folders) is on disk before the swap, and the
  parent folder is fsynced after it (best effort: the swap has happened by then). On Linux one
  ``syncfs(2)`` of the file system holding the new tree does this once for all its files, an
  order of magnitude faster than an fsync per file, each of which commits the file system's
  journal; it reports write-back errors from Linux 5.8 on. Elsewhere, or where ``syncfs`` is
  missing or refused, every written file and then every new folder is fsynced, after all are
  written.

Costs of the design: after a sync that changed something, ``target`` and its subfolders are new
folders (a shell sitting inside one must ``cd`` again); the folder's permission bits are kept,
other metadata of folders is not. Changes others make inside ``target`` during a sync are lost.
Two syncs under the same parent folder run one after the other (an advisory ``flock`` on the
parent folder, on POSIX); nothing else is locked.

Nothing outside ``target`` is touched except the three sidecar folders next to it and the
parent folders created when ``target`` does not exist yet. Requested paths are relative POSIX
paths, in NFC, without ``.``/``..`` parts, backslashes or control characters, and no two may
differ only in case (they would be one file on macOS and Windows). Symbolic links and special
files found inside ``target`` are refused rather than followed or deleted; with ``boundary``,
``target`` (after resolving symbolic links) must lie inside it.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import os
import re
import shutil
import stat
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath
from typing import cast

from cxops.errors import Location, ValidationError

if sys.platform != "win32":
    import fcntl

__all__ = ["SyncResult", "check_paths", "fold_path", "recover", "sync_folder"]


@dataclass(frozen=True)
class SyncResult:
    """What a sync did, as relative POSIX paths, each tuple sorted."""

    written: tuple[str, ...]
    """Files whose bytes were written: new or changed."""
    created: tuple[str, ...]
    """The files of ``written`` that did not exist before."""
    removed: tuple[str, ...]
    """Files deleted because they were not requested."""
    unchanged: tuple[str, ...]
    """Requested files that already held the requested bytes; left as they were."""

    @property
    def changed(self) -> bool:
        return bool(self.written or self.removed)


def fold_path(path: str) -> str:
    """The form under which two paths are one file on a case-insensitive file system."""
    # casefold() can leave text that is not NFC; macOS also compares names normalized.
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", path).casefold())


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _parents(path: str) -> Iterator[str]:
    """The folders above a checked relative path, nearest first: ``a/b/c`` -> ``a/b``, ``a``.
    String slicing, where a PurePosixPath per path was most of the time of a check."""
    end = path.rfind("/")
    while end > 0:
        yield path[:end]
        end = path.rfind("/", 0, end)


def _check_path(path: object) -> str | None:
    """Why ``path`` cannot be a requested file path, or None."""
    if not isinstance(path, str) or not path:
        return "a file path must be non-empty text"
    if "\\" in path:
        return "a file path must use '/' and hold no backslash"
    # Without a leading separator or a backslash, only "X:..." can have a drive: ask pathlib then.
    if path.startswith("/") or (path[1:2] == ":" and PureWindowsPath(path).drive):
        return "a file path must be relative to the folder"
    if _CONTROL.search(path):
        return "a file path must hold no control character"
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "a file path must have no empty, '.' or '..' part"
    if not unicodedata.is_normalized("NFC", path):
        return "a file path must be in Unicode NFC form"
    return None


def check_paths(paths: Iterable[str], folder: Path | None = None) -> None:
    """Refuse paths that are not safe relative POSIX paths, or that clash on some file system.

    Two paths clash when they differ only in case (``Intent.yaml``/``intent.yaml``), or when one
    is a file and the other puts a folder at the same place (``a``/``A/b.yaml``). Errors are
    located at ``folder``, the folder the paths are relative to, when given.
    """
    where = Location(str(folder) if folder is not None else ".")
    files: dict[str, str] = {}
    folders: dict[str, str] = {}
    for path in sorted(paths):
        problem = _check_path(path)
        if problem is not None:
            raise ValidationError(f"{problem}: {path!r}", where)
        # casefold() and NFC change nothing more than lower() in ASCII.
        folded = path.lower() if path.isascii() else fold_path(path)
        other = files.get(folded)
        if other is not None:
            raise ValidationError(
                f"{other!r} and {path!r} differ only in case: they would be one file on macOS and Windows",
                where,
            )
        files[folded] = path
        for parent in _parents(folded):
            folders.setdefault(parent, path)
    for folded, path in files.items():
        other = folders.get(folded)
        if other is not None:
            raise ValidationError(f"{path!r} is a file, but {other!r} needs a folder there", where)


def _sidecar(target: Path, kind: str) -> Path:
    name = f".{target.name}.cxops-{kind}"
    if len(os.fsencode(name)) > 255:
        digest = hashlib.sha256(os.fsencode(target.name)).hexdigest()[:16]
        name = f".cxops-{digest}.{kind}"
    return target.parent / name


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an advisory lock on ``folder`` (POSIX); released when the process dies, too."""
    if sys.platform == "win32":
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):
            # Where the file system cannot lock (some network file systems), go on unlocked.
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _remove_tree(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif os.path.lexists(path):
        path.unlink()


def _recover(target: Path) -> bool:
    old, new, trash = (_sidecar(target, kind) for kind in ("old", "new", "trash"))
    repaired = False
    if os.path.lexists(old):
        if os.path.lexists(target):
            # Died after the swap, before the old tree was renamed for deletion.
            _remove_tree(old)
        else:
            # Died between the two renames of the swap: the old tree is complete, put it back.
            os.rename(old, target)
        repaired = True
    for leftover in (new, trash):
        if os.path.lexists(leftover):
            _remove_tree(leftover)
            repaired = True
    return repaired


def recover(target: Path) -> bool:
    """Repair what an interrupted sync of ``target`` left behind; True if there was anything.

    Afterwards ``target`` is the complete tree of before or after that sync (see the module
    docstring). :func:`sync_folder` does this itself first; readers may call it too.
    """
    target = Path(target).resolve()
    if not target.parent.is_dir():
        return False
    with _locked(target.parent):
        return _recover(target)


def _scan(target: Path) -> tuple[dict[str, os.stat_result], list[str]]:
    """The regular files (relative POSIX path → stat) and folders under ``target``."""
    files: dict[str, os.stat_result] = {}
    folders: list[str] = []
    if not os.path.lexists(target):
        return files, folders
    pending = [("", target)]
    while pending:
        prefix, folder = pending.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                relative = prefix + entry.name
                if entry.is_symlink():
                    raise ValidationError(
                        "is a symbolic link; cxops writes only regular files in this folder: remove it",
                        Location(entry.path),
                    )
                if entry.is_dir(follow_symlinks=False):
                    folders.append(relative)
                    pending.append((relative + "/", Path(entry.path)))
                elif entry.is_file(follow_symlinks=False):
                    files[relative] = entry.stat(follow_symlinks=False)
                else:
                    raise ValidationError(
                        "is not a regular file; cxops writes only regular files in this folder: remove it",
                        Location(entry.path),
                    )
    return files, folders


def _holds(path: Path, size: int, data: bytes) -> bool:
    if size != len(data):
        return False
    with open(path, "rb") as file:
        return file.read() == data


def _fsync_folder(folder: Path) -> None:
    if sys.platform == "win32":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as error:
        # Some file systems cannot fsync a folder; the files themselves are synced.
        if error.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def _load_syncfs() -> Callable[[int], int] | None:
    """Linux's ``syncfs(2)`` from the C library, or None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int]
    function.restype = ctypes.c_int
    return cast("Callable[[int], int]", function)


_SYNCFS = _load_syncfs()


def _sync_file_system(fd: int) -> bool:
    """Flush the whole file system holding ``fd`` to disk; False where syncfs is unavailable."""
    if _SYNCFS is None:
        return False
    if _SYNCFS(fd) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EPERM):
        # A sandbox (seccomp) that filters the call: fsync file by file instead.
        return False
    raise OSError(code, os.strerror(code))


def _fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write(path: str, data: bytes, mode: int | None) -> None:
    # "x": a fresh file in a fresh folder; never write through something already there. Not
    # fsynced here: the whole new tree is flushed at once before the swap.
    with open(path, "xb") as file:
        file.write(data)
    if mode is not None:
        os.chmod(path, mode)


def _link_or_copy(source: str, path: str) -> None:
    try:
        os.link(source, path)
    except OSError:
        # No hard links here (FAT, some network shares): keep at least the mtime.
        shutil.copy2(source, path, follow_symlinks=False)


def _prune_empty(target: Path, folders: Iterable[str], needed: set[str]) -> None:
    # Deepest first, so a folder whose only content was empty folders goes too.
    for folder in sorted(folders, key=lambda f: f.count("/"), reverse=True):
        if folder not in needed:
            with contextlib.suppress(OSError):
                os.rmdir(target / folder)


def _resolve_target(target: Path, boundary: Path | None) -> Path:
    real = Path(target).resolve()
    if real.parent == real:
        raise ValidationError("cannot sync the root of a file system", Location(str(target)))
    if boundary is not None:
        limit = Path(boundary).resolve()
        if limit not in real.parents:
            raise ValidationError(f"is not inside {boundary}", Location(str(target)))
    if os.path.lexists(real) and not real.is_dir():
        raise ValidationError("is not a folder", Location(str(target)))
    return real


def sync_folder(target: Path, files: Mapping[str, bytes], *, boundary: Path | None = None) -> SyncResult:
    """Make the folder ``target`` contain exactly ``files`` (relative POSIX path → bytes).

    Only files whose bytes differ are written; files not in ``files`` are removed, and so are
    folders left empty. See the module docstring for the guarantee when interrupted. Raises
    :class:`ValidationError` for a bad path, a case clash, a symbolic link or special file in
    ``target``, or a ``target`` outside ``boundary``; nothing is changed then.
    """
    check_paths(files, target)
    for path, data in files.items():
        if not isinstance(data, bytes):
            raise TypeError(f"{path}: file content must be bytes, not {type(data).__name__}")
    real = _resolve_target(target, boundary)
    real.parent.mkdir(parents=True, exist_ok=True)
    with _locked(real.parent):
        _recover(real)
        on_disk, folders = _scan(real)
        # Match by NFC too: macOS HFS+ hands back names in NFD.
        by_name: dict[str, str] = {}
        for name in sorted(on_disk):
            key = unicodedata.normalize("NFC", name)
            if key not in by_name or key == name:
                by_name[key] = name
        written: list[str] = []
        created: list[str] = []
        unchanged: list[str] = []
        for path, data in files.items():
            found = by_name.get(path)
            if found is None:
                created.append(path)
                written.append(path)
            elif _holds(real / found, on_disk[found].st_size, data):
                unchanged.append(path)
            else:
                written.append(path)
        kept = {by_name[path] for path in files if path in by_name}
        removed = sorted(name for name in on_disk if name not in kept)
        result = SyncResult(
            tuple(sorted(written)), tuple(sorted(created)), tuple(removed), tuple(sorted(unchanged))
        )
        needed = {parent for path in files for parent in _parents(path)}
        if not result.changed:
            if os.path.lexists(real):
                _prune_empty(real, folders, needed)
            else:
                real.mkdir()
            return result
        _swap_in(real, files, by_name, on_disk, set(unchanged), needed)
        return result


def _swap_in(
    target: Path,
    files: Mapping[str, bytes],
    by_name: Mapping[str, str],
    on_disk: Mapping[str, os.stat_result],
    unchanged: set[str],
    needed: set[str],
) -> None:
    new, old, trash = (_sidecar(target, kind) for kind in ("new", "old", "trash"))
    existed = os.path.lexists(target)
    swapped = False
    new_fd: int | None = None
    try:
        os.mkdir(new)
        if _SYNCFS is not None:
            # Opened before anything is written: syncfs reports the write-back errors met
            # since the descriptor was opened.
            new_fd = os.open(new, os.O_RDONLY)
        if existed:
            shutil.copymode(target, new)
        # Paths joined as text: a pathlib object per file was a tenth of a large tree's write.
        new_dir, target_dir = os.fspath(new), os.fspath(target)
        for folder in sorted(needed):
            os.mkdir(f"{new_dir}/{folder}")
        written: list[str] = []
        for path, data in files.items():
            name = by_name.get(path)
            if path in unchanged and name is not None:
                _link_or_copy(f"{target_dir}/{name}", f"{new_dir}/{path}")
            else:
                mode = stat.S_IMODE(on_disk[name].st_mode) if name is not None else None
                _write(f"{new_dir}/{path}", data, mode)
                written.append(f"{new_dir}/{path}")
        if new_fd is None or not _sync_file_system(new_fd):
            for file in written:
                _fsync_file(file)
            for folder in sorted(needed, reverse=True):
                _fsync_folder(new / folder)
            _fsync_folder(new)
        if existed:
            os.rename(target, old)
        os.rename(new, target)
        swapped = True
    finally:
        if new_fd is not None:
            os.close(new_fd)
        if not swapped:
            # Whatever failed, and wherever: put the old tree back and drop the new one.
            with contextlib.suppress(OSError):
                _recover(target)
    # The sync is done: from here on a failure is not an error, and what is left here is
    # removed by the next run's recovery at the latest.
    with contextlib.suppress(OSError):
        _fsync_folder(target.parent)
    # Renamed first so that a half-deleted tree is never taken for the complete old one.
    if existed:
        try:
            os.rename(old, trash)
        except OSError:
            trash = old
        with contextlib.suppress(OSError):
            shutil.rmtree(trash)
