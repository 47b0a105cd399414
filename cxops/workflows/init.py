"""`init`: scaffold a user's repository for cxops (SPEC §4).

Writes the stage files ``environments/{dev,stg,prd}.yaml``, a commented ``cxops.yaml`` (lint
rules, from :func:`cxops.core.lint.config.template`), the composite action
``.github/actions/cxops/action.yml`` and two workflows (pull request plans, deploys), all from
the templates under ``cxops/templates/``, and an empty ``agents/`` folder. No sample agent: the
tree comes from ``cxops pull dev`` or ``cxops import``.

Templates hold two placeholders, ``{{agent}}`` and ``{{version}}``, replaced as plain text.
GitHub expressions (``${{ secrets.X }}``) are a different form and pass through untouched.

It never overwrites a file unless asked: every target is checked before anything is written,
so a refusal leaves the repository as it was.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from cxops import __version__
from cxops.core.lint.config import CONFIG_FILE, parse_config
from cxops.errors import ConfigError, CxopsError, Location
from cxops.repo.atomicfile import write_atomic
from cxops.stage.config import STAGES_DIR, parse_stage

__all__ = [
    "DEFAULT_AGENT",
    "FLEET_TARGETS",
    "GITATTRIBUTES",
    "MERGE_ATTRIBUTE",
    "MERGE_CONFIG",
    "STAGES",
    "TARGETS",
    "InitResult",
    "default_agent",
    "init_repo",
    "render",
]

DEFAULT_AGENT = "my-agent"
"""The agent name when none is given and ``agents/`` holds no single tree to take it from."""

STAGES = ("dev", "stg", "prd")

TARGETS: Mapping[str, str] = {
    f"{STAGES_DIR}/dev.yaml": "environments/dev.yaml",
    f"{STAGES_DIR}/stg.yaml": "environments/stg.yaml",
    f"{STAGES_DIR}/prd.yaml": "environments/prd.yaml",
    ".github/actions/cxops/action.yml": "github/actions/cxops/action.yml",
    ".github/workflows/cxops-pr.yml": "github/workflows/cxops-pr.yml",
    ".github/workflows/cxops-deploy.yml": "github/workflows/cxops-deploy.yml",
    CONFIG_FILE: "cxops.yaml",
}
"""Each file ``init`` writes (relative to the repo root) -> its template under ``cxops/templates/``.
Template paths avoid dot folders, which package-data globs skip."""

FLEET_TARGETS: Mapping[str, str] = {
    ".github/actions/cxops/action.yml": "github/actions/cxops/action.yml",
    ".github/workflows/cxops-pr.yml": "github/fleet/cxops-pr.yml",
    ".github/workflows/cxops-pr-agent.yml": "github/fleet/cxops-pr-agent.yml",
    ".github/workflows/cxops-deploy.yml": "github/fleet/cxops-deploy.yml",
    ".github/workflows/cxops-deploy-agent.yml": "github/fleet/cxops-deploy-agent.yml",
    CONFIG_FILE: "cxops.yaml",
}
"""What ``init`` writes besides each agent's ``environments/<agent>/{dev,stg,prd}.yaml`` in a
repository of several agents: workflows that run ``cxops changed`` and fan out, one matrix job
(a call of the ``-agent`` workflow) per agent touched."""

AGENTS_DIR = "agents"
KEEP = f"{AGENTS_DIR}/.gitkeep"

GITATTRIBUTES = ".gitattributes"
MERGE_ATTRIBUTE = f"{AGENTS_DIR}/**/*.yaml merge=cxops"
"""Routes agent-tree files to ``cxops merge-driver``; git also needs the ``merge.cxops.*`` config
(docs/team.md), which a repository cannot carry for its clones."""
MERGE_CONFIG = (
    'git config merge.cxops.name "cxops structural merge of agent files"',
    'git config merge.cxops.driver "cxops merge-driver %O %A %B %P"',
)

GITIGNORE = ".gitignore"
IGNORED = (".cxops/", "*.plan.json")
"""Apply's backups and plans under ``.cxops/``, and plan files: local, never committed."""

