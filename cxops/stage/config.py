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

import difflib
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from cxops.cx.ratelimit import RateLimits
from cxops.errors import ConfigError, Location, ValidationError
from cxops.model import datastores
from cxops.repo.yamlio import Positions, format_path, load_with_positions

if TYPE_CHECKING:
    from cxops.cx.connection import ConnectionSettings

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

STAGES_DIR = "environments"
"""Folder of the stage files, relative to the repo root."""

KIND_FOLDERS = (
    "flows",
    "route-groups",
    "intents",
    "entity-types",
    "webhooks",
    "test-cases",
    "generators",
    "playbooks",
    "tools",
)
"""Kind folders of the agent tree that an override key ``<folder>/<display name>`` may start with."""

SINGLETON_KEYS = ("agent", "generative-settings")
"""Override keys of the resources an agent has exactly one of: they take no display name."""

_STAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_AGENT_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
# A stage of a repository of several agents: AGENT/STAGE, the file environments/AGENT/STAGE.yaml.
_QUALIFIED = re.compile(r"^([a-z0-9][a-z0-9._-]*)/([a-z0-9][a-z0-9_-]*)$")
_PROJECT_ID = re.compile(r"^(?:[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$")
# Multi-regions are letters only; a plain word other than these is more likely a typo of
# "global" than a location, so it is refused rather than sent to a host that does not exist.
_MULTI_REGIONS = ("global", "us", "eu")
_REGION = re.compile(r"^[a-z]+-[a-z]+[0-9]+$")
# An id is the last segment of a resource name: no slash. Real ids are UUIDs, emulators may differ.
_AGENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_ENV_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# What ${secret:NAME} can hold (cxops.model.secrets.PLACEHOLDER: anything but "}"), minus
# what would make the name unreadable or differ invisibly from the tree's.
_PLACEHOLDER_NAME = re.compile(r"^[^\s{}$\x00-\x1f\x7f](?:[^{}$\x00-\x1f\x7f]*[^\s{}$\x00-\x1f\x7f])?$")
_PLACEHOLDER_USE = re.compile(r"\$\{secret:([^}]*)\}")
_FIELD_SEGMENT = re.compile(r"^\S(?:.*\S)?$")

_TOP_KEYS = (
    "agent",
    "project",
    "location",
    "agent_id",
    "agent_display_name",
    "protected",
    "approvals_required",
    "approvals",
    "source",
    "overrides",
    "data_stores",
    "secrets",
    "secrets_env_prefix",
    "secrets_dir",
    "rate_limits",
    "tests",
    "preview",
    "versions",
    "environment",
)
VERSIONS_MODES = ("on_apply",)
# What a preview stage's agent_display_name template may hold.
PREVIEW_FIELDS = ("agent", "branch")
_TEMPLATE_FIELD = re.compile(r"\{([^{}]*)\}")
DEFAULT_ENV_PREFIX = "CXOPS_"
# The CI system's and the cloud SDK's own variables (tokens, OIDC request credentials): never
# a secret source, whatever prefix a stage declares.
CI_ENV_PREFIXES = ("GITHUB_", "ACTIONS_", "RUNNER_", "GOOGLE_", "CLOUDSDK_")
_TESTS_KEYS = ("required", "on", "undecided")
_RATE_KEYS = ("reads_per_minute", "writes_per_minute")
_SOURCE_FORMS = "env:VARIABLE or file:PATH"


