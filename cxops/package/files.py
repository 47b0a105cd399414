"""A JSON package as a mapping of relative POSIX paths to bytes, read from and written to disk.

A package is what CX exports and imports: a zip, or the same tree in a folder (a git
checkout). Only files of the export layout count; a repository's README, ``.github/``,
``exports/agent.zip`` and the like are left out so that they never reach CX or a diff.
Zips are written deterministically so the same files always give the same bytes.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from cxops.errors import ConfigError, Location, ValidationError
from cxops.package.caps import ReadBudget
from cxops.package.layout import TOP_FOLDERS, place
from cxops.repo.atomicfile import write_atomic

__all__ = [
    "ZipFiles",
    "find_agent_root",
    "in_export_folder",
    "is_export_path",
    "read_folder",
    "read_package",
    "read_zip_bytes",
    "write_zip",
    "write_zip_file",
]

# How deep below the given folder to look for a wrapped agent (repo/agent/agent.json is 1).
_ROOT_SEARCH_DEPTH = 2

# Fixed metadata, so that bytes depend on content only: the zip epoch, a Unix regular file
# rw-r--r--, deflate at zlib's default level.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_ZIP_FILE_MODE = 0o100644 << 16
_ZIP_LEVEL = 6


def in_export_folder(rel: str) -> bool:
    """Whether ``rel`` lies in a folder of the export layout (``flows/``, ``testCases/``, ...),
    where every file is the export's own; a hidden file (``.DS_Store``) is a file system's."""
    parts = rel.split("/")
    return len(parts) > 1 and parts[0] in TOP_FOLDERS and not parts[-1].startswith(".")


def is_export_path(rel: str) -> bool:
    """Whether ``rel`` (relative, POSIX) is a file of the export layout (FORMAT.md §1)."""
    return place(rel) is not None and ".." not in rel.split("/")


# --- folders ---------------------------------------------------------------------------------


def find_agent_root(folder: Path) -> Path:
    """The folder holding ``agent.json``: ``folder`` itself, or a single wrapped subfolder."""
    if (folder / "agent.json").is_file():
        return folder
    level = [folder]
    for _ in range(_ROOT_SEARCH_DEPTH):
        below: list[Path] = []
        for parent in level:
            try:
                children = sorted(parent.iterdir())
            except OSError:
                continue
            # Hidden folders (.git, .venv) and dependencies never hold the export.
            below += [
                c
                for c in children
                if c.is_dir()
                and not c.is_symlink()
                and not c.name.startswith(".")
                and c.name != "node_modules"
            ]
        found = [d for d in below if (d / "agent.json").is_file()]
        if len(found) == 1:
            return found[0]
        if found:
            names = ", ".join(str(d.relative_to(folder)) for d in found)
            raise ValidationError(
                f"more than one agent in this folder ({names}); give the agent's own folder",
                Location(file=str(folder)),
            )
        level = below
    raise ValidationError(
        "no agent.json here: not a Dialogflow CX JSON package (expected agent.json, flows/, intents/ …)",
        Location(file=str(folder)),
    )


def read_folder(folder: Path, ignored: list[str] | None = None) -> dict[str, bytes]:
    """The export files under the agent root found in ``folder``, by relative POSIX path.

    Paths that are not export files are appended to ``ignored`` (relative to the root; a
    skipped folder ends in ``/``) so a caller can mention them.
    """
    root = find_agent_root(folder)
    budget = ReadBudget(str(root))
    files: dict[str, bytes] = {}
    skipped: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        rel_dir = here.relative_to(root).as_posix()
        prefix = "" if rel_dir == "." else rel_dir + "/"
        if not prefix:
            # Prune the top level to export folders: a repository's .git or node_modules can
            # be far bigger than the agent.
            skipped += [d + "/" for d in dirnames if d not in TOP_FOLDERS]
            dirnames[:] = [d for d in dirnames if d in TOP_FOLDERS]
        dirnames.sort()
        for name in dirnames:
            if (here / name).is_symlink():
                # os.walk does not follow it: skipping it silently would drop part of the agent.
                raise ValidationError(
                    "is a symbolic link; a package holds plain files only", Location(file=str(here / name))
                )
        for name in sorted(filenames):
            rel = prefix + name
            if not is_export_path(rel):
                skipped.append(rel)
                continue
            path = here / name
            if path.is_symlink():
                # A link could pull any file of the machine into a package sent to CX.
                raise ValidationError(
                    "is a symbolic link; a package holds plain files only", Location(file=str(path))
                )
            budget.check_entries(len(files) + 1)
            try:
                with path.open("rb") as stream:
                    files[rel] = budget.read(stream, rel)
            except OSError as e:
                raise ValidationError(f"cannot read: {e.strerror or e}", Location(file=str(path))) from e
    if ignored is not None:
        ignored += sorted(skipped)
    return dict(sorted(files.items()))


# --- zips ------------------------------------------------------------------------------------


def _entry_path(name: str, source: str) -> str | None:
    """The relative POSIX path of a zip entry; None for a folder entry; refuses escapes."""
    # Some Windows tools write backslashes; a real one never occurs because names encode it.
    norm = name.replace("\\", "/")
    parts = norm.split("/")
    if norm.startswith("/") or re.fullmatch(r"[A-Za-z]:", parts[0]) or ".." in parts:
        raise ValidationError(
            "zip entry points outside the package (absolute path or '..'); refusing to read it",
            Location(file=source, key=name),
        )
    kept = [p for p in parts if p not in ("", ".")]
    if not kept or norm.endswith("/"):
        return None
    return "/".join(kept)


def read_zip_bytes(data: bytes, source: str = "<zip>", ignored: list[str] | None = None) -> dict[str, bytes]:
    """The export files of a zip (e.g. CX's ``agent_content``), by path relative to ``agent.json``.

    A zip whose export sits in a folder (``my-agent/agent.json`` …) is read from that folder.
    ``source`` names the zip in errors; non-export entries are appended to ``ignored``.
    """
    files = ZipFiles(data, source, ignored)
    return {inner: files[inner] for inner in files}


class ZipFiles(Mapping[str, bytes]):
    """The export files of a zip, unpacked one at a time as they are asked for: a decoder
    reading a large export holds the compressed zip and one file, not every file at once
    (an L agent's export is 12 MB zipped, 61 MB unpacked). Same paths as :func:`read_zip_bytes`."""

    def __init__(self, data: bytes, source: str = "<zip>", ignored: list[str] | None = None) -> None:
        self.source = source
        # One budget per package: the caps hold across every file read from it (caps.py).
        self.budget = ReadBudget(source)
        self.budget.check_archive(len(data))
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, OSError) as e:
            raise ValidationError(f"not a readable zip file: {e}", Location(file=source)) from e
        entries: dict[str, zipfile.ZipInfo] = {}
        self.budget.check_entries(len(self.archive.infolist()))
        for info in self.archive.infolist():
            rel = _entry_path(info.filename, source)
            if rel is None:
                continue
            if rel in entries:
                raise ValidationError("zip holds this entry twice", Location(file=source, key=rel))
            entries[rel] = info

        roots = sorted(
            (
                r.rsplit("/", 1)[0] + "/" if "/" in r else ""
                for r in entries
                if r.rsplit("/", 1)[-1] == "agent.json"
            ),
            key=lambda p: (p.count("/"), p),
        )
        if not roots:
            raise ValidationError(
                "no agent.json in this zip: not a Dialogflow CX JSON package", Location(file=source)
            )
        if len(roots) > 1 and roots[1].count("/") == roots[0].count("/"):
            names = ", ".join(r + "agent.json" for r in roots if r.count("/") == roots[0].count("/"))
            raise ValidationError(f"zip holds more than one agent ({names})", Location(file=source))
        prefix = roots[0]
        self.entries: dict[str, zipfile.ZipInfo] = {}
        skipped: list[str] = []
        for rel, info in entries.items():
            inner = rel[len(prefix) :] if rel.startswith(prefix) else None
            if inner is None or not is_export_path(inner):
                skipped.append(rel)
            else:
                self.entries[inner] = info
        self.entries = dict(sorted(self.entries.items()))
        if ignored is not None:
            ignored += sorted(skipped)

    def read(self, inner: str) -> bytes:
        """One file's bytes; refused as soon as it passes a cap of :class:`ReadBudget`."""
        info = self.entries[inner]
        try:
            with self.archive.open(info) as stream:
                # The stream cannot lie about what it yields; the header's sizes can.
                return self.budget.read(stream, info.filename, info.compress_size)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError) as e:
            # RuntimeError: encrypted entry; NotImplementedError: unknown compression.
            where = Location(file=self.source, key=_entry_path(info.filename, self.source))
            raise ValidationError(f"cannot read zip entry: {e}", where) from e

    def __getitem__(self, inner: str) -> bytes:
        return self.read(inner)

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, inner: object) -> bool:
        return inner in self.entries


