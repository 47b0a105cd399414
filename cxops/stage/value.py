"""One stage as a value: :class:`Stage`, its names (``STAGE``, ``AGENT/STAGE``) and its file.

The rules of each field are cxops.stage.config's docstring; reading a file is cxops.stage.parse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cxops.cx.ratelimit import RateLimits
from cxops.errors import ConfigError, Location
from cxops.repo.yamlio import Positions, format_path

if TYPE_CHECKING:
    from cxops.cx.connection import ConnectionSettings

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

DEFAULT_ENV_PREFIX = "CXOPS_"


@dataclass(frozen=True)
class Stage:
    """One stage, as its file says; see cxops.stage.config's docstring for each field's rules.

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


def _bad_stage_name(name: str) -> str:
    return (
        f"{name!r} is not a stage name: use lowercase letters, digits, '-' and '_',"
        " starting with a letter or digit"
    )
