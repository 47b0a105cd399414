"""The agent tree: a snapshot as one YAML file per resource under ``agents/<agent>/`` (SPEC §2).

File names come from display names (:mod:`cxops.repo.names`) and are only locators: the
``display_name`` inside a file is authoritative, and a page's flow is the one whose folder
holds it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cxops.errors import Location, ValidationError
from cxops.model import kinds as K
from cxops.model.gcpause import gc_paused
from cxops.model.snapshot import AGENT_KEY, GENERATIVE_SETTINGS_KEY, Body, Key, Snapshot
from cxops.model.treekeys import from_tree, to_tree
from cxops.package.caps import ReadCaps
from cxops.repo import names, yamlio
from cxops.repo.filesync import SyncResult, sync_folder

AGENT_FILE = str(K.AGENT.tree_file)
SETTINGS_FILE = str(K.GENERATIVE_SETTINGS.tree_file)
SCHEMA_FILE = str(K.TOOL.attachment)
# The tree's layout, read from the kinds table (cxops/model/kinds.py): files at the top
# (``agent.yaml``, not listed here); kinds written one file each in a folder of their own kind (``intents/<I>.yaml``);
# kinds with a folder per resource (``flows/<F>/flow.yaml``); kinds scoped to one of those
# (``flows/<F>/pages/<P>.yaml``).
FLAT_KINDS = tuple(k for k in K.KINDS.values() if k.tree_dir and k.scope is None and k.tree_file is None)
FOLDER_KINDS = tuple(k for k in K.KINDS.values() if k.tree_dir and k.tree_file is not None)
SCOPED_KINDS = tuple(k for k in K.KINDS.values() if k.scope is not None)
_SCOPES = frozenset(str(k.scope) for k in SCOPED_KINDS)


def _yaml(body: Any) -> bytes:
    return yamlio.dump(body).encode("utf-8")


def tree_files(snapshot: Snapshot) -> dict[str, bytes]:
    """Every file of the agent's tree, by path relative to ``agents/<agent>/``."""
    with gc_paused():
        return _tree_files(snapshot)


def _tree_files(snapshot: Snapshot) -> dict[str, bytes]:
    written = Snapshot()
    for key, body in snapshot.resources.items():
        written.add(key, to_tree(body, key.kind))
    snapshot = written
    files: dict[str, bytes] = {AGENT_FILE: _yaml(snapshot.agent)}
    settings = snapshot.resources.get(GENERATIVE_SETTINGS_KEY)
    if settings:
        files[SETTINGS_FILE] = _yaml(settings)
    # One sorted pass over the snapshot, grouped by kind and scope: asking the snapshot per
    # kind and per flow re-sorts every resource each time, quadratic in the number of flows.
    ordered = list(snapshot)
    by_kind: dict[str, list[tuple[Key, Body]]] = {}
    scoped: dict[tuple[str, str], list[tuple[Key, Body]]] = {}
    for key, body in ordered:
        by_kind.setdefault(key.kind, []).append((key, body))
        scoped.setdefault((key.kind, key.scope), []).append((key, body))

    def of_kind(kind: str) -> list[tuple[Key, Body]]:
        return by_kind.get(kind, [])

    def of(kind: str, scope: str) -> list[tuple[Key, Body]]:
        return scoped.get((kind, scope), [])

    def stems(kind: str) -> dict[str, str]:
        return names.tree_stems(k.name for k, _ in of(kind, ""))

    for kind in FLAT_KINDS:
        kind_stems = stems(kind.name)
        for key, body in of_kind(kind.name):
            files[f"{kind.tree_dir}/{kind_stems[key.name]}.yaml"] = _yaml(body)
    folders: dict[str, dict[str, str]] = {}  # kind -> display name -> its folder
    for kind in FOLDER_KINDS:
        kind_stems = stems(kind.name)
        folders[kind.name] = {}
        for key, body in of_kind(kind.name):
            folder = f"{kind.tree_dir}/{kind_stems[key.name]}"
            folders[kind.name][key.name] = folder
            if kind is K.TOOL:
                body = _without_schema(body, folder, files)
            files[f"{folder}/{kind.tree_file}"] = _yaml(body)
    for kind in SCOPED_KINDS:
        for scope, folder in folders[str(kind.scope)].items():
            children = of(kind.name, scope)
            child_stems = names.tree_stems(k.name for k, _ in children)
            for child, child_body in children:
                files[f"{folder}/{kind.tree_dir}/{child_stems[child.name]}.yaml"] = _yaml(child_body)
        orphans = [k for k, _ in of_kind(kind.name) if k.scope not in folders[str(kind.scope)]]
        if orphans:
            raise ValidationError(f"{orphans[0]} belongs to no {kind.scope} of the agent")
    return files