# The rule of cxops.stage.config for a stage's ``agent`` (checked again by parsing each stage file).
_AGENT_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
# {{name}} not preceded by "$": a template placeholder, never a GitHub expression.
_PLACEHOLDER = re.compile(r"(?<!\$)\{\{([A-Za-z_]+)\}\}")


@dataclass(frozen=True)
class InitResult:
    """What :func:`init_repo` did: ``written`` holds paths relative to ``root``, in write order."""

    root: Path
    agent: str
    written: tuple[str, ...]
    overwritten: tuple[str, ...]
    agents: tuple[str, ...] = ()
    fleet: bool = False  # stages in environments/<agent>/, workflows that fan out over agents


def default_agent(root: Path) -> str:
    """The one tree under ``agents/`` when there is exactly one (a repo that imported or pulled
    an agent before ``init``), else :data:`DEFAULT_AGENT`."""
    folder = root / AGENTS_DIR
    if folder.is_dir():
        trees = [p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
        if len(trees) == 1 and _AGENT_NAME.fullmatch(trees[0]):
            return trees[0]
    return DEFAULT_AGENT


def render(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each ``{{name}}`` replaced by ``values[name]``; an unknown name is a bug."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"template placeholder {{{{{name}}}}} has no value")
        return values[name]

    return _PLACEHOLDER.sub(replace, template)


def _template(path: str) -> str:
    return (resources.files("cxops") / "templates" / path).read_text(encoding="utf-8")


def _obstacle(root: Path, relative: str, force: bool) -> str | None:
    """Why ``relative`` cannot be written (None: it can): it exists (without ``force``), it is
    a folder, or one of its folders is a file."""
    target = root / relative
    for parent in reversed(Path(relative).parents[:-1]):
        if (root / parent).exists() and not (root / parent).is_dir():
            return f"{root / parent} is a file, not a folder: move it away first"
    if target.is_dir():
        return f"{target} is a folder, not a file: move it away first"
    if (target.exists() or target.is_symlink()) and not force:
        return f"{target} already exists: cxops init --force overwrites it"
    return None


def _appended(path: Path, lines: tuple[str, ...]) -> str | None:
    """``path``'s text with those of ``lines`` it lacks added at the end (None: it has them)."""
    if path.is_dir():
        raise ConfigError(f"{path} is a folder, not a file: move it away first")
    existing = path.read_text(encoding="utf-8") if path.is_file() else ""
    have = {line.strip() for line in existing.splitlines()}
    missing = [line for line in lines if line not in have]
    if not missing:
        return None
    separator = "\n" if existing and not existing.endswith("\n") else ""
    return existing + separator + "".join(f"{line}\n" for line in missing)


def _checked_agent(agent: str) -> str:
    if not _AGENT_NAME.fullmatch(agent):
        raise ConfigError(
            f"--agent {agent!r} is not an agent name: use lowercase letters, digits, '.', '-' and '_',"
            " starting with a letter or digit"
        )
    return agent


def _fleet_agents(root: Path) -> list[str]:
    """The agents with a stage folder ``environments/<agent>/`` already (a repository of several)."""
    folder = root / STAGES_DIR
    if not folder.is_dir():
        return []
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.is_dir() and _AGENT_NAME.fullmatch(p.name) and any(p.glob("*.yaml"))
    )


def _rendered(relative: str, template: str, values: Mapping[str, str]) -> str:
    text = render(_template(template), values)
    # A template that does not load would hand the user a broken repo: that is a bug here.
    try:
        if relative.startswith(f"{STAGES_DIR}/"):
            parse_stage(text, relative.removeprefix(f"{STAGES_DIR}/").removesuffix(".yaml"), relative)
        elif relative == CONFIG_FILE:
            parse_config(text, CONFIG_FILE)
    except CxopsError as error:
        raise AssertionError(f"template {relative} does not load: {error}") from error
    return text


def init_repo(root: Path, agent: str | Sequence[str] | None = None, *, force: bool = False) -> InitResult:
    """Scaffold the repository at ``root`` for ``agent`` (default: :func:`default_agent`), or for
    several agents: their stages in ``environments/<agent>/`` and workflows that fan out over the
    agents a change touches (:data:`FLEET_TARGETS`). Run again with another agent, it adds that
    agent's stages to a repository of several, leaving alone the shared files that are already
    as it would write them.

    Refuses with a :class:`ConfigError` naming the first target that exists (unless ``force``)
    or cannot be written, before writing anything.
    """
    if root.exists() and not root.is_dir():
        raise ConfigError(
            "is a file, not a folder: --root names the repository's folder", Location(str(root))
        )
    if agent is None:
        agents = [default_agent(root)]
    else:
        agents = [agent] if isinstance(agent, str) else list(dict.fromkeys(agent))
    agents = [_checked_agent(a) for a in agents]
    existing = _fleet_agents(root)
    fleet = len(agents) > 1 or bool(existing)
    if fleet:
        flat = (
            sorted(p.name for p in (root / STAGES_DIR).glob("*.yaml")) if (root / STAGES_DIR).is_dir() else []
        )
        if flat:
            raise ConfigError(
                f"{STAGES_DIR}/ holds one agent's stages ({', '.join(flat)}): move them to"
                f" {STAGES_DIR}/<agent>/ before adding another agent"
            )
        files: dict[str, str] = {}
        for name in agents:
            values = {"agent": name, "version": __version__, "stages": f"{STAGES_DIR}/{name}"}
            for stage in STAGES:
                relative = f"{STAGES_DIR}/{name}/{stage}.yaml"
                files[relative] = _rendered(relative, f"environments/{stage}.yaml", values)
        shared = {"agent": agents[0], "version": __version__, "stages": STAGES_DIR}
        for relative, template in FLEET_TARGETS.items():
            files[relative] = _rendered(relative, template, shared)
    else:
        values = {"agent": agents[0], "version": __version__, "stages": STAGES_DIR}
        files = {relative: _rendered(relative, template, values) for relative, template in TARGETS.items()}
    trees = root / AGENTS_DIR
    if not trees.is_dir() or not any(trees.iterdir()):
        files = {KEEP: "", **files}

    # Adding an agent to a repository of several: the shared files are there already, the same.
    unchanged = {r for r, text in files.items() if fleet and _same(root / r, text)}
    for relative in [r for r in files if r not in unchanged]:
        why = _obstacle(root, relative, force)
        if why is not None:
            raise ConfigError(why)
    # Added to, never replaced: a repository's other attributes (LFS, line endings) and ignore
    # rules stay, and a line already there is not written twice.
    for name, lines in ((GITATTRIBUTES, (MERGE_ATTRIBUTE,)), (GITIGNORE, IGNORED)):
        appended = _appended(root / name, lines)
        if appended is not None:
            files[name] = appended

    written: list[str] = []
    overwritten: list[str] = []
    for relative, text in files.items():
        if relative in unchanged:
            continue
        path = root / relative
        existed = path.exists() or path.is_symlink()
        write_atomic(path, text.encode("utf-8"), parents=True)
        written.append(relative)
        if existed:
            overwritten.append(relative)
    return InitResult(
        root=root,
        agent=agents[0],
        written=tuple(written),
        overwritten=tuple(overwritten),
        agents=tuple(agents),
        fleet=fleet,
    )


def _same(path: Path, text: str) -> bool:
    try:
        return path.is_file() and not path.is_symlink() and path.read_text(encoding="utf-8") == text
    except (OSError, UnicodeDecodeError):
        return False