@dataclass(frozen=True)
class Stage:
    """One stage, as its file says; see the module docstring for each field's rules.

    ``file`` is the path relative to the repo root, for messages. ``root`` (the repo root,
    where ``file:`` secret paths are relative to) and ``positions`` (the lines of the file's
    keys) are known when the stage was loaded from a file; neither counts in comparisons.
    """

    name: str
    file: str
    agent: str
    project: str
    location: str = "global"
    agent_id: str | None = None
    agent_display_name: str | None = None
    protected: bool = False
    approvals_required: int = 0
    approvals_signed: bool = True  # False only where the file says approvals: {signed: false}
    source: str | None = None
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    data_stores: Mapping[str, str] = field(default_factory=dict)  # tree id -> this stage's id
    secrets: Mapping[str, str] = field(default_factory=dict)
    secrets_env_prefix: str = DEFAULT_ENV_PREFIX
    secrets_dir: str | None = None
    rate_limits: RateLimits = field(default_factory=RateLimits)
    tests_required: bool = False
    tests_on: str | None = None
    # tests.undecided: "allow" lets an offline result with undecided tests pass the gate.
    tests_allow_undecided: bool = False
    preview: bool = False
    versions: str | None = None
    environment: str | None = None
    root: Path | None = field(default=None, compare=False, repr=False)
    positions: Positions | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        # The loader reports these with lines; this only keeps hand-built stages honest.
        if (self.agent_id is None) == (self.agent_display_name is None):
            raise ConfigError("give exactly one of agent_id and agent_display_name", Location(self.file))
        if self.protected and self.approvals_required < 1:
            raise ConfigError(
                "must be at least 1 on a protected stage", Location(self.file, None, "approvals_required")
            )

    @property
    def parent(self) -> str:
        """``projects/{project}/locations/{location}``: where the agent is (or is looked up)."""
        return f"projects/{self.project}/locations/{self.location}"

    @property
    def agent_path(self) -> str | None:
        """The agent's resource name; None when the stage names it by display name (look it up
        under :attr:`parent`)."""
        if self.agent_id is None:
            return None
        return f"{self.parent}/agents/{self.agent_id}"

    def location_of(self, path: Sequence[str | int]) -> Location:
        """Where a key path of this stage's file is, for an error (``file:line: key``).

        The line is that of the nearest key of ``path`` the file has (e.g. ``secrets`` for a
        missing ``secrets.x``), or none when the stage was not loaded from a file.
        """
        line = self.positions.line(path) if self.positions is not None else None
        return Location(self.file, line, format_path(path) or None)

    def connection_settings(
        self,
        *,
        emulator_host: str | None = None,
        api_endpoint: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> ConnectionSettings:
        """How to reach this stage's location (flags win over ``CXOPS_*`` variables). Imports
        the client: only a command that connects asks."""
        from cxops.cx.connection import ConnectionSettings

        return ConnectionSettings.from_env(
            self.location, emulator_host=emulator_host, api_endpoint=api_endpoint, environ=environ
        )


def is_stage_name(name: str) -> bool:
    """A stage name as a command line gives it: ``stg``, or ``AGENT/STAGE``."""
    return bool(_STAGE_NAME.match(name) or _QUALIFIED.match(name))


def agent_of_name(name: str) -> str | None:
    """The agent a qualified stage name (``pizza/stg``) belongs to; None for a bare one."""
    match = _QUALIFIED.match(name)
    return match.group(1) if match else None


def qualify(name: str, owner: str) -> str:
    """``name`` as a stage file of stage ``owner`` writes it (``source: dev``), read from that
    stage: a bare name in ``environments/pizza/stg.yaml`` is ``pizza/dev``, the stage beside it."""
    agent = agent_of_name(owner)
    if agent is None or "/" in name:
        return name
    return f"{agent}/{name}"


def stage_file(name: str) -> str:
    """The file of stage ``name``, relative to the repo root."""
    return f"{STAGES_DIR}/{name}.yaml"


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


def _bad_stage_name(name: str) -> str:
    return (
        f"{name!r} is not a stage name: use lowercase letters, digits, '-' and '_',"
        " starting with a letter or digit"
    )


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


def resolve_secret(stage: Stage, placeholder: str, environ: Mapping[str, str] = os.environ) -> str:
    """The value of secret ``placeholder`` from its source in ``stage.secrets``.

    ``env:VAR`` reads the environment; ``file:PATH`` reads a UTF-8 file (relative to the repo
    root; ``~`` expanded), less one trailing line break, which editors and ``echo`` add. An
    unset variable, a missing, unreadable or non-UTF-8 file and an empty value are refused with
    a :class:`ConfigError` naming the stage file and key; no message holds the value.
    """
    path = ("secrets", placeholder)
    source = stage.secrets.get(placeholder)
    if source is None:
        raise ConfigError(
            f"no source for secret {placeholder!r}: add it under secrets as {_SOURCE_FORMS}",
            stage.location_of(path),
        )
    scheme, _, ref = source.partition(":")
    refusal = source_refusal(source, stage.secrets_env_prefix, stage.root, stage.secrets_dir)
    if refusal is not None:
        raise ConfigError(refusal, stage.location_of(path))
    if scheme == "env":
        value = environ.get(ref)
        if value is None:
            raise ConfigError(f"environment variable {ref} is not set", stage.location_of(path))
        if not value:
            raise ConfigError(f"environment variable {ref} is empty", stage.location_of(path))
        return value
    if scheme == "file":
        file = _secret_path(ref, stage.root)
        try:
            data = file.read_bytes()
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise ConfigError(f"cannot read secret file {ref}: {reason}", stage.location_of(path)) from None
        try:
            # The decode error's own message quotes the offending byte: a byte of the secret.
            value = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigError(f"secret file {ref} is not UTF-8 text", stage.location_of(path)) from None
        if value.endswith("\n"):
            value = value[:-2] if value.endswith("\r\n") else value[:-1]
        if not value:
            raise ConfigError(f"secret file {ref} is empty", stage.location_of(path))
        return value
    # Only reachable for hand-built stages: the loader refuses other forms.
    raise ConfigError(f"must be {_SOURCE_FORMS}", stage.location_of(path))


def _secret_path(ref: str, root: Path | None) -> Path:
    file = Path(ref).expanduser()
    if not file.is_absolute():
        file = (root if root is not None else Path.cwd()) / file
    return file


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def source_refusal(source: str, env_prefix: str, root: Path | None, secrets_dir: str | None) -> str | None:
    """Why ``source`` may not be read by this stage, or None when it may (see ``secrets`` above).

    Paths are compared after ``~`` and symlinks are resolved, so neither ``..`` nor a link
    inside the repository reaches a file outside it."""
    scheme, _, ref = source.partition(":")
    if scheme == "env":
        if ref.startswith(CI_ENV_PREFIXES):
            return (
                f"env:{ref} is the CI system's own variable ({', '.join(p + '*' for p in CI_ENV_PREFIXES)}"
                " are never secret sources)"
            )
        if not ref.startswith(env_prefix):
            return f"env: variables must start with {env_prefix} (secrets_env_prefix); {ref} does not"
        return None
    if scheme == "file":
        folders = [(root if root is not None else Path.cwd()).resolve()]
        if secrets_dir is not None:
            folders.append(_secret_path(secrets_dir, root).resolve())
        where = _secret_path(ref, root).resolve()
        if not any(_inside(where, folder) for folder in folders):
            allowed = "the repository" + (f" or secrets_dir {secrets_dir}" if secrets_dir else "")
            return f"file:{ref} resolves outside {allowed}; secret files must lie inside it"
        return None
    return None


# ---------------------------------------------------------------------------------------------
# Parsing one file


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _kind_name(value: Any) -> str:
    """What a value is, without quoting it (for values that may be secrets)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    return "a mapping" if isinstance(value, dict) else "a list"


class _Reader:
    """Checks one stage file's data, raising at the line of the offending key."""

    def __init__(self, file: str, positions: Positions) -> None:
        self.file = file
        self.positions = positions

    def fail(self, path: Sequence[str | int], message: str) -> NoReturn:
        raise ConfigError(message, self.positions.location(path))

    def missing(self, data: Mapping[str, Any], key: str, message: str) -> NoReturn:
        """A required key that is absent (no line to name) or null (its own line)."""
        line = self.positions.line((key,)) if key in data else None
        raise ConfigError(message, Location(self.file, line, key))

    def text(self, path: Sequence[str | int], value: Any, what: str = "text") -> str:
        if not isinstance(value, str):
            self.fail(path, f"must be {what}, not {_type_name(value)}")
        return value

    def mapping(self, path: Sequence[str | int], value: Any, what: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(path, f"must be a mapping of {what}, not {_type_name(value)}")
        return value

    def known_keys(self, path: tuple[str, ...], data: Mapping[str, Any], known: Sequence[str]) -> None:
        for key in data:
            if key not in known:
                hint = _did_you_mean(key, known) or f" (known keys: {', '.join(known)})"
                self.fail((*path, key), f"unknown key{hint}")

    def agent(self, value: Any) -> str:
        text = self.text(("agent",), value, "the name of a tree under agents/")
        if not _AGENT_NAME.match(text):
            self.fail(
                ("agent",),
                f"{text!r} is not an agent name: use lowercase letters, digits, '.', '-' and '_',"
                " starting with a letter or digit",
            )
        return text

    def project(self, value: Any) -> str:
        path = ("project",)
        if isinstance(value, int) and not isinstance(value, bool):
            self.fail(path, "write the project id, not its number")
        text = self.text(path, value, "a project id")
        if not _PROJECT_ID.match(text):
            self.fail(
                path,
                f"{text!r} is not a project id: 6 to 30 lowercase letters, digits or hyphens,"
                " starting with a letter and not ending with a hyphen",
            )
        return text

    def location(self, value: Any) -> str:
        text = self.text(("location",), value, "a CX location")
        if text not in _MULTI_REGIONS and not _REGION.match(text):
            self.fail(
                ("location",),
                f"{text!r} is not a CX location: use global, us, eu or a region such as"
                f" us-central1 or europe-west1{_did_you_mean(text, _MULTI_REGIONS)}",
            )
        return text

    def agent_id(self, value: Any) -> str:
        path = ("agent_id",)
        text = self.text(path, value, "the agent's id")
        if "/agents/" in text:
            self.fail(
                path,
                "write only the id after /agents/: project and location are keys of their own",
            )
        if not _AGENT_ID.match(text):
            self.fail(path, f"{text!r} is not an agent id (the last part of the agent's resource name)")
        return text

    def display_name(self, value: Any) -> str:
        text = self.text(("agent_display_name",), value, "the agent's display name")
        if not text.strip():
            self.fail(("agent_display_name",), "must not be empty")
        return text

    def display_name_of(self, path: Sequence[str | int], value: Any) -> str:
        text = self.text(path, value, "a display name")
        if not text.strip():
            self.fail(path, "must not be empty")
        return text

    def boolean(self, path: Sequence[str | int], value: Any) -> bool:
        if not isinstance(value, bool):
            self.fail(path, f"must be true or false, not {_type_name(value)}")
        return value

    def count(self, path: Sequence[str | int], value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(path, f"must be a whole number, 0 or more, not {_type_name(value)}")
        return value

    def preview(self, agent_id: str | None, display_name: str | None, protected: bool) -> None:
        """A preview stage names no agent: its display name is a template per branch."""
        if agent_id is not None:
            self.fail(
                ("agent_id",),
                "a preview stage makes one agent per branch: use agent_display_name with {branch},"
                ' e.g. "{agent} · {branch}"',
            )
        if protected:
            self.fail(("protected",), "a preview stage cannot be protected: its agents are developers' own")
        template = str(display_name)
        fields = _TEMPLATE_FIELD.findall(template)
        for name in fields:
            if name not in PREVIEW_FIELDS:
                self.fail(
                    ("agent_display_name",),
                    f"unknown placeholder {{{name}}}: a preview name may hold {{agent}} and {{branch}}",
                )
        if "branch" not in fields:
            self.fail(
                ("agent_display_name",),
                'a preview stage\'s name needs {branch}, e.g. "{agent} · {branch}": each branch has its own agent',
            )

    def source(self, value: Any) -> str:
        text = self.text(("source",), value, "a stage name")
        if not is_stage_name(text):
            self.fail(("source",), _bad_stage_name(text))
        return text

    def rate_limits(self, value: Any) -> RateLimits:
        data = self.mapping(("rate_limits",), value, "limits (reads_per_minute, writes_per_minute)")
        self.known_keys(("rate_limits",), data, _RATE_KEYS)
        limits: dict[str, float | None] = {}
        for key in _RATE_KEYS:
            limit = data.get(key)
            if limit is not None and (
                isinstance(limit, bool)
                or not isinstance(limit, (int, float))
                or not (limit > 0 and math.isfinite(limit))
            ):
                self.fail(("rate_limits", key), f"must be a positive number, not {_type_name(limit)}")
            limits[key] = limit
        return RateLimits(**limits)

    def tests(self, value: Any, stage: str) -> tuple[bool, str | None, bool]:
        if value == "required":
            return True, None, False
        if not isinstance(value, dict):
            self.fail(
                ("tests",),
                f"must be required or a mapping {{required: true, on: STAGE}}, not {_type_name(value)}",
            )
        self.known_keys(("tests",), value, _TESTS_KEYS)
        required = (
            False if value.get("required") is None else self.boolean(("tests", "required"), value["required"])
        )
        on = value.get("on")
        if on is not None:
            on = self.text(("tests", "on"), on, "a stage name")
            if not is_stage_name(on):
                self.fail(("tests", "on"), _bad_stage_name(on))
            on = qualify(on, stage)
            if on == stage:
                self.fail(
                    ("tests", "on"), "names this stage: a live run here tests what is live, not the plan"
                )
        undecided = value.get("undecided", "fail")
        if undecided not in ("allow", "fail"):
            self.fail(("tests", "undecided"), f"must be allow or fail, not {undecided!r}")
        return required, on, undecided == "allow"

    def overrides(self, value: Any) -> dict[str, dict[str, Any]]:
        data = self.mapping(("overrides",), value, "resource keys to field values")
        result: dict[str, dict[str, Any]] = {}
        for key, fields in data.items():
            path = ("overrides", key)
            self.override_key(path, key)
            entries = self.mapping(path, fields, "field paths to values")
            for field_path in entries:
                self.field_path((*path, field_path), field_path)
            result[key] = entries
        return result

    def data_stores(self, value: Any) -> dict[str, str]:
        data = self.mapping(("data_stores",), value, "data store ids in the tree to this stage's ids")
        owner: dict[str, str] = {}
        for key, store in data.items():
            path = ("data_stores", key)
            for text in (key, self.text(path, store, "a data store id")):
                if "/" in text:
                    self.fail(path, "write only the data store id: project and location are the stage's")
                if not datastores.ID.match(text):
                    self.fail(
                        path,
                        f"{text!r} is not a data store id (lowercase letters, digits, '-' and '_', at most 63)",
                    )
            if store in owner:
                self.fail(
                    path,
                    f"{owner[store]} and {key} both become {store}: pull could not tell which the tree names",
                )
            owner[store] = key
        return dict(data)

    def override_key(self, path: tuple[str, ...], key: str) -> None:
        folder, slash, name = key.partition("/")
        if folder in SINGLETON_KEYS:
            if slash:
                self.fail(path, f"{folder} takes no display name: write {folder!r}")
            return
        if folder not in KIND_FOLDERS:
            known = (*SINGLETON_KEYS, *KIND_FOLDERS)
            hint = _did_you_mean(folder, known) or f" (kinds: {', '.join(known)})"
            self.fail(path, f"unknown kind folder {folder!r}{hint}")
        if not name:
            self.fail(path, f"name the resource: {folder}/<display name>")

    def field_path(self, path: tuple[str, ...], field_path: str) -> None:
        segments = field_path.split(".")
        if not all(_FIELD_SEGMENT.match(segment) for segment in segments):
            self.fail(path, "is not a field path: field names joined by '.', e.g. generic_web_service.uri")
        if segments[0] == "display_name":
            self.fail(path, "a resource's display name is its key: it cannot differ per stage")

    def env_prefix(self, value: Any) -> str:
        prefix = self.text(("secrets_env_prefix",), value)
        if not _ENV_VAR.match(prefix):
            self.fail(
                ("secrets_env_prefix",), "must be the start of a variable name: letters, digits and '_'"
            )
        if prefix.startswith(CI_ENV_PREFIXES) or any(p.startswith(prefix) for p in CI_ENV_PREFIXES):
            self.fail(("secrets_env_prefix",), f"{prefix} would admit the CI system's own variables")
        return prefix

    def secrets(self, value: Any) -> dict[str, str]:
        data = self.mapping(("secrets",), value, f"placeholder names to {_SOURCE_FORMS}")
        for name, source in data.items():
            path = ("secrets", name)
            if not _PLACEHOLDER_NAME.match(name):
                self.fail(
                    path,
                    "is not a placeholder name: the NAME of ${secret:NAME}, without '{', '}', '$',"
                    " control characters or spaces at either end",
                )
            # The text is never quoted back: a malformed source may be the secret itself.
            if not isinstance(source, str):
                self.fail(path, f"must be {_SOURCE_FORMS}, not {_kind_name(source)}")
            scheme, colon, ref = source.partition(":")
            if scheme == "env" and colon:
                if not _ENV_VAR.match(ref):
                    self.fail(
                        path, "env: needs a variable name: letters, digits and '_', not starting with a digit"
                    )
            elif scheme == "file" and colon:
                if not ref.strip():
                    self.fail(path, "file: needs a path")
            else:
                self.fail(path, f"must be {_SOURCE_FORMS} (a secret's value never goes in a stage file)")
        return data

    def placeholders_listed(
        self, overrides: Mapping[str, Mapping[str, Any]], secrets: Mapping[str, str]
    ) -> None:
        """An override that uses ``${secret:X}`` needs X under ``secrets``."""
        for key, fields in overrides.items():
            for field_path, value in fields.items():
                for name in _placeholders_in(value):
                    if name not in secrets:
                        self.fail(
                            ("overrides", key, field_path),
                            f"uses ${{secret:{name}}}, which secrets does not list",
                        )


def _placeholders_in(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield from _PLACEHOLDER_USE.findall(value)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _placeholders_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _placeholders_in(item)


def parse_stage(text: str, name: str, file: str | None = None, root: Path | None = None) -> Stage:
    """A :class:`Stage` from the text of its file (``file`` defaults to ``environments/<name>.yaml``)."""
    file = stage_file(name) if file is None else file
    try:
        data, positions = load_with_positions(text, file)
    except ValidationError as error:
        # Same place and words, under the error class the CLI reports for configuration.
        raise ConfigError(error.message, error.location) from None
    reader = _Reader(file, positions)
    if data is None:
        raise ConfigError("is empty: a stage needs at least agent, project and agent_id", Location(file))
    if not isinstance(data, dict):
        reader.fail((), f"must be a mapping of settings, not {_type_name(data)}")
    reader.known_keys((), data, _TOP_KEYS)

    def get(key: str) -> Any:
        return data.get(key)

    folder_agent = agent_of_name(name)
    for key in ("project",) if folder_agent else ("agent", "project"):
        if get(key) is None:
            reader.missing(data, key, "is required")
    # In environments/AGENT/STAGE.yaml the folder names the agent; `agent:` may repeat it.
    agent = reader.agent(get("agent")) if get("agent") is not None or folder_agent is None else folder_agent
    if folder_agent is not None and agent != folder_agent:
        reader.fail(
            ("agent",),
            f"this file is in environments/{folder_agent}/, the stages of agent {folder_agent!r}:"
            f" write agent: {folder_agent}, or move the file to environments/{agent}/",
        )
    project = reader.project(get("project"))
    location = "global" if get("location") is None else reader.location(get("location"))
    agent_id = None if get("agent_id") is None else reader.agent_id(get("agent_id"))
    display_name = (
        None if get("agent_display_name") is None else reader.display_name(get("agent_display_name"))
    )
    if agent_id is None and display_name is None:
        reader.missing(data, "agent_id", "is required, or agent_display_name instead")
    if agent_id is not None and display_name is not None:
        # Reported at the later of the two: that is usually the line just added.
        later = max(("agent_id", "agent_display_name"), key=lambda k: positions.line((k,)) or 0)
        reader.fail((later,), "give agent_id or agent_display_name, not both")
    protected = False if get("protected") is None else reader.boolean(("protected",), get("protected"))
    if get("approvals_required") is None:
        approvals = 1 if protected else 0
    else:
        approvals = reader.count(("approvals_required",), get("approvals_required"))
        if protected and approvals < 1:
            reader.fail(("approvals_required",), "must be at least 1 on a protected stage")
    signed = True
    if get("approvals") is not None:
        settings = reader.mapping(("approvals",), get("approvals"), "approval settings ({signed: false})")
        reader.known_keys(("approvals",), settings, ("signed",))
        if settings.get("signed") is not None:
            signed = reader.boolean(("approvals", "signed"), settings["signed"])
    source = None if get("source") is None else qualify(reader.source(get("source")), name)
    overrides = reader.overrides(get("overrides"))
    data_stores = reader.data_stores(get("data_stores"))
    env_prefix = (
        DEFAULT_ENV_PREFIX
        if get("secrets_env_prefix") is None
        else reader.env_prefix(get("secrets_env_prefix"))
    )
    secrets_dir = None if get("secrets_dir") is None else reader.text(("secrets_dir",), get("secrets_dir"))
    secrets = reader.secrets(get("secrets"))
    for placeholder, secret_source in secrets.items():
        refusal = source_refusal(secret_source, env_prefix, root, secrets_dir)
        if refusal is not None:
            reader.fail(("secrets", placeholder), refusal)
    reader.placeholders_listed(overrides, secrets)
    rate_limits = reader.rate_limits(get("rate_limits"))
    tests_required, tests_on, tests_allow_undecided = (
        (False, None, False) if get("tests") is None else reader.tests(get("tests"), name)
    )
    preview = False if get("preview") is None else reader.boolean(("preview",), get("preview"))
    if preview:
        reader.preview(agent_id, display_name, protected)
    versions = None
    if get("versions") is not None:
        versions = reader.text(("versions",), get("versions"), "on_apply")
        if versions not in VERSIONS_MODES:
            reader.fail(
                ("versions",),
                f"must be {' or '.join(VERSIONS_MODES)}, not {versions!r}{_did_you_mean(versions, VERSIONS_MODES)}",
            )
    environment = None
    if get("environment") is not None:
        environment = reader.display_name_of(("environment",), get("environment"))
        if preview:
            reader.fail(("environment",), "a preview stage makes agents, it cannot be an environment")
    return Stage(
        name=name,
        file=file,
        agent=agent,
        project=project,
        location=location,
        agent_id=agent_id,
        agent_display_name=display_name,
        protected=protected,
        approvals_required=approvals,
        approvals_signed=signed,
        source=source,
        overrides=overrides,
        data_stores=data_stores,
        secrets=secrets,
        secrets_env_prefix=env_prefix,
        secrets_dir=secrets_dir,
        rate_limits=rate_limits,
        tests_required=tests_required,
        tests_on=tests_on,
        tests_allow_undecided=tests_allow_undecided,
        preview=preview,
        versions=versions,
        environment=environment,
        root=root,
        positions=positions,
    )