def _without_schema(tool: Body, folder: str, files: dict[str, bytes]) -> Body:
    spec = tool.get("open_api_spec")
    if isinstance(spec, dict) and isinstance(spec.get("text_schema"), str):
        # The OpenAPI text is a document of its own: readable and diffable as YAML/JSON.
        files[f"{folder}/{SCHEMA_FILE}"] = spec["text_schema"].encode("utf-8")
        return {**tool, "open_api_spec": {k: v for k, v in spec.items() if k != "text_schema"}}
    return tool


def write_tree(agent_dir: Path, snapshot: Snapshot) -> SyncResult:
    """Make ``agent_dir`` hold exactly the snapshot's files; only changed files are rewritten."""
    return sync_folder(agent_dir, tree_files(snapshot))


def _body(files: Mapping[str, bytes], path: str, where: str) -> Body:
    try:
        text = files[path].decode("utf-8")
    except UnicodeDecodeError as bad:
        raise ValidationError(f"not UTF-8 text ({bad.reason})", Location(where)) from bad
    data = yamlio.load(text, where)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationError("expected a mapping of fields", Location(where, 1))
    return data


def _display_name(body: Body, where: str) -> str:
    name = body.get("display_name")
    if not isinstance(name, str) or not name:
        raise ValidationError(
            "display_name is required and must be a string", Location(where, None, "display_name")
        )
    return name


def snapshot_from_tree(files: Mapping[str, bytes], base: str = "") -> Snapshot:
    """The files of an agent tree (paths relative to its folder) -> a snapshot.

    ``base`` prefixes file names in error messages (e.g. ``agents/pizza``).
    """
    # Paused over the whole tree, not file by file: each file's pause ending let the collector
    # run over everything read so far (read_tree of the largest corpus agent: 0.84 -> 0.74 s).
    with gc_paused():
        return _snapshot_from_tree(files, base)


