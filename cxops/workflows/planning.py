"""Both sides of a plan for a stage: its desired state (from wherever it comes) and its live agent.

The desired state of a stage is its tree with its overrides put in (SPEC §3), or — for
promotion — another stage's live content, a git ref, or a backup, with this stage's overrides
put in (a backup is this stage's own past state, taken as it was). Secrets stay placeholders;
their values are resolved where allowed, and only their digests, keyed by the plan's salt, go
into a plan (core/secretdigest.py).
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cxops.core import marker, secretdigest
from cxops.core.plan import (
    Plan,
    comparable,
    fingerprint,
    make_plan,
    secret_values,
    start_flow,
)
from cxops.core.validate import validate
from cxops.cx import CxSession
from cxops.errors import ConfigError, CxopsError, ValidationError
from cxops.model import progress, secrets
from cxops.model.snapshot import Key, Snapshot
from cxops.repo import gitsource
from cxops.repo.tree import read_tree
from cxops.stage import overrides
from cxops.stage.config import Stage, find_stage, load_stage, resolve_secret
from cxops.workflows import backups, flowversions, watch
from cxops.workflows.live import Via, open_session, read_content, read_live
from cxops.workflows.sources import git_snapshot, unknown_source
from cxops.workflows.validate import locate


@dataclass(frozen=True)
class Desired:
    snapshot: Snapshot  # comparable form: API-visible, secrets as placeholders
    source: Mapping[str, Any]
    expected: tuple[str, ...] = ()

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.snapshot)


@dataclass(frozen=True)
class LiveState:
    agent: str  # resource name
    snapshot: Snapshot  # comparable form
    secrets: Mapping[tuple[Key, tuple[str | int, ...]], str]  # credential values, never written anywhere
    fingerprint: str
    marks: Mapping[str, str] = field(default_factory=dict)  # cxops's lines of the description


def source_spec(source: Mapping[str, Any]) -> str | None:
    """The ``--from`` text that reads a plan's source again."""
    kind = source.get("kind")
    if kind == "stage":
        return str(source["stage"])
    if kind == "git":
        return f"git:{source['ref']}"
    if kind == "backup":
        return f"backup:{source['path']}"
    if kind == "tree" and source.get("path") != source.get("default"):
        return str(source["path"])
    return None


def _check(snapshot: Snapshot, what: str, root: Path | None = None) -> None:
    """Refuse a desired state that does not validate; ``root`` when it was read from the tree
    there, so the problem is named by file:line: key."""
    problems = validate(snapshot)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more; run cxops validate)" if len(problems) > 1 else ""
        if root is not None and first.key in snapshot.origins:
            [finding] = locate(root, snapshot, [first], "")
            raise ValidationError(f"{what}: {finding}{more}")
        raise ValidationError(f"{what}: {first.key}: {first.field}: {first.message}{more}")


def desired_state(
    root: Path, stage: Stage, spec: str | None, emulator_host: str | None, endpoint: str | None
) -> Desired:
    """``spec``: None (the stage's tree), a tree folder, ``git:REF[:AGENT]``, another stage's
    name (its live agent, its overrides taken out) or ``backup:PATH``."""
    expected: tuple[str, ...] = ()
    default = f"agents/{stage.agent}"
    if spec is None or (root / spec / "agent.yaml").is_file():
        rel = spec or default
        with progress.step(f"reading the tree {rel}/"):
            snapshot = read_tree(root / rel, base=rel)
        source: dict[str, Any] = {"kind": "tree", "path": rel, "default": default}
        commit = gitsource.commit_of(root)
        if commit:
            source.update(commit=commit, dirty=gitsource.is_dirty(root, rel))
    elif spec.startswith("git:"):
        snapshot = git_snapshot(root, spec)  # credentials become placeholders in comparable()
        ref, _ = gitsource.parse(spec)
        source = {"kind": "git", "ref": spec[len("git:") :], "commit": gitsource.commit_of(root, ref)}
    elif spec.startswith("backup:"):
        path = spec[len("backup:") :]
        snapshot = backups.load(root / path)
        source = {"kind": "backup", "path": path}
    elif find_stage(root, spec) is not None:
        snapshot = read_content(root, load_stage(root, spec), Via.export, emulator_host, endpoint)[0].snapshot
        source = {"kind": "stage", "stage": spec}
    else:
        raise unknown_source(
            root, spec, "agent tree (a folder with agent.yaml), git:REF[:AGENT] or backup:PATH"
        )
    if source["kind"] != "backup":
        snapshot = overrides.apply(snapshot, stage)
        expected = tuple(f"{stage.name}: {o.where}" for o in overrides.overrides_of(stage))
    tree_root = root if source["kind"] == "tree" else None
    _check(snapshot, f"desired state of {stage.name} ({source_spec(source) or default})", tree_root)
    return Desired(comparable(snapshot), source, expected)