def read_package(path: Path, ignored: list[str] | None = None) -> dict[str, bytes]:
    """A package from a ``.zip`` file or a folder, as relative POSIX path → bytes.

    Only files of the export layout are kept (``tools/<T>/schema.yaml`` included); the rest
    are appended to ``ignored``. If the agent is wrapped in a folder, paths are relative to
    the folder holding ``agent.json``.
    """
    if path.is_dir():
        return read_folder(path, ignored)
    if not path.exists():
        raise ValidationError("no such file or folder", Location(file=str(path)))
    try:
        # A zip larger than the unpacked cap is refused before it is read into memory.
        ReadBudget(str(path)).check_archive(path.stat().st_size)
        data = path.read_bytes()
    except OSError as e:
        raise ValidationError(f"cannot read: {e.strerror or e}", Location(file=str(path))) from e
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ValidationError("neither a folder nor a zip file", Location(file=str(path)))
    return read_zip_bytes(data, str(path), ignored)


def _check_name(name: str) -> None:
    parts = name.split("/")
    if not name or name.startswith("/") or "\\" in name or any(p in ("", ".", "..") for p in parts):
        raise ValidationError(
            "not a relative path inside a package (empty, absolute, '.', '..' or '\\' segment)",
            Location(file=name or "<empty path>"),
        )


def write_zip(files: Mapping[str, bytes]) -> bytes:
    """A zip of ``files``, byte-identical for identical input.

    Entries are sorted by path and carry fixed metadata (1980-01-01, mode 0644, deflate).
    The bytes depend on the zlib build too, so they are stable on one machine, not across all.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            _check_name(name)
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so that external_attr means a file mode everywhere.
            info.external_attr = _ZIP_FILE_MODE
            archive.writestr(info, files[name], compress_type=zipfile.ZIP_DEFLATED, compresslevel=_ZIP_LEVEL)
    return buffer.getvalue()


def write_zip_file(files: Mapping[str, bytes], path: Path) -> None:
    """Write :func:`write_zip` of ``files`` to ``path`` atomically: readers see old or new, never half."""
    try:
        write_atomic(path, write_zip(files))
    except ConfigError as e:
        raise ValidationError(e.message, e.location) from e