def _snapshot_from_tree(files: Mapping[str, bytes], base: str) -> Snapshot:

    def where(path: str) -> str:
        return f"{base}/{path}" if base else path

    if AGENT_FILE not in files:
        raise ValidationError("agent.yaml is missing: not an agent tree", Location(where(AGENT_FILE)))
    snapshot = Snapshot()
    seen: dict[Key, str] = {}

    def add(key: Key, body: Body, path: str) -> None:
        if key in seen:
            raise ValidationError(
                f"two files define {key}: {where(seen[key])} and {where(path)}",
                Location(where(path), None, "display_name"),
            )
        seen[key] = path
        snapshot.add(key, from_tree(body, key.kind))
        snapshot.origins[key] = where(path)

    add(AGENT_KEY, _body(files, AGENT_FILE, where(AGENT_FILE)), AGENT_FILE)
    if SETTINGS_FILE in files:
        add(GENERATIVE_SETTINGS_KEY, _body(files, SETTINGS_FILE, where(SETTINGS_FILE)), SETTINGS_FILE)
    # Kinds with a folder per resource first: a scoped file finds its scope by the folder.
    folder_of = {(k.tree_dir, k.tree_file): k for k in FOLDER_KINDS}
    in_folder: dict[str, dict[str, str]] = {k.name: {} for k in FOLDER_KINDS}  # kind -> folder -> name
    for path in sorted(files):
        parts = path.split("/")
        kind = folder_of.get((parts[0], parts[-1])) if len(parts) == 3 else None
        if kind is not None and kind.name in _SCOPES:
            body = _body(files, path, where(path))
            in_folder[kind.name][parts[1]] = _display_name(body, where(path))
            add(Key(kind.name, "", in_folder[kind.name][parts[1]]), body, path)
    flat = {kind.tree_dir: kind for kind in FLAT_KINDS}
    scoped = {(K.KINDS[str(k.scope)].tree_dir, k.tree_dir): k for k in SCOPED_KINDS}
    attached = {(k.tree_dir, k.attachment) for k in FOLDER_KINDS if k.attachment}
    for path in sorted(files):
        parts = path.split("/")
        if path in (AGENT_FILE, SETTINGS_FILE):
            continue
        kind = None
        scope = ""
        if len(parts) == 2 and parts[0] in flat and parts[1].endswith(".yaml"):
            kind = flat[parts[0]]
        elif len(parts) == 4 and (parts[0], parts[2]) in scoped:
            kind = scoped[(parts[0], parts[2])]
            owner = K.KINDS[str(kind.scope)]
            scope = in_folder[owner.name].get(parts[1], "")
            if not scope:
                raise ValidationError(
                    f"no {owner.tree_dir}/{parts[1]}/{owner.tree_file} for this {kind.name}",
                    Location(where(path)),
                )
        elif len(parts) == 3 and (parts[0], parts[2]) in folder_of:
            kind = folder_of[(parts[0], parts[2])]
            if kind.name in _SCOPES:
                continue  # read above
        elif len(parts) == 3 and (parts[0], parts[2]) in attached:
            continue  # read with its resource
        if kind is None or not path.endswith(".yaml"):
            raise ValidationError(
                "not part of the agent tree format (see docs/tree-format.md)", Location(where(path))
            )
        body = _body(files, path, where(path))
        if kind is K.TOOL:
            schema = f"{parts[0]}/{parts[1]}/{SCHEMA_FILE}"
            if schema in files:
                spec = body.get("open_api_spec")
                spec = dict(spec) if isinstance(spec, dict) else {}
                spec["text_schema"] = files[schema].decode("utf-8")
                body = {**body, "open_api_spec": _ordered_spec(spec)}
        add(Key(kind.name, scope, _display_name(body, where(path))), body, path)
    return snapshot


def _ordered_spec(spec: dict[str, Any]) -> dict[str, Any]:
    order = {f.name: f.number for f in K.TOOL.descriptor.fields_by_name["open_api_spec"].message_type.fields}
    return dict(sorted(spec.items(), key=lambda kv: order.get(kv[0], 10**9)))


def tree_bytes(agent_dir: Path, base: str | None = None) -> dict[str, bytes]:
    """The files of ``agents/<agent>/`` on disk, by path relative to it (dot files left out).

    A symbolic link (to a file or a folder) or any other non-regular file is refused before
    anything is read: a link in a pull request could pull any file of the CI runner (its
    environment, a key) into validate's output, the package, the plan comment and the live agent.
    ``base`` names the folder in messages (default: ``agent_dir`` itself).
    """
    if not agent_dir.is_dir():
        raise ValidationError("no such agent folder", Location(str(agent_dir)))
    shown = base if base is not None else agent_dir.as_posix()
    caps = ReadCaps.from_env()
    files: dict[str, bytes] = {}
    pending = [("", agent_dir)]
    while pending:
        prefix, folder = pending.pop()
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.name.startswith("."):
                    continue
                rel = prefix + entry.name
                if entry.is_symlink():
                    raise ValidationError("is a symbolic link", Location(f"{shown}/{rel}"))
                if entry.is_dir(follow_symlinks=False):
                    pending.append((rel + "/", Path(entry.path)))
                elif entry.is_file(follow_symlinks=False):
                    # The import's per-file cap: a 200 MB file is refused before it is parsed.
                    caps.check_file(entry.stat(follow_symlinks=False).st_size, Location(f"{shown}/{rel}"))
                    files[rel] = Path(entry.path).read_bytes()
                else:
                    raise ValidationError("is not a regular file", Location(f"{shown}/{rel}"))
    return dict(sorted(files.items()))


def read_tree(agent_dir: Path, base: str | None = None) -> Snapshot:
    """Read ``agents/<agent>/`` from disk."""
    shown = base if base is not None else agent_dir.as_posix()
    return snapshot_from_tree(tree_bytes(agent_dir, shown), shown)