def live_state(session: CxSession, stage: Stage, salt: str, like: Snapshot | None = None) -> LiveState:
    """The stage's live agent in comparable form. ``salt``: the plan's secret salt, which the
    live credential values enter the fingerprint under (a plan's live fingerprint is only
    compared with one made under its own salt). ``like``: the desired state it will be compared
    with; a live resource equal to its desired one is kept as that very object, so an agent
    that mostly matches its tree is held in memory about once, not twice."""
    live = read_live(session, stage, Via.export)
    values = secret_values(live.snapshot)
    snapshot = _comparable_each(live.snapshot, like)
    hashes = {
        f"{key}:{'.'.join(map(str, path))}": secretdigest.digest(v, salt) for (key, path), v in values.items()
    }
    return LiveState(live.agent, snapshot, values, fingerprint(snapshot, hashes), live.marks)


def _comparable_each(raw: Snapshot, like: Snapshot | None) -> Snapshot:
    """:func:`comparable` one resource at a time, emptying ``raw`` as it goes (the raw and the
    comparable form of a whole large agent are never held together)."""
    out = Snapshot()
    wanted = like.resources if like is not None else {}
    for key in list(raw.resources):
        kept = comparable(Snapshot(resources={key: raw.resources.pop(key)})).resources
        if key not in kept:
            continue  # a kind no API call writes (K.PACKAGE_ONLY): never planned
        body = kept[key]
        same = wanted.get(key)
        out.resources[key] = same if same is not None and same == body else body
    return out


def resolvable_secrets(stage: Stage, snapshot: Snapshot) -> dict[str, str | None]:
    """Each placeholder of the snapshot: its value where this machine can resolve it."""
    return resolvable(stage, [slot.name for slot in secrets.slots(snapshot)])


def resolvable(stage: Stage, names: Iterable[str]) -> dict[str, str | None]:
    """Each secret of ``names``: its value where this machine can resolve it, else None."""
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = resolve_secret(stage, name)
        except CxopsError:
            out[name] = None
    return out


def author() -> str:
    for var in ("CXOPS_AUTHOR", "GITHUB_ACTOR"):
        if os.environ.get(var):
            return os.environ[var]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def plan_stage(
    root: Path,
    stage_name: str,
    spec: str | None,
    emulator_host: str | None,
    endpoint: str | None,
    *,
    plan_author: str | None = None,
) -> Plan:
    """Desired state of the stage (or ``spec``) against its live agent, read just now."""
    return plan_for(
        root, load_stage(root, stage_name), spec, emulator_host, endpoint, plan_author=plan_author
    )


def plan_for(
    root: Path,
    stage: Stage,
    spec: str | None,
    emulator_host: str | None,
    endpoint: str | None,
    *,
    plan_author: str | None = None,
) -> Plan:
    """:func:`plan_stage` for a stage already loaded (or made, as a branch's preview agent)."""
    if stage.environment is not None:
        # Its plan pins versions of its own tree (workflows/envstage.py); another stage's live
        # content cannot be versioned without writing it to the draft first.
        raise ConfigError(
            f"{stage.name} is an environment stage: its desired state is its tree; "
            f"promote to the stage that edits the draft, then cxops plan {stage.name}",
            stage.location_of(("environment",)),
        )
    desired = desired_state(root, stage, spec, emulator_host, endpoint)
    with open_session(stage, emulator_host, endpoint) as session:
        read_began = watch.now_precise()
        salt = secretdigest.new_salt()
        live = live_state(session, stage, salt, desired.snapshot)
        versions = (
            flowversions.planned_calls(session, live.agent, desired.snapshot)
            if stage.versions == "on_apply"
            else None
        )
        planned = make_plan(
            stage=stage.name,
            agent=stage.agent,
            source=desired.source,
            author=plan_author or author(),
            created_at=now(),
            live=live.snapshot,
            desired=desired.snapshot,
            live_fingerprint=live.fingerprint,
            secret_salt=salt,
            live_secrets=live.secrets,
            resolved=resolvable_secrets(stage, desired.snapshot),
            expected=desired.expected,
            sources_changed=marker.changed_sources(stage.secrets, live.marks.get("sources")),
            writes_per_minute=stage.rate_limits.writes_per_minute,
        )
        if versions is not None:
            planned = replace(planned, versions=versions)
        if planned.writes and stage.environment is None:
            # What lets apply's gate re-read only what the plan writes into: digests of those
            # collections, and the backup apply takes, from this read.
            backups.save_pending(root, stage.name, stage.agent, live.snapshot, now(), live.fingerprint)
            with progress.step("listing the collections the plan writes into"):
                taken = watch.take(session, live.agent, planned.writes, read_began, start_flow(live.snapshot))
            planned = replace(planned, watch=taken)
    return planned
