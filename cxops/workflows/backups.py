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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cxops.errors import ConfigError, Location
from cxops.model import secrets
from cxops.model.snapshot import Key, Snapshot
from cxops.repo.atomicfile import write_atomic

FORMAT = "cxops-backup"
VERSION = 1
KEEP = 20
FOLDER = Path(".cxops") / "backups"


def folder(root: Path, stage: str) -> Path:
    return root / FOLDER / stage


def save(
    root: Path, stage: str, agent: str, snapshot: Snapshot, taken_at: str, live_fingerprint: str
) -> Path:
    """Write the snapshot (secrets redacted) atomically; prune to the newest :data:`KEEP`."""
    # Placeholders instead of credentials; bodies that hold none are written as they are.
    redacted = Snapshot(resources=dict(snapshot.resources))
    holders = {slot.key for slot in secrets.slots(snapshot)}
    for key in holders:
        redacted.resources[key] = copy.deepcopy(snapshot.resources[key])
    secrets.redact(redacted)
    data = {
        **_header(stage, agent, taken_at, live_fingerprint),
        "resources": [{"kind": k.kind, "scope": k.scope, "name": k.name, "body": b} for k, b in redacted],
    }
    return _write(root, stage, data, live_fingerprint)


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
# What rollback of an environment stage needs is the environment's version_configs before an
# apply; the backup of an environment stage holds those (no resources: apply writes none), and,
# once the apply verified, what it pinned ("applied"), which drift compares the environment with.
# Webhook overrides are not kept: their headers may hold credentials, and rollback restores the
# versions only.


def save_environment(
    root: Path,
    stage: str,
    agent: str,
    environment: Mapping[str, Any],
    taken_at: str,
    live_fingerprint: str,
) -> Path:
    """``environment``: {"name", "display_name", "versions": {flow: version}} (None name: none yet)."""
    data = {
        **_header(stage, agent, taken_at, live_fingerprint),
        "resources": [],
        "environment": dict(environment),
    }
    return _write(root, stage, data, live_fingerprint)


def record_applied(
    path: Path, plan_hash: str, versions: Mapping[str, str], webhooks: Mapping[str, str], at: str, by: str
) -> None:
    """Add to an environment backup what the apply (or rollback) that took it pinned: flow ->
    version, and webhook -> the URI of its override (headers are not kept: credentials)."""
    data = _read(path)
    data["applied"] = {
        "plan_hash": plan_hash,
        "versions": dict(sorted(versions.items())),
        "webhooks": dict(sorted(webhooks.items())),
        "at": at,
        "by": by,
    }
    write_atomic(path, (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))


def environment_of(path: Path) -> dict[str, Any]:
    """The environment state an environment stage's backup holds."""
    env = _read(path).get("environment")
    if not isinstance(env, dict) or not isinstance(env.get("versions"), dict):
        raise ConfigError(
            "not a backup of an environment stage (no environment versions)", Location(str(path))
        )
    return env


def last_applied(root: Path, stage: str) -> dict[str, Any] | None:
    """What the newest verified apply or rollback of an environment stage pinned, or None."""
    for path in listing(root, stage):
        try:
            applied = _read(path).get("applied")
        except ConfigError:
            continue
        if isinstance(applied, dict) and isinstance(applied.get("versions"), dict):
            return applied
    return None


def _header(stage: str, agent: str, taken_at: str, live_fingerprint: str) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "stage": stage,
        "agent": agent,
        "taken_at": taken_at,
        "live_fingerprint": live_fingerprint,
    }


def _write(root: Path, stage: str, data: Mapping[str, Any], live_fingerprint: str) -> Path:
    where = folder(root, stage)
    # Microseconds keep names in time order even for applies within one second.
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    path = where / f"{stamp}-{live_fingerprint.removeprefix('sha256:')[:12]}.json"
    write_atomic(path, (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8"), parents=True)
    for old in listing(root, stage)[KEEP:]:
        old.unlink(missing_ok=True)
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
