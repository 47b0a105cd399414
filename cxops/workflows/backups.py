"""Backups of a stage's live agent, taken by apply before its first write (SPEC §5).

Kept in ``.cxops/backups/<stage>/`` under the repository root as one JSON file per apply,
named by UTC time and live fingerprint; the newest :data:`KEEP` per stage are kept. Secrets
are placeholders (a backup is written to disk). In CI the folder lives as long as the runner:
upload it as an artifact to keep it (the shipped workflows do).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from cxops.errors import ConfigError, Location
from cxops.model import secrets
from cxops.model.snapshot import Key, Snapshot
from cxops.repo.atomicfile import write_atomic_with

FORMAT = "cxops-backup"
VERSION = 1
KEEP = 20
KEEP_PENDING = 3
PENDING = Path(".cxops") / "pending-backups"
FOLDER = Path(".cxops") / "backups"


def folder(root: Path, stage: str) -> Path:
    return root / FOLDER / stage


def save(
    root: Path, stage: str, agent: str, snapshot: Snapshot, taken_at: str, live_fingerprint: str
) -> Path:
    """Write the snapshot (secrets redacted) atomically; prune to the newest :data:`KEEP`."""
    return _write(
        root, stage, _snapshot_data(stage, agent, snapshot, taken_at, live_fingerprint), live_fingerprint
    )


def save_pending(
    root: Path, stage: str, agent: str, snapshot: Snapshot, taken_at: str, live_fingerprint: str
) -> Path:
    """The backup an apply of a plan made just now will want, written by the plan from the
    live agent it read (``.cxops/pending-backups/<stage>/<fingerprint>.json``): apply, once the gate has seen that
    live is still what was planned, moves it into place instead of reading the whole agent
    again. Only the newest :data:`KEEP_PENDING` are kept."""
    where = root / PENDING / stage
    path = where / f"{live_fingerprint.removeprefix('sha256:')}.json"
    data = _snapshot_data(stage, agent, snapshot, taken_at, live_fingerprint)
    write_atomic_with(path, lambda out: _dump(data, out), parents=True)
    for old in sorted(where.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)[KEEP_PENDING:]:
        old.unlink(missing_ok=True)
    return path


def pending(root: Path, stage: str, live_fingerprint: str) -> Path | None:
    """The pending backup of a live agent with this fingerprint, if a plan here wrote one."""
    path = root / PENDING / stage / f"{live_fingerprint.removeprefix('sha256:')}.json"
    return path if path.is_file() else None


def promote(root: Path, stage: str, path: Path, live_fingerprint: str) -> Path | None:
    """A pending backup made the stage's newest backup (a rename: nothing is read or written);
    None when it is gone (another apply of a plan of the same live state took it)."""
    target = _name(root, stage, live_fingerprint)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
    except FileNotFoundError:
        return None
    except OSError as err:
        raise ConfigError(
            f"cannot move backup into place: {err.strerror or err}", Location(str(path))
        ) from err
    _prune(root, stage)
    return target


def _snapshot_data(
    stage: str, agent: str, snapshot: Snapshot, taken_at: str, live_fingerprint: str
) -> dict[str, Any]:
    # Placeholders instead of credentials; bodies that hold none are written as they are.
    redacted = Snapshot(resources=dict(snapshot.resources))
    holders = {slot.key for slot in secrets.slots(snapshot)}
    for key in holders:
        redacted.resources[key] = copy.deepcopy(snapshot.resources[key])
    secrets.redact(redacted)
    return {
        **_header(stage, agent, taken_at, live_fingerprint),
        "resources": [{"kind": k.kind, "scope": k.scope, "name": k.name, "body": b} for k, b in redacted],
    }


def listing(root: Path, stage: str) -> list[Path]:
    """The stage's backups, newest first."""
    where = folder(root, stage)
    return sorted(where.glob("*.json"), reverse=True) if where.is_dir() else []


def newest(root: Path, stage: str) -> Path:
    found = listing(root, stage)
    if not found:
        raise ConfigError(f"no backup of {stage} in {FOLDER / stage} (apply takes one before writing)")
    return found[0]


def load(path: Path) -> Snapshot:
    where = str(path)
    data = _read(path)
    snapshot = Snapshot()
    try:
        for item in data["resources"]:
            snapshot.add(Key(item["kind"], item["scope"], item["name"]), item["body"])
    except (KeyError, TypeError, ValueError) as bad:
        raise ConfigError(f"malformed backup ({bad!r})", Location(where)) from bad
    return snapshot


# -- environment stages ------------------------------------------------------------------------
# What rollback of an environment stage needs is the environment before an apply: its
# version_configs and webhook overrides (no resources: apply writes none). The overrides' header
# values are placeholders: they may be credentials, and rollback resolves them from the stage's
# sources. What an apply pinned is kept on the environment itself (core/envmark.py), not here.


def save_environment(
    root: Path,
    stage: str,
    agent: str,
    environment: Mapping[str, Any],
    taken_at: str,
    live_fingerprint: str,
) -> Path:
    """``environment``: {"name", "display_name", "versions": {flow: version}, "webhooks":
    {webhook: {"uri", "request_headers"}}} (None name: none yet)."""
    data = {
        **_header(stage, agent, taken_at, live_fingerprint),
        "resources": [],
        "environment": dict(environment),
    }
    return _write(root, stage, data, live_fingerprint)


def environment_of(path: Path) -> dict[str, Any]:
    """The environment state an environment stage's backup holds."""
    env = _read(path).get("environment")
    if not isinstance(env, dict) or not isinstance(env.get("versions"), dict):
        raise ConfigError(
            "not a backup of an environment stage (no environment versions)", Location(str(path))
        )
    return env


def _header(stage: str, agent: str, taken_at: str, live_fingerprint: str) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "stage": stage,
        "agent": agent,
        "taken_at": taken_at,
        "live_fingerprint": live_fingerprint,
    }


def _name(root: Path, stage: str, live_fingerprint: str) -> Path:
    # Microseconds keep names in time order even for applies within one second.
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    return folder(root, stage) / f"{stamp}-{live_fingerprint.removeprefix('sha256:')[:12]}.json"


def _dump(data: Mapping[str, Any], out: IO[bytes]) -> None:
    """The backup's JSON, one resource per line, each encoded by json's C encoder: a whole
    agent is never one string in memory, and writing it costs about what encoding it does."""
    head = {k: v for k, v in data.items() if k != "resources"}
    text = json.dumps(head, ensure_ascii=False, indent=1)
    out.write(text[: text.rindex("}")].rstrip().encode("utf-8"))
    out.write(b',\n "resources": [')
    for i, item in enumerate(data.get("resources", [])):
        out.write((",\n  " if i else "\n  ").encode("utf-8"))
        out.write(json.dumps(item, ensure_ascii=False).encode("utf-8"))
    out.write(b"\n ]\n}\n")


def _prune(root: Path, stage: str) -> None:
    for old in listing(root, stage)[KEEP:]:
        old.unlink(missing_ok=True)


def _write(root: Path, stage: str, data: Mapping[str, Any], live_fingerprint: str) -> Path:
    path = _name(root, stage, live_fingerprint)
    write_atomic_with(path, lambda out: _dump(data, out), parents=True)
    _prune(root, stage)
    return path


def _read(path: Path) -> dict[str, Any]:
    where = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"cannot read backup: {err.strerror or err}", Location(where)) from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"not a backup file: {err}", Location(where)) from err
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != VERSION:
        raise ConfigError(f"not a {FORMAT} version {VERSION} file", Location(where))
    return data
