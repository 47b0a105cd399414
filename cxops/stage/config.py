"""Stages: ``environments/<stage>.yaml``, where and how one copy of an agent runs (SPEC §3).

A stage file is small and hand-written, and a mistake in it can send writes to the wrong agent,
so it is read strictly: every key is known (a misspelt one gets a "did you mean"), every value
has the right type and shape, and every refusal is one :class:`~cxops.errors.ConfigError` that
names the file, the line and the key, e.g.::

    environments/stg.yaml:7: rate_limits.writes_per_minute: must be a positive number, not -5

The keys (only ``agent``, ``project`` and one of ``agent_id`` / ``agent_display_name`` are
required; ``key: null`` counts as absent for every optional key):

``agent``
    the tree under ``agents/`` this stage deploys: ``^[a-z0-9][a-z0-9._-]*$``.
``project``
    the Google Cloud project id (6-30 lowercase letters, digits or hyphens, starting with a
    letter, not ending with a hyphen), optionally domain-scoped (``example.com:my-project``).
    Project numbers are refused: they hide which project a review is looking at.
``location``
    ``global`` (the default), a multi-region (``us``, ``eu``) or a region (``us-central1``).
``agent_id`` / ``agent_display_name``
    exactly one: the agent's id (the last part of its resource name), or its display name,
    which the caller looks up under :attr:`Stage.parent`.
``protected``
    ``true``: apply needs an approved plan. Default ``false``.
``approvals_required``
    how many approvals a plan needs. Default 1 on a protected stage, 0 otherwise; a protected
    stage needs at least 1 (a protected stage that anyone can apply alone protects nothing).
    On an unprotected stage the number is kept but nothing enforces it.
``approvals``
    ``{signed: false}`` lets a protected stage count approvals that carry no signature when
    ``CXOPS_APPROVAL_KEY`` is not set where apply runs; without it such a stage refuses to apply
    unsigned (anyone who can edit a plan file could write an approval into it). ``cxops init``
    never writes it; plan and apply say so when it is in effect.
``source``
    the stage ``cxops promote`` copies from. Checked across stages by :func:`check_sources`:
    it must exist, deploy the same agent, and not lead back to this stage.
``overrides``
    resource key -> field path -> value. A resource key is ``agent``, ``generative-settings``
    or ``<kind folder>/<display name>`` with the tree's kind folders (``webhooks/orders-api``,
    ``flows/Orders/pages/Ask Size``); it stays a string here, resolved against the agent by
    whoever applies the overrides. A field path is dotted snake_case field names
    (``generic_web_service.uri``); ``display_name`` cannot be overridden, it is the key.
``data_stores``
    data store id in the tree -> this stage's data store id, for stages that use stores of
    their own (``faq_1719761127966: faq-prd_1720000000000``). The tree holds data store
    references without project and location (``collections/default_collection/dataStores/<id>``);
    apply puts the stage's project and location in front, after this swap, and pull swaps back.
    Ids are lowercase letters, digits, '-' and '_' (at most 63); two tree ids cannot share a
    stage id (pull could not tell which the tree names). Each tree id must be one the agent
    references, checked by whoever applies the overrides.
``secrets``
    placeholder name (as in ``${secret:orders-api/X-Api-Key}``) -> ``env:VARIABLE`` or
    ``file:PATH``. Loading checks the form and where a source may point; values are read by
    :func:`resolve_secret`, at apply time, and no message ever holds a value, nor the text of a
    malformed source (it may be a value pasted in by mistake).

    A stage file is edited in pull requests, and apply to an unprotected stage runs on merge
    with the runner's environment and disk: a source that could name *any* variable or file
    would let a PR send a CI credential to a webhook URI of its author's choosing. So sources
    are confined: ``env:`` names start with ``secrets_env_prefix`` and never with a CI system's
    own prefix (:data:`CI_ENV_PREFIXES`, whatever the stage's prefix); ``file:`` paths, after
    ``~`` and symlinks, lie inside the repository root or inside ``secrets_dir``.
``secrets_env_prefix``
    the prefix every ``env:`` source must start with; default ``CXOPS_``.
``secrets_dir``
    one folder (absolute, or relative to the repo root) outside the repository that ``file:``
    sources may also read from, e.g. a mounted secrets volume.
``preview``
    ``true``: the stage makes one agent per git branch (``cxops preview up``) instead of
    naming one agent. ``agent_display_name`` is then a template holding ``{branch}`` (and
    optionally ``{agent}``), e.g. ``"{agent} · {branch}"``; ``agent_id`` is refused (each branch
    has its own agent) and so is ``protected`` (a preview agent is one developer's own).
``rate_limits``
    ``reads_per_minute`` / ``writes_per_minute``, positive numbers; absent or null means
    unlimited (the server's own quota still answers RESOURCE_EXHAUSTED, which is retried).
``tests``
    ``required`` (apply needs a passing ``cxops test`` result for exactly the plan's desired
    state), or a mapping ``{required: true|false, on: STAGE}``: with ``on``, the result must
    come from a live run on that stage (e.g. prd needs the tests to have passed on stg with
    the same content). ``on`` must name another stage that deploys the same agent
    (:func:`check_sources` checks that across stages). ``undecided: allow`` lets a result
    whose offline run left tests undecided (docs/test-results.md) pass; default ``fail``
    (a live run decides every test).
``environment``
    the display name of a CX environment of the agent (whose draft another stage edits): the
    stage is that environment, pointing at flow versions (:mod:`cxops.workflows.envstage`).
    Not with ``preview``.
``versions``
    ``on_apply``: after a verified apply, a CX flow version of every flow the apply changed
    (``cxops history STAGE`` lists them). Absent: no versions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from cxops.errors import ConfigError, Location

# The parts of a stage, each in a module of its own, named here too: callers import a stage's
# loading, its value and its secrets from this one module.
from cxops.stage.parse import _did_you_mean
from cxops.stage.parse import parse_stage as parse_stage
from cxops.stage.secrets import _inside
from cxops.stage.secrets import resolve_secret as resolve_secret
from cxops.stage.secrets import source_refusal as source_refusal
from cxops.stage.value import _AGENT_NAME, _STAGE_NAME, _bad_stage_name
from cxops.stage.value import KIND_FOLDERS as KIND_FOLDERS
from cxops.stage.value import SINGLETON_KEYS as SINGLETON_KEYS
from cxops.stage.value import STAGES_DIR as STAGES_DIR
from cxops.stage.value import Stage as Stage
from cxops.stage.value import agent_of_name as agent_of_name
from cxops.stage.value import is_stage_name as is_stage_name
from cxops.stage.value import qualify as qualify
from cxops.stage.value import stage_file as stage_file

__all__ = [
    "KIND_FOLDERS",
    "SINGLETON_KEYS",
    "STAGES_DIR",
    "Stage",
    "check_sources",
    "find_stage",
    "load_stage",
    "load_stages",
    "parse_stage",
    "qualify",
    "resolve_name",
    "resolve_secret",
    "stage_file",
]


def _stage_names(root: Path, strict: bool) -> list[str]:
    """The stages under ``environments/``, sorted: ``STAGE`` for ``environments/STAGE.yaml`` and
    ``AGENT/STAGE`` for ``environments/AGENT/STAGE.yaml``; ``strict`` refuses misnamed ones
    (loading one stage should not fail over a stray file next to it)."""
    folder = root / STAGES_DIR
    if not folder.is_dir():
        return []
    names = _files_in(folder, STAGES_DIR, strict)
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or not entry.is_dir() or entry.is_symlink():
            continue
        if not _AGENT_NAME.match(entry.name):
            if strict:
                raise ConfigError(
                    f"{entry.name!r} is not an agent name, so this folder holds no stages: use lowercase"
                    " letters, digits, '.', '-' and '_'",
                    Location(f"{STAGES_DIR}/{entry.name}/"),
                )
            continue
        names += [f"{entry.name}/{n}" for n in _files_in(entry, f"{STAGES_DIR}/{entry.name}", strict)]
    return sorted(names)


def _files_in(folder: Path, shown: str, strict: bool) -> list[str]:
    names = []
    for entry in sorted(folder.iterdir()):
        # Hidden files (.gitkeep, editor swap files) are not stages.
        if entry.name.startswith(".") or entry.is_dir() or entry.suffix not in (".yaml", ".yml"):
            continue
        if not strict:
            if entry.suffix == ".yaml" and _STAGE_NAME.match(entry.stem):
                names.append(entry.stem)
            continue
        if entry.suffix == ".yml":
            # Silently skipping it would leave a stage the user wrote out of every check.
            raise ConfigError(
                f"stage files end in .yaml: rename it to {entry.stem}.yaml",
                Location(f"{shown}/{entry.name}"),
            )
        if not _STAGE_NAME.match(entry.stem):
            raise ConfigError(_bad_stage_name(entry.stem), Location(f"{shown}/{entry.name}"))
        names.append(entry.stem)
    return names


def load_stage(root: Path, name: str) -> Stage:
    """Read and check ``environments/<name>.yaml`` under the repo ``root``.

    Checks everything one file can show; whether ``source`` names a real stage is for
    :func:`check_sources` (which :func:`load_stages` runs).
    """
    if not is_stage_name(name):
        # The name came from a command line, not a file: no file to point at.
        raise ConfigError(_bad_stage_name(name))
    names = _stage_names(root, strict=False)
    name = resolve_name(name, names)
    file = stage_file(name)
    # Matching the listing, not just opening the path, keeps a case-insensitive file system
    # from loading STG.yaml as "stg".
    if name not in names:
        if (root / STAGES_DIR / f"{name}.yml").is_file():
            known = f"stage files end in .yaml: rename {name.rsplit('/', 1)[-1]}.yml to {name.rsplit('/', 1)[-1]}.yaml"
        elif not (root / STAGES_DIR).is_dir():
            known = f"there is no {STAGES_DIR}/ folder in {root}"
        elif names:
            known = "stages here: " + ", ".join(names)
        else:
            known = f"there are no stages in {STAGES_DIR}/"
        raise ConfigError(f"no such stage; {known}", Location(file))
    if not _inside((root / file).resolve(), root.resolve()):
        # A link out of the repository would read whatever the runner holds there.
        raise ConfigError("is a symbolic link out of the repository", Location(file))
    try:
        data = (root / file).read_bytes()
    except OSError as error:
        raise ConfigError(f"cannot read: {error.strerror or error}", Location(file)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ConfigError("is not UTF-8 text: save it as UTF-8", Location(file, line)) from None
    return parse_stage(text, name, file, root)


def resolve_name(name: str, names: Sequence[str]) -> str:
    """The stage a command line's ``name`` means among the repository's ``names``.

    ``AGENT/STAGE`` means itself. A bare ``STAGE`` means ``environments/STAGE.yaml`` where that
    file exists (a one-agent repository, and the older layout, keep working); else the one
    agent folder that has it; where several have it, it is ambiguous and the error lists them."""
    if "/" in name or name in names:
        return name
    nested = [n for n in names if n.rsplit("/", 1)[-1] == name and "/" in n]
    if len(nested) == 1:
        return nested[0]
    if len(nested) > 1:
        raise ConfigError(
            f"stage {name!r} is ambiguous: several agents have one ({', '.join(nested)}); name it as AGENT/STAGE"
        )
    return name


def find_stage(root: Path, name: str) -> str | None:
    """The stage ``name`` (a command line's ``stg`` or ``pizza/stg``) means, when the repository
    has it; None when it has none by that name (the caller may read ``name`` as a path)."""
    if not is_stage_name(name):
        return None
    names = _stage_names(root, strict=False)
    resolved = resolve_name(name, names)
    return resolved if resolved in names else None


def load_stages(root: Path) -> dict[str, Stage]:
    """Every stage under the repo ``root``, by name (sorted), with sources checked."""
    stages = {name: load_stage(root, name) for name in _stage_names(root, strict=True)}
    check_sources(stages)
    return stages


def check_sources(stages: Mapping[str, Stage]) -> None:
    """Refuse a ``source`` that names no stage, deploys another agent, or leads back to itself."""
    for stage in stages.values():
        if stage.source is None:
            continue
        source = stages.get(stage.source)
        if source is None:
            raise ConfigError(
                f"no stage {stage.source!r}{_did_you_mean(stage.source, stages)}"
                f" (stages: {', '.join(sorted(stages))})",
                stage.location_of(("source",)),
            )
        if source.agent != stage.agent:
            raise ConfigError(
                f"stage {source.name!r} deploys agent {source.agent!r}, not {stage.agent!r}:"
                " promoting it here would replace this agent with another",
                stage.location_of(("source",)),
            )
    for stage in stages.values():
        if stage.tests_on is None:
            continue
        where = stage.location_of(("tests", "on"))
        other = stages.get(stage.tests_on)
        if other is None:
            raise ConfigError(
                f"no stage {stage.tests_on!r}{_did_you_mean(stage.tests_on, stages)}"
                f" (stages: {', '.join(sorted(stages))})",
                where,
            )
        if other.agent != stage.agent:
            raise ConfigError(
                f"stage {other.name!r} deploys agent {other.agent!r}, not {stage.agent!r}:"
                " its test results say nothing about this agent",
                where,
            )
    # Each stage has at most one source, so following sources from any stage either ends or
    # enters a cycle; report each cycle once, at its first stage by name.
    for name in sorted(stages):
        chain = [name]
        while (nxt := stages[chain[-1]].source) is not None and nxt not in chain:
            chain.append(nxt)
        if nxt is not None and nxt == name:
            if len(chain) == 1:
                message = "a stage cannot be its own source"
            else:
                message = "sources form a cycle: " + " -> ".join([*chain, name])
            raise ConfigError(message, stages[name].location_of(("source",)))
